/* The credentials file: format, mode, lookup; keys fail closed one by one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/creds.h"

static char path[64];
static char logged[8192]; /* what the last load() wrote to stderr */

static const char good_policy[] =
    "{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"acm-pca:List*\", \"Resource\": \"*\"}]}";

/* creds_load of a temporary file holding text (mode), with stderr kept in
 * `logged`. */
static creds_t *load(const char *text, mode_t mode, err_t *e) {
  char logpath[] = "/tmp/pcad-creds-log-XXXXXX";
  int logfd = mkstemp(logpath), saved = dup(2);
  FILE *f;
  creds_t *c;
  ssize_t n;
  strcpy(path, "/tmp/pcad-creds-XXXXXX");
  f = fdopen(mkstemp(path), "w");
  fputs(text, f);
  fclose(f);
  chmod(path, mode);
  fflush(stderr);
  dup2(logfd, 2);
  c = creds_load(path, e);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  n = pread(logfd, logged, sizeof logged - 1, 0);
  logged[n > 0 ? n : 0] = '\0';
  close(logfd);
  unlink(logpath);
  unlink(path);
  return c;
}

/* A file holding text, with mode and owner uid; its name in out. */
static void put(char *out, const char *text, mode_t mode, uid_t uid) {
  int fd;
  strcpy(out, "/tmp/pcad-policy-XXXXXX");
  fd = mkstemp(out);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  assert_int_equal(chmod(out, mode), 0);
  assert_int_equal(chown(out, uid, (gid_t)-1), 0);
}

static int authenticates(creds_t *c, const char *akid) {
  const char *secret, *account;
  return creds_lookup(c, akid, &secret, &account) == 0;
}

static void test_load_lookup(void **state) {
  err_t e;
  const char *secret, *account;
  creds_t *c = load("# comment\nAKIA1 secret/one 111111111111\n\n  AKIA2 s2 222222222222\n",
                    0600, &e);
  (void)state;
  assert_non_null(c);
  assert_int_equal(creds_count(c), 2);
  assert_int_equal(creds_count_disabled(c), 0);
  assert_int_equal(creds_lookup(c, "AKIA2", &secret, &account), 0);
  assert_string_equal(secret, "s2");
  assert_string_equal(account, "222222222222");
  assert_int_equal(creds_lookup(c, "AKIA1", &secret, &account), 0);
  assert_string_equal(secret, "secret/one");
  assert_null(creds_policy(c, "AKIA1")); /* full control */
  assert_int_equal(creds_lookup(c, "AKIA3", &secret, &account), -1);
  assert_int_equal(creds_lookup(c, "AKIA", &secret, &account), -1);
  assert_int_equal(creds_lookup(NULL, "AKIA1", &secret, &account), -1);
  creds_free(c);
}

/* The file itself: NULL, whatever its lines. */
static void test_rejects(void **state) {
  err_t e;
  (void)state;
  assert_null(load("AKIA1 s 111111111111\n", 0644, &e));
  assert_non_null(strstr(e.msg, "0600"));
  assert_null(load("AKIA1 s 111111111111\n", 0640, &e));
  assert_null(creds_load("/nonexistent/pcad-credentials", &e));
  assert_null(creds_load("/tmp", &e));
}

/* A KEY_ID on two lines: neither secret authenticates, the others do. */
static void test_duplicate_key(void **state) {
  err_t e;
  char pol[64];
  creds_t *c;
  (void)state;
  put(pol, good_policy, 0644, 0);
  {
    char text[512];
    snprintf(text, sizeof text,
             "AKIA1 full-secret 111111111111\nAKIA2 s2 222222222222\n"
             "AKIA1 restricted-secret 111111111111 %s\nAKIA3 s3 333333333333\n",
             pol);
    c = load(text, 0600, &e);
  }
  assert_non_null(c);
  assert_false(authenticates(c, "AKIA1"));
  assert_true(authenticates(c, "AKIA2"));
  assert_true(authenticates(c, "AKIA3"));
  assert_int_equal(creds_count(c), 2);
  assert_int_equal(creds_count_disabled(c), 2);
  /* a disabled key may do nothing, whatever asks */
  assert_non_null(creds_policy(c, "AKIA1"));
  assert_int_equal(creds_policy(c, "AKIA1")->n, 0);
  assert_non_null(strstr(logged, "AKIA1 is on lines 1, 3"));
  assert_null(strstr(logged, "full-secret"));
  assert_null(strstr(logged, "restricted-secret"));
  creds_free(c);
  unlink(pol);
}

/* Each bad policy file disables its own key, and only that one. */
static void test_bad_policy_files(void **state) {
  enum { GOOD, GROUPW, WORLDW, OTHER, MISSING, INVALID, DIR, LINK, N };
  static const char *const why[N] = {NULL,          "writable by group", "writable by group",
                                     "uid 65534",   "No such file",      "action 's3:*'",
                                     "not a regular", "symbolic link"};
  char pol[N][64], text[4096] = "AKIAPLAIN plain-secret 999999999999\n";
  err_t e;
  creds_t *c;
  (void)state;
  put(pol[GOOD], good_policy, 0644, 0);
  put(pol[GROUPW], good_policy, 0664, 0);
  put(pol[WORLDW], good_policy, 0646, 0);
  put(pol[OTHER], good_policy, 0644, 65534);
  put(pol[MISSING], good_policy, 0644, 0);
  unlink(pol[MISSING]);
  put(pol[INVALID], "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}",
      0644, 0);
  strcpy(pol[DIR], "/tmp");
  strcpy(pol[LINK], "/tmp/pcad-policy-link-XXXXXX");
  close(mkstemp(pol[LINK]));
  unlink(pol[LINK]);
  assert_int_equal(symlink(pol[GOOD], pol[LINK]), 0);
  for (int i = 0; i < N; i++)
    snprintf(text + strlen(text), sizeof text - strlen(text), "AKIAK%d secret-%d 11111111111%d %s\n",
             i, i, i, pol[i]);
  c = load(text, 0600, &e);
  assert_non_null(c);
  assert_true(authenticates(c, "AKIAPLAIN"));
  assert_true(authenticates(c, "AKIAK0"));
  assert_non_null(creds_policy(c, "AKIAK0"));
  assert_int_equal(creds_policy(c, "AKIAK0")->n, 1);
  for (int i = 1; i < N; i++) {
    char want[64];
    snprintf(want, sizeof want, "AKIAK%d", i);
    assert_false(authenticates(c, want));
    snprintf(want, sizeof want, ":%d: key AKIAK%d disabled", i + 2, i);
    assert_non_null(strstr(logged, want));
    assert_non_null(strstr(strstr(logged, want), why[i]));
  }
  assert_int_equal(creds_count(c), 2);
  assert_null(strstr(logged, "secret-"));
  creds_free(c);
  for (int i = 0; i < N; i++)
    if (i != DIR)
      unlink(pol[i]);
}

/* A malformed line disables the KEY_ID of its first field, on every line,
 * and nothing else. */
static void test_malformed_line(void **state) {
  err_t e;
  creds_t *c;
  (void)state;
  c = load("AKIA1 bad-secret 1111\nAKIA1 s1 111111111111\nAKIA2 s2 222222222222\n"
           "AKIA3 s3 333333333333 /p.json extra\nAKIA4\nAKIA5 s5 555555555555\n",
           0600, &e);
  assert_non_null(c);
  assert_false(authenticates(c, "AKIA1"));
  assert_true(authenticates(c, "AKIA2"));
  assert_false(authenticates(c, "AKIA3"));
  assert_false(authenticates(c, "AKIA4"));
  assert_true(authenticates(c, "AKIA5"));
  assert_non_null(strstr(logged, ":1: expected"));
  assert_non_null(strstr(logged, ":4: expected"));
  assert_non_null(strstr(logged, ":5: expected"));
  assert_null(strstr(logged, "bad-secret"));
  creds_free(c);
}

/* creds_changed: a policy file's content, mode, coming and going. */
static void test_changed(void **state) {
  char pol[64], gone[64], text[256];
  err_t e;
  creds_t *c;
  FILE *f;
  (void)state;
  put(pol, good_policy, 0644, 0);
  put(gone, good_policy, 0644, 0);
  unlink(gone);
  snprintf(text, sizeof text, "AKIA1 s1 111111111111 %s\nAKIA2 s2 222222222222 %s\n", pol, gone);
  c = load(text, 0600, &e);
  assert_non_null(c);
  assert_int_equal(creds_changed(c), 0);
  assert_int_equal(chmod(pol, 0664), 0);
  assert_int_equal(creds_changed(c), 1);
  assert_int_equal(chmod(pol, 0644), 0);
  creds_free(c);
  c = load(text, 0600, &e);
  f = fopen(pol, "w");
  fputs("{\"Statement\": []}", f);
  fclose(f);
  assert_int_equal(creds_changed(c), 1);
  creds_free(c);
  c = load(text, 0600, &e);
  assert_int_equal(creds_changed(c), 0);
  f = fopen(gone, "w"); /* the missing file appears */
  fputs(good_policy, f);
  fclose(f);
  assert_int_equal(creds_changed(c), 1);
  creds_free(c);
  c = load(text, 0600, &e);
  assert_int_equal(creds_changed(c), 0);
  unlink(pol); /* a file vanishes */
  assert_int_equal(creds_changed(c), 1);
  creds_free(c);
  unlink(gone);
  assert_int_equal(creds_changed(NULL), 0);
}

/* The change of KEY_ID id in v[n], NULL when none. */
static const creds_change_t *change_of(const creds_change_t *v, int n, const char *id) {
  for (int i = 0; i < n; i++)
    if (strcmp(v[i].key_id, id) == 0)
      return &v[i];
  return NULL;
}

/* creds_diff: added, removed, disabled, enabled, changed (account, policy
 * file, its content, secret), unchanged not listed; never a secret. */
static void test_diff(void **state) {
  char pol[64], other[64], a[512], b[512];
  creds_change_t *ch = NULL;
  const creds_change_t *x;
  creds_t *old, *now;
  err_t e;
  FILE *f;
  int n;
  (void)state;
  put(pol, good_policy, 0644, 0);
  put(other, good_policy, 0644, 0);
  snprintf(a, sizeof a,
           "AKSAME Qs3cSAME 111111111111\nAKGONE Qs3cGONE 111111111111\nAKOFF Qs3cOFF 111111111111\n"
           "AKON Qs3cON 111111111111 /nonexistent.json\nAKACC Qs3cACC 111111111111\n"
           "AKPOL Qs3cPOL 111111111111 %s\nAKTEXT Qs3cTEXT 111111111111 %s\nAKSEC Qs3cSEC1 111111111111\n",
           pol, other);
  snprintf(b, sizeof b,
           "AKSAME Qs3cSAME 111111111111\nAKNEW Qs3cNEW 222222222222\nAKOFF Qs3cOFF 1\n"
           "AKON Qs3cON 111111111111\nAKACC Qs3cACC 333333333333\n"
           "AKPOL Qs3cPOL 111111111111 %s\nAKTEXT Qs3cTEXT 111111111111 %s\nAKSEC Qs3cSEC2 111111111111\n",
           other, other);
  old = load(a, 0600, &e);
  assert_non_null(old);
  f = fopen(other, "w"); /* AKTEXT's policy changes between the loads */
  fputs("{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"acm-pca:Get*\", "
        "\"Resource\": \"*\"}]}", f);
  fclose(f);
  now = load(b, 0600, &e);
  assert_non_null(now);
  n = creds_diff(old, now, &ch);
  assert_int_equal(n, 8);
  assert_null(change_of(ch, n, "AKSAME"));
  x = change_of(ch, n, "AKNEW");
  assert_string_equal(audit_name(x->event), "AccessKeyAdded");
  assert_string_equal(x->account, "222222222222");
  assert_string_equal(audit_name(change_of(ch, n, "AKGONE")->event), "AccessKeyRemoved");
  assert_string_equal(audit_name(change_of(ch, n, "AKOFF")->event), "AccessKeyDisabled");
  assert_string_equal(audit_name(change_of(ch, n, "AKON")->event), "AccessKeyEnabled");
  x = change_of(ch, n, "AKACC");
  assert_string_equal(audit_name(x->event), "AccessKeyChanged");
  assert_non_null(strstr(x->detail, "account-changed"));
  assert_non_null(strstr(change_of(ch, n, "AKPOL")->detail, "policy-file-changed"));
  x = change_of(ch, n, "AKTEXT");
  assert_non_null(strstr(x->detail, "policy-content-changed"));
  assert_null(strstr(x->detail, "policy-file-changed"));
  assert_non_null(strstr(change_of(ch, n, "AKSEC")->detail, "secret-replaced"));
  for (int i = 0; i < n; i++) /* no secret in any detail */
    assert_null(strstr(ch[i].detail, "Qs3c"));
  free(ch);
  assert_int_equal(creds_diff(now, now, &ch), 0); /* the same load: nothing */
  free(ch);
  assert_int_equal(creds_diff(NULL, now, &ch), 8); /* a first load: all added */
  free(ch);
  assert_int_equal(creds_diff(old, NULL, &ch), 8); /* the file gone: all removed */
  assert_string_equal(audit_name(ch[0].event), "AccessKeyRemoved");
  free(ch);
  creds_free(old);
  creds_free(now);
  unlink(pol);
  unlink(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_lookup),     cmocka_unit_test(test_rejects),
      cmocka_unit_test(test_duplicate_key),   cmocka_unit_test(test_bad_policy_files),
      cmocka_unit_test(test_malformed_line),  cmocka_unit_test(test_changed),
      cmocka_unit_test(test_diff)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
