/* The config parser: defaults, every error names its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cfg.h"

#define REQUIRED                                                                      \
  "[server]\ntls_cert_file = /c.pem\ntls_key_file = /k.pem\n"                         \
  "[aws]\ncredentials_file = /creds\n"                                                \
  "[hsm]\nmodule = /m.so\ntoken_label = t\npin_file = /pin\n"                         \
  "[database]\nconninfo = host=/tmp dbname=pcad\n"

static char path[64];

static int load(const char *text, cfg_t *c, char *msg) {
  FILE *f;
  int fd;
  strcpy(path, "/tmp/pcad-cfg-XXXXXX");
  fd = mkstemp(path);
  f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  fd = cfg_load(c, path, msg, 512);
  unlink(path);
  return fd;
}

static void test_defaults(void **state) {
  cfg_t c;
  char msg[512];
  (void)state;
  assert_int_equal(load(REQUIRED, &c, msg), 0);
  assert_string_equal(c.listen, "127.0.0.1:8443");
  assert_string_equal(c.region, "us-east-1");
  assert_int_equal(c.worker_threads, 16);
  assert_int_equal(c.db_group_commit_max, 32);
  assert_int_equal(c.max_request_bytes, 4194304);
  assert_int_equal(c.max_clock_skew, 900);
  assert_string_equal(c.db_conninfo, "host=/tmp dbname=pcad");
  assert_string_equal(c.log_level, "info");
  cfg_free(&c);
  assert_int_equal(load(REQUIRED "[aws]\nregion = eu-west-3\n[server]\nworker_threads = 8\n", &c,
                        msg),
                   0);
  assert_string_equal(c.region, "eu-west-3");
  assert_int_equal(c.worker_threads, 8);
  cfg_free(&c);
}

static void expect_error(const char *text, const char *line_and_msg) {
  cfg_t c;
  char msg[512], want[600];
  assert_int_equal(load(text, &c, msg), -1);
  snprintf(want, sizeof want, "%s:%s", path, line_and_msg);
  if (!strstr(msg, line_and_msg) || strncmp(msg, path, strlen(path)) != 0)
    fail_msg("got '%s', want '%s'", msg, want);
}

static void test_errors(void **state) {
  (void)state;
  /* REQUIRED has 11 lines; the error is on line 13 */
  expect_error(REQUIRED "[server]\nlisten_on = 1\n", "13: unknown key 'listen_on' in section [server]");
  expect_error(REQUIRED "[sever]\nlisten = 1\n", "13: unknown key 'listen' in section [sever]");
  expect_error(REQUIRED "[server]\nworker_threads = many\n", "13: server.worker_threads: 'many'");
  expect_error(REQUIRED "[server]\nworker_threads = 0\n", "13: server.worker_threads: '0'");
  expect_error(REQUIRED "[log]\nlevel = loud\n", "13: log.level: 'loud'");
  expect_error(REQUIRED "[aws]\nregion = a\nregion = b\n", "14: aws.region is set twice");
  expect_error(REQUIRED "this is not ini\n", "12: syntax error");
  expect_error("[server]\nlisten = 127.0.0.1:1\n", "required key server.tls_cert_file is missing");
}

/* The admin listener is unauthenticated: a non-loopback address only with
 * allow_remote; its and the publish listener's connection caps (issue 25). */
static void test_admin_listen(void **state) {
  cfg_t c;
  char msg[512];
  (void)state;
  assert_int_equal(load(REQUIRED, &c, msg), 0);
  assert_int_equal(c.admin_allow_remote, 0);
  assert_int_equal(c.admin_max_connections, 16);
  assert_int_equal(c.publish_max_connections, 256);
  cfg_free(&c);
  expect_error(REQUIRED "[admin]\nlisten = 0.0.0.0:9102\n",
               " admin.listen '0.0.0.0:9102' is not a loopback address");
  expect_error(REQUIRED "[admin]\nlisten = [::]:9102\n", "is not a loopback address");
  expect_error(REQUIRED "[admin]\nallow_remote = maybe\n", "13: admin.allow_remote: 'maybe'");
  assert_int_equal(load(REQUIRED "[admin]\nlisten = 0.0.0.0:9102\nallow_remote = yes\n", &c, msg),
                   0);
  assert_int_equal(c.admin_allow_remote, 1);
  cfg_free(&c);
  assert_int_equal(load(REQUIRED "[admin]\nlisten = [::1]:9102\nmax_connections = 4\n"
                                 "[publish]\nmax_connections = 8\n",
                        &c, msg),
                   0);
  assert_int_equal(c.admin_max_connections, 4);
  assert_int_equal(c.publish_max_connections, 8);
  cfg_free(&c);
  assert_int_equal(load(REQUIRED "[admin]\nlisten = 127.0.0.2:9102\nallow_remote = off\n", &c,
                        msg),
                   0);
  cfg_free(&c);
}

/* The publish listener has its own worker pool and queue, apart from the
 * API's (issue 25): [publish] worker_threads and queue_max, each bounded. */
static void test_publish_pool(void **state) {
  cfg_t c;
  char msg[512];
  (void)state;
  assert_int_equal(load(REQUIRED, &c, msg), 0);
  assert_int_equal(c.publish_worker_threads, 4);
  assert_int_equal(c.publish_queue_max, 64);
  assert_int_equal(c.worker_threads, 16);
  assert_int_equal(c.queue_max, 256);
  cfg_free(&c);
  assert_int_equal(load(REQUIRED "[server]\nworker_threads = 8\n"
                                 "[publish]\nworker_threads = 2\nqueue_max = 10\n",
                        &c, msg),
                   0);
  assert_int_equal(c.worker_threads, 8);
  assert_int_equal(c.publish_worker_threads, 2);
  assert_int_equal(c.publish_queue_max, 10);
  cfg_free(&c);
  expect_error(REQUIRED "[publish]\nworker_threads = 0\n", "13: publish.worker_threads: '0'");
  expect_error(REQUIRED "[publish]\nworker_threads = 65\n", "13: publish.worker_threads: '65'");
  expect_error(REQUIRED "[publish]\nqueue_max = 0\n", "13: publish.queue_max: '0'");
}

/* [publish] bucket_owner repeats: one bucket per line, its owner first,
 * the accounts that may share it after; kept normalized, '\n'-joined. */
static void test_bucket_owner(void **state) {
  cfg_t c;
  char msg[512];
  (void)state;
  assert_int_equal(load(REQUIRED, &c, msg), 0);
  assert_null(c.bucket_owners);
  cfg_free(&c);
  assert_int_equal(load(REQUIRED "[publish]\nbucket_owner = pki-crl 111122223333\n"
                                 "bucket_owner = shared.b  111122223333, 444455556666 777788889999\n"
                                 "bucket_owner =\n",
                        &c, msg),
                   0);
  assert_string_equal(c.bucket_owners, "pki-crl 111122223333\n"
                                       "shared.b 111122223333,444455556666,777788889999");
  cfg_free(&c);
  expect_error(REQUIRED "[publish]\nbucket_owner = pki-crl\n",
               "13: publish.bucket_owner: 'pki-crl' is not BUCKET ACCOUNT[,ACCOUNT...]");
  expect_error(REQUIRED "[publish]\nbucket_owner = Pki 111122223333\n",
               "13: publish.bucket_owner: 'Pki 111122223333' is not");
  expect_error(REQUIRED "[publish]\nbucket_owner = pki-crl/x 111122223333\n",
               "13: publish.bucket_owner: 'pki-crl/x 111122223333' is not");
  expect_error(REQUIRED "[publish]\nbucket_owner = pki-crl 11112222333\n",
               "13: publish.bucket_owner: 'pki-crl 11112222333' is not");
  expect_error(REQUIRED "[publish]\nbucket_owner = pki-crl 111122223333,x\n",
               "13: publish.bucket_owner: 'pki-crl 111122223333,x' is not");
  expect_error(REQUIRED "[publish]\nbucket_owner = pki-crl 111122223333\n"
                        "bucket_owner = pki-crl 444455556666\n",
               "14: publish.bucket_owner: bucket pki-crl is given twice");
}

static void test_missing_file(void **state) {
  cfg_t c;
  char msg[512];
  (void)state;
  assert_int_equal(cfg_load(&c, "/nonexistent/pcad.conf", msg, sizeof msg), -1);
  assert_non_null(strstr(msg, "cannot open"));
}

/* config/pcad.conf.example lists every key of the table with its default. */
typedef struct {
  char text[65536];
  int n;
} example_t;

static void example_key(const char *section, const char *key, const char *def, void *arg) {
  example_t *x = arg;
  char want[512], *sec, *end, *p;
  snprintf(want, sizeof want, "[%s]", section);
  sec = strstr(x->text, want);
  if (!sec)
    fail_msg("example lacks section [%s]", section);
  /* the key must sit in its own section: before the next '[' at a line start */
  end = strstr(sec + 1, "\n[");
  snprintf(want, sizeof want, "\n%s = %s", key, def ? def : "");
  p = strstr(sec, want);
  if ((!p || (end && p > end)) && !def) { /* a key without a default may be listed empty */
    snprintf(want, sizeof want, "\n%s =\n", key);
    p = strstr(sec, want);
  }
  if (!p || (end && p > end))
    fail_msg("example lacks '%s = %s' in [%s]", key, def ? def : "", section);
  x->n++;
}

/* pin_file = credential:NAME: the file systemd's LoadCredential= put in
 * $CREDENTIALS_DIRECTORY. */
static void test_credentials(void **state) {
  static const char text[] =
      "[server]\ntls_cert_file = /c.pem\ntls_key_file = /k.pem\n"
      "[aws]\ncredentials_file = credential:sigv4-keys\n"
      "[hsm]\nmodule = /m.so\ntoken_label = t\npin_file = credential:hsm-pin\n"
      "[database]\nconninfo = host=/tmp dbname=pcad\n";
  cfg_t c;
  char msg[512];
  (void)state;
  setenv("CREDENTIALS_DIRECTORY", "/run/credentials/pcad.service", 1);
  assert_int_equal(load(text, &c, msg), 0);
  assert_string_equal(c.hsm_pin_file, "/run/credentials/pcad.service/hsm-pin");
  assert_string_equal(c.credentials_file, "/run/credentials/pcad.service/sigv4-keys");
  assert_string_equal(c.tls_key_file, "/k.pem"); /* not a credential key */
  cfg_free(&c);
  unsetenv("CREDENTIALS_DIRECTORY");
  assert_int_equal(load(text, &c, msg), -1);
  assert_non_null(strstr(msg, "hsm.pin_file = credential:hsm-pin needs systemd's "
                              "LoadCredential="));
  setenv("CREDENTIALS_DIRECTORY", "/run/credentials/pcad.service", 1);
  assert_int_equal(load(REQUIRED "[s3]\nsecret_access_key_file = credential:../x\n", &c, msg),
                   -1);
  assert_non_null(strstr(msg, "s3.secret_access_key_file: 'credential:../x' is not a credential"));
  unsetenv("CREDENTIALS_DIRECTORY");
}

/* docs/OPERATIONS.md's reference names each key as `section.key`, with
 * its default. */
static void reference_key(const char *section, const char *key, const char *def, void *arg) {
  example_t *x = arg;
  char want[512];
  snprintf(want, sizeof want, "| `%s.%s` | ", section, key);
  if (!strstr(x->text, want))
    fail_msg("docs/OPERATIONS.md's reference lacks %s.%s", section, key);
  if (def && *def) {
    snprintf(want, sizeof want, "| `%s.%s` | `%s` |", section, key, def);
    if (!strstr(x->text, want))
      fail_msg("docs/OPERATIONS.md gives %s.%s another default than %s", section, key, def);
  }
  x->n++;
}

/* Walks the key table over the text of file; how many keys fn saw. */
static int walk_file(const char *file, void (*fn)(const char *, const char *, const char *,
                                                  void *)) {
  static example_t x;
  FILE *f = fopen(file, "r");
  size_t n;
  assert_non_null(f);
  n = fread(x.text, 1, sizeof x.text - 1, f);
  x.text[n] = 0;
  fclose(f);
  x.n = 0;
  cfg_keys_walk(fn, &x);
  return x.n;
}

static void test_reference_lists_every_key(void **state) {
  (void)state;
  assert_true(walk_file(PCAD_SOURCE_DIR "/docs/OPERATIONS.md", reference_key) > 40);
}

static void test_example_lists_every_key(void **state) {
  (void)state;
  assert_true(walk_file(PCAD_SOURCE_DIR "/config/pcad.conf.example", example_key) > 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_bucket_owner),
      cmocka_unit_test(test_admin_listen),
      cmocka_unit_test(test_publish_pool),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_credentials),
      cmocka_unit_test(test_example_lists_every_key),
      cmocka_unit_test(test_reference_lists_every_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
