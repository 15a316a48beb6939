/* SigV4: canonicalization against the AWS test suite, verification against
 * requests signed by botocore, and every rejection case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/sigv4.h"

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  long n;
  char *s;
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  s = malloc((size_t)n + 1);
  if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
    free(s);
    s = NULL;
  }
  if (s)
    s[n] = '\0';
  fclose(f);
  return s;
}

typedef struct {
  char *method, *path, *query, *body;
  sigv4_header_t h[32];
  char *names[32], *values[32];
  size_t n;
} raw_req_t;

/* Parses a test-suite .req file: request line, headers (with folded
 * continuation lines), blank line, body. */
static void parse_req(char *text, raw_req_t *r) {
  char *save = NULL, *line, *sp, *q, *body = strstr(text, "\n\n");
  memset(r, 0, sizeof *r);
  if (body) {
    *body = '\0';
    r->body = body + 2;
  } else {
    r->body = "";
  }
  line = strtok_r(text, "\n", &save);
  sp = strchr(line, ' ');
  *sp = '\0';
  r->method = line;
  r->path = sp + 1;
  sp = strrchr(r->path, ' '); /* " HTTP/1.1" */
  *sp = '\0';
  q = strchr(r->path, '?');
  r->query = "";
  if (q) {
    *q = '\0';
    r->query = q + 1;
  }
  while ((line = strtok_r(NULL, "\n", &save))) {
    if ((line[0] == ' ' || line[0] == '\t') && r->n) {
      char *v = r->values[r->n - 1], *nv = malloc(strlen(v) + strlen(line) + 2);
      sprintf(nv, "%s %s", v, line);
      free(v);
      r->values[r->n - 1] = nv;
      continue;
    }
    sp = strchr(line, ':');
    assert_non_null(sp);
    *sp = '\0';
    r->names[r->n] = strdup(line);
    r->values[r->n] = strdup(sp + 1);
    r->n++;
  }
  for (size_t i = 0; i < r->n; i++) {
    r->h[i].name = r->names[i];
    r->h[i].value = r->values[i];
  }
}

static void free_req(raw_req_t *r) {
  for (size_t i = 0; i < r->n; i++) {
    free(r->names[i]);
    free(r->values[i]);
  }
}

static int suite_cases;

static void run_case(const char *dir, const char *name) {
  char path[1200], *req, *creq, *sts, *authz;
  raw_req_t r;
  sigv4_auth_t a;
  sigv4_request_t sr;
  buf_t c = {0}, s = {0};
  char payload[65], sig[65], scope[256];
  const char *date = NULL;
  err_t e;

  snprintf(path, sizeof path, "%s/%s.req", dir, name);
  req = slurp(path);
  snprintf(path, sizeof path, "%s/%s.creq", dir, name);
  creq = slurp(path);
  snprintf(path, sizeof path, "%s/%s.sts", dir, name);
  sts = slurp(path);
  snprintf(path, sizeof path, "%s/%s.authz", dir, name);
  authz = slurp(path);
  assert_non_null(req);
  assert_non_null(creq);
  assert_non_null(sts);
  assert_non_null(authz);
  parse_req(req, &r);
  assert_int_equal(sigv4_parse_authorization(authz, &a, &e), 0);
  if (strcmp(name, "get-vanilla-with-session-token") == 0) {
    /* this case's token is supplied by the harness, as in botocore's runner */
    r.names[r.n] = strdup("X-Amz-Security-Token");
    r.values[r.n] = strdup("6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267");
    r.h[r.n].name = r.names[r.n];
    r.h[r.n].value = r.values[r.n];
    r.n++;
  }
  for (size_t i = 0; i < r.n; i++)
    if (strcasecmp(r.h[i].name, "x-amz-date") == 0)
      date = r.h[i].value;
  assert_non_null(date);
  sr = (sigv4_request_t){r.method, r.path, r.query, r.h, r.n, (unsigned char *)r.body,
                         strlen(r.body)};
  sigv4_sha256_hex(r.body, strlen(r.body), payload);
  assert_int_equal(sigv4_canonical_request(&sr, a.signed_headers, payload, &c), 0);
  if (strcmp(c.data, creq) != 0)
    fail_msg("%s: canonical request differs:\n--- got\n%s\n--- want\n%s", name, c.data, creq);
  snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", a.date, a.region, a.service);
  assert_int_equal(sigv4_string_to_sign(date, scope, c.data, &s), 0);
  assert_string_equal(s.data, sts);
  assert_int_equal(sigv4_signature(SUITE_SECRET, a.date, a.region, a.service, s.data, sig), 0);
  assert_string_equal(sig, a.signature);
  suite_cases++;
  buf_free(&c);
  buf_free(&s);
  free_req(&r);
  free(req);
  free(creq);
  free(sts);
  free(authz);
}

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  assert_non_null(d);
  while ((de = readdir(d))) {
    char sub[1024];
    size_t l = strlen(de->d_name);
    if (de->d_name[0] == '.')
      continue;
    snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
    if (de->d_type == DT_DIR) {
      walk(sub);
    } else if (l > 4 && strcmp(de->d_name + l - 4, ".req") == 0) {
      char name[256];
      snprintf(name, sizeof name, "%.*s", (int)(l - 4), de->d_name);
      run_case(dir, name);
    }
  }
  closedir(d);
}

static void test_aws_suite(void **state) {
  (void)state;
  walk(PCAD_SIGV4_SUITE);
  /* the suite has 31 request cases; all must have been found and passed */
  assert_true(suite_cases >= 30);
}

/* ---- verification against botocore-signed requests ---- */

typedef struct {
  const char *akid, *secret, *account;
} keys_t;

static int lookup(void *ctx, const char *akid, const char **secret, const char **account) {
  keys_t *k = ctx;
  if (strcmp(akid, k->akid) != 0)
    return -1;
  *secret = k->secret;
  *account = k->account;
  return 0;
}

typedef struct {
  json_t *doc;
  keys_t keys;
  sigv4_policy_t pol;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  f->doc = json_load_file(PCAD_UNIT_DATA "/botocore_signed.json", 0, NULL);
  assert_non_null(f->doc);
  f->keys.akid = json_string_value(json_object_get(f->doc, "access_key"));
  f->keys.secret = json_string_value(json_object_get(f->doc, "secret"));
  f->keys.account = "123456789012";
  f->pol = (sigv4_policy_t){"us-east-1", "acm-pca",
                            (time_t)json_integer_value(json_object_get(f->doc, "now")), 900,
                            lookup, &f->keys};
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  json_decref(f->doc);
  free(f);
  return 0;
}

/* A request from the fixture with its headers copied so tests may edit them. */
typedef struct {
  sigv4_request_t r;
  sigv4_header_t h[16];
  const char *body;
} req_t;

static void load(fixture_t *f, int i, req_t *q) {
  json_t *j = json_array_get(json_object_get(f->doc, "requests"), (size_t)i), *hs, *h;
  size_t k;
  memset(q, 0, sizeof *q);
  hs = json_object_get(j, "headers");
  json_array_foreach(hs, k, h) {
    q->h[k].name = json_string_value(json_array_get(h, 0));
    q->h[k].value = json_string_value(json_array_get(h, 1));
  }
  q->body = json_string_value(json_object_get(j, "body"));
  q->r = (sigv4_request_t){json_string_value(json_object_get(j, "method")),
                           json_string_value(json_object_get(j, "path")),
                           "",
                           q->h,
                           json_array_size(hs),
                           (const unsigned char *)q->body,
                           strlen(q->body)};
}

static sigv4_header_t *hdr(req_t *q, const char *name) {
  for (size_t i = 0; i < q->r.nheaders; i++)
    if (strcasecmp(q->h[i].name, name) == 0)
      return &q->h[i];
  return NULL;
}

static err_code_t verify(fixture_t *f, req_t *q, err_t *e) {
  sigv4_principal_t who;
  err_clear(e);
  int rc = sigv4_verify(&q->r, &f->pol, &who, e);
  assert_int_equal(rc < 0, e->code != ERR_OK);
  return e->code;
}

static void test_botocore_signed(void **state) {
  fixture_t *f = *state;
  size_t n = json_array_size(json_object_get(f->doc, "requests"));
  assert_true(n >= 4);
  for (size_t i = 0; i < n; i++) {
    req_t q;
    sigv4_principal_t who;
    err_t e;
    load(f, (int)i, &q);
    err_clear(&e);
    if (sigv4_verify(&q.r, &f->pol, &who, &e) != 0)
      fail_msg("request %zu: %s: %s", i, err_name(e.code), e.msg);
    assert_string_equal(who.account, "123456789012");
    assert_string_equal(who.access_key, f->keys.akid);
  }
}

static void test_wrong_secret(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  f->keys.secret = "not-the-secret";
  load(f, 0, &q);
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  assert_non_null(strstr(e.msg, "does not match"));
}

static void test_unknown_key(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  f->keys.akid = "AKIAOTHERKEY";
  load(f, 0, &q);
  assert_int_equal(verify(f, &q, &e), ERR_UnrecognizedClientException);
}

static void test_expired(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  load(f, 0, &q);
  f->pol.now += 20 * 60;
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  assert_non_null(strstr(e.msg, "Signature expired: 20261122T120000Z is now earlier than"));
  f->pol.now -= 40 * 60;
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  assert_non_null(strstr(e.msg, "Signature not yet current"));
  f->pol.now += 20 * 60 + 14 * 60; /* inside the window */
  assert_int_equal(verify(f, &q, &e), ERR_OK);
}

static void test_tampered(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  load(f, 1, &q);
  q.r.body = (const unsigned char *)"{\"MaxResults\": 6, \"ResourceOwner\": \"SELF\"}";
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  load(f, 1, &q);
  hdr(&q, "X-Amz-Target")->value = "ACMPrivateCA.RevokeCertificate";
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  load(f, 1, &q);
  hdr(&q, "Host")->value = "127.0.0.1:9999";
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
}

static void test_missing_and_malformed(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  sigv4_header_t *a;
  load(f, 0, &q);
  hdr(&q, "Authorization")->name = "X-Not-Authorization";
  assert_int_equal(verify(f, &q, &e), ERR_MissingAuthenticationTokenException);
  static const char *const bad[] = {
      "garbage",
      "AWS4-HMAC-SHA1 Credential=AKIAPCADTESTKEY00001/20261122/us-east-1/acm-pca/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00",
      "AWS4-HMAC-SHA256 Credential=AKIAPCADTESTKEY00001/20261122/us-east-1/acm-pca/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target",
      "AWS4-HMAC-SHA256 Credential=AKIAPCADTESTKEY00001/20261122/us-east-1/acm-pca, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
      "bd548b5ddd2ae99b849f382af07d15bc06a261c81e6af2ff50cfcb41235767ba",
      "AWS4-HMAC-SHA256 Credential=AKIAPCADTESTKEY00001/20261122/us-east-1/acm-pca/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, Signature="
      "bd548b5ddd2ae99b849f382af07d15bc06a261c81e6af2ff50cfcb41235767ba",
      "AWS4-HMAC-SHA256 Credential=AKIAPCADTESTKEY00001/20261122/us-east-1/acm-pca/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=XYZ",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    load(f, 0, &q);
    hdr(&q, "Authorization")->value = bad[i];
    if (verify(f, &q, &e) != ERR_IncompleteSignatureException)
      fail_msg("case %zu: got %s (%s)", i, err_name(e.code), e.msg);
  }
  /* two Authorization headers */
  load(f, 0, &q);
  a = hdr(&q, "Authorization");
  q.h[q.r.nheaders++] = *a;
  assert_int_equal(verify(f, &q, &e), ERR_IncompleteSignatureException);
  /* a pre-signed query string */
  load(f, 0, &q);
  q.r.query = "X-Amz-Signature=abc";
  assert_int_equal(verify(f, &q, &e), ERR_IncompleteSignatureException);
  /* two X-Amz-Date headers */
  load(f, 0, &q);
  q.h[q.r.nheaders++] = *hdr(&q, "X-Amz-Date");
  assert_int_equal(verify(f, &q, &e), ERR_IncompleteSignatureException);
  /* an X-Amz-Date that is no date */
  load(f, 0, &q);
  hdr(&q, "X-Amz-Date")->value = "20261322T120000Z";
  assert_int_equal(verify(f, &q, &e), ERR_IncompleteSignatureException);
}

static void test_scope(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  load(f, 0, &q);
  f->pol.region = "eu-west-1";
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  assert_non_null(strstr(e.msg, "valid region"));
  f->pol.region = "us-east-1";
  f->pol.service = "s3";
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
}

static void test_payload_hash_header(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  char good[65];
  load(f, 0, &q);
  q.h[q.r.nheaders].name = "X-Amz-Content-Sha256";
  q.h[q.r.nheaders++].value = "UNSIGNED-PAYLOAD";
  assert_int_equal(verify(f, &q, &e), ERR_InvalidSignatureException);
  sigv4_sha256_hex(q.body, strlen(q.body), good);
  q.h[q.r.nheaders - 1].value = good;
  assert_int_equal(verify(f, &q, &e), ERR_OK);
}

static void test_session_token(void **state) {
  fixture_t *f = *state;
  req_t q;
  err_t e;
  load(f, 0, &q);
  q.h[q.r.nheaders].name = "X-Amz-Security-Token";
  q.h[q.r.nheaders++].value = "FQoGZXIvYXdzE";
  assert_int_equal(verify(f, &q, &e), ERR_UnrecognizedClientException);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_suite),
      cmocka_unit_test_setup_teardown(test_botocore_signed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_secret, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
      cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_and_malformed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
      cmocka_unit_test_setup_teardown(test_payload_hash_header, setup, teardown),
      cmocka_unit_test_setup_teardown(test_session_token, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
