/* The action table holds exactly the model's operations, and
 * router_handle answers each refusal before the queue as AWS does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/model.h"
#include "api/router.h"
#include "api/sigv4.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

static void test_actions_match_model(void **state) {
  (void)state;
  assert_int_equal(model_nops, 23);
  assert_int_equal(router_nactions, model_nops);
  for (int i = 0; i < router_nactions; i++) {
    if (!model_op(router_actions[i].name))
      fail_msg("action %s is not in the model", router_actions[i].name);
    for (int k = 0; k < i; k++)
      assert_string_not_equal(router_actions[i].name, router_actions[k].name);
  }
  for (int i = 0; i < model_nops; i++) {
    int found = 0;
    for (int k = 0; k < router_nactions; k++)
      found |= strcmp(router_actions[k].name, model_ops[i].name) == 0;
    if (!found)
      fail_msg("model operation %s has no action", model_ops[i].name);
  }
  assert_string_equal(model_target_prefix, "ACMPrivateCA");
  assert_string_equal(model_signing_name, "acm-pca");
}

/* The member of an operation's input shape of that name, or NULL. */
static const model_member_t *member_of(const model_op_t *op, const char *name) {
  const model_shape_t *in = &model_shapes[op->input];
  for (int i = 0; i < in->nmembers; i++)
    if (strcmp(in->members[i].name, name) == 0)
      return &in->members[i];
  return NULL;
}

/* One source of truth for what an operation acts on: the resource column
 * names a required ARN member of the operation's input, and an operation
 * with none ("*") has no member that could name a CA. */
static void test_resource_members_match_model(void **state) {
  static const char *const arn_members[] = {"CertificateAuthorityArn", "ResourceArn"};
  int none = 0;
  (void)state;
  for (int i = 0; i < router_nactions; i++) {
    const router_action_t *a = &router_actions[i];
    const model_op_t *op = model_op(a->name);
    assert_non_null(op);
    assert_true(op->input >= 0);
    if (!a->resource) {
      none++;
      for (size_t k = 0; k < sizeof arn_members / sizeof arn_members[0]; k++)
        if (member_of(op, arn_members[k]))
          fail_msg("%s names no resource but its input has %s", a->name, arn_members[k]);
      continue;
    }
    const model_member_t *m = member_of(op, a->resource);
    if (!m || !m->required)
      fail_msg("%s: %s is not a required member of its input", a->name, a->resource);
    assert_string_equal(model_shapes[m->shape].name, "Arn");
    for (size_t k = 0; k < sizeof arn_members / sizeof arn_members[0]; k++)
      if (strcmp(arn_members[k], a->resource) != 0 && member_of(op, arn_members[k]))
        fail_msg("%s has both %s and %s", a->name, a->resource, arn_members[k]);
  }
  assert_int_equal(none, 2); /* CreateCertificateAuthority, ListCertificateAuthorities */
}

/* ---- router_handle, driven on a hand-built request (no network, no
 * database): every refusal before the queue, and a valid request that the
 * queue (no workers, no room) cannot take. */

#define AKID "AKIDROUTERTEST"
#define SECRET "router/test/secret"
#define ACCOUNT "111122223333"
#define NAME "pca.example.test" /* [server] names */
#define JSON11 "application/x-amz-json-1.1"
#define TARGET(op) "ACMPrivateCA." #op
#define CA_ARN(part, region)                                                                  \
  "arn:" part ":acm-pca:" region ":" ACCOUNT                                                  \
  ":certificate-authority/12345678-1234-1234-1234-123456789012"

typedef struct {
  char cfg_path[64], creds_path[64];
  cfg_t cfg;
  struct event_base *base;
  workq_t *q;
  router_t *r;
} fixture_t;

/* What the router answered through req->reply. */
static struct {
  int calls, status;
  char ctype[64], err_type[64];
  char body[2048];
  size_t len;
} got;

static void capture(request_t *req, int status, const char *content_type, const char *err_type,
                    const char *body, size_t len) {
  (void)req; /* on the stack: not freed */
  got.calls++;
  got.status = status;
  snprintf(got.ctype, sizeof got.ctype, "%s", content_type ? content_type : "");
  snprintf(got.err_type, sizeof got.err_type, "%s", err_type ? err_type : "");
  got.len = len < sizeof got.body ? len : sizeof got.body - 1;
  memcpy(got.body, body, got.len);
  got.body[got.len] = '\0';
}

/* A request as the front door hands it over; fields left NULL are not sent
 * (secret NULL: no Authorization). The signature always covers
 * content-type, host, x-amz-date and x-amz-target, sent or not. */
typedef struct {
  const char *method, *path, *query, *host, *target, *ctype, *body, *secret, *akid;
  size_t body_len; /* 0: strlen(body) */
} call_t;

static call_t valid(const char *target, const char *body) {
  call_t c = {"POST", "/", "", NAME, target, JSON11, body, SECRET, AKID, 0};
  return c;
}

static size_t call_body_len(const call_t *c) {
  return c->body_len ? c->body_len : strlen(c->body);
}

static void tmpfile_with(char path[64], const char *text) {
  FILE *f;
  int fd;
  strcpy(path, "/tmp/pcad-router-XXXXXX");
  fd = mkstemp(path); /* 0600, as creds_load wants */
  assert_true(fd >= 0);
  f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* The Authorization header of c, its headers h[0..n) and X-Amz-Date date,
 * signed the SigV4 way for us-east-1/acm-pca. */
static void sign(const call_t *c, const sigv4_header_t *h, size_t n, const char *date,
                 char *authz, size_t authz_len) {
  static const char signed_headers[] = "content-type;host;x-amz-date;x-amz-target";
  sigv4_request_t sr = {c->method, c->path, c->query, h, n, (const unsigned char *)c->body,
                        call_body_len(c)};
  char payload[65], sig[65], day[9], scope[64];
  buf_t creq = {0}, sts = {0};
  snprintf(day, sizeof day, "%.8s", date);
  snprintf(scope, sizeof scope, "%s/us-east-1/acm-pca/aws4_request", day);
  sigv4_sha256_hex(c->body, call_body_len(c), payload);
  assert_int_equal(sigv4_canonical_request(&sr, signed_headers, payload, &creq), 0);
  assert_int_equal(sigv4_string_to_sign(date, scope, creq.data, &sts), 0);
  assert_int_equal(sigv4_signature(c->secret, day, "us-east-1", "acm-pca", sts.data, sig), 0);
  snprintf(authz, authz_len,
           "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s", c->akid, scope,
           signed_headers, sig);
  buf_free(&creq);
  buf_free(&sts);
}

/* router_handle on c, signed now; the answer is in `got`. */
static void drive(fixture_t *fx, const call_t *c) {
  char date[17], authz[512], path[64], query[64];
  time_t now = time(NULL);
  struct tm tm;
  sigv4_header_t h[5];
  size_t n = 0;
  request_t req;
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
  if (c->host)
    h[n++] = (sigv4_header_t){"Host", c->host};
  if (c->ctype)
    h[n++] = (sigv4_header_t){"Content-Type", c->ctype};
  h[n++] = (sigv4_header_t){"X-Amz-Date", date};
  if (c->target)
    h[n++] = (sigv4_header_t){"X-Amz-Target", c->target};
  if (c->secret) {
    sign(c, h, n, date, authz, sizeof authz);
    h[n++] = (sigv4_header_t){"Authorization", authz};
  }
  memset(&req, 0, sizeof req);
  strcpy(req.rid, "00000000-0000-0000-0000-000000000000");
  snprintf(path, sizeof path, "%s", c->path);
  snprintf(query, sizeof query, "%s", c->query);
  req.method = c->method;
  req.path = path;
  req.query = query;
  req.headers = h;
  req.nheaders = n;
  req.body = (unsigned char *)c->body;
  req.body_len = call_body_len(c);
  strcpy(req.remote, "127.0.0.1:40000");
  req.reply = capture;
  memset(&got, 0, sizeof got);
  router_handle(fx->r, &req);
}

/* The one reply: status (also err.def's for code), ErrorType, and a JSON
 * body {"__type": code, "message": ...} whose message holds needle. */
static void expect(int status, err_code_t code, const char *needle) {
  json_error_t je;
  json_t *v;
  const char *m;
  char msg[1024];
  assert_int_equal(got.calls, 1);
  assert_int_equal(err_status(code), status);
  assert_int_equal(got.status, status);
  assert_string_equal(got.ctype, JSON11);
  assert_string_equal(got.err_type, err_name(code));
  v = json_loadb(got.body, got.len, JSON_REJECT_DUPLICATES, &je);
  if (!v)
    fail_msg("reply body is not JSON (%s): %s", je.text, got.body);
  assert_int_equal(json_object_size(v), 2);
  assert_string_equal(json_string_value(json_object_get(v, "__type")), err_name(code));
  m = json_string_value(json_object_get(v, "message"));
  snprintf(msg, sizeof msg, "%s", m ? m : "(no message)");
  json_decref(v);
  if (!strstr(msg, needle))
    fail_msg("%s: message '%s' lacks '%s'", err_name(code), msg, needle);
}

static void drive_expect(fixture_t *fx, const call_t *c, int status, err_code_t code,
                         const char *needle) {
  drive(fx, c);
  expect(status, code, needle);
}

/* c passed every check: the queue (no room) refused it. */
static void drive_throttled(fixture_t *fx, const call_t *c) {
  drive_expect(fx, c, 400, ERR_ThrottlingException, "the request queue is full");
}

/* 1. An operation is a POST to / with no query; nothing else reaches the
 * signature check. */
static void test_not_an_operation(void **state) {
  fixture_t *fx = *state;
  call_t c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.method = "GET";
  drive_expect(fx, &c, 400, ERR_UnknownOperationException, "POST / (no query)");
  c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.query = "x=1";
  drive_expect(fx, &c, 400, ERR_UnknownOperationException, "POST / (no query)");
  c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.path = "/ListCertificateAuthorities";
  drive_expect(fx, &c, 400, ERR_UnknownOperationException, "POST / (no query)");
}

/* 2. SigV4 first: no signature, a wrong secret, an unknown key, and a good
 * signature for a Host that is not one of [server] names. */
static void test_authentication(void **state) {
  fixture_t *fx = *state;
  call_t c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.secret = NULL;
  drive_expect(fx, &c, 400, ERR_MissingAuthenticationTokenException,
               "Missing Authentication Token");
  c.secret = "not-the-secret";
  drive_expect(fx, &c, 400, ERR_InvalidSignatureException,
               "signature we calculated does not match");
  c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.akid = "AKIDUNKNOWN";
  drive_expect(fx, &c, 400, ERR_UnrecognizedClientException, "security token");
  c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.host = "other.example.test";
  drive_expect(fx, &c, 400, ERR_InvalidSignatureException,
               "signed for host 'other.example.test', which is not a name of this endpoint");
  c.host = NULL; /* signed, and not sent */
  drive_expect(fx, &c, 400, ERR_InvalidSignatureException,
               "signed for host '', which is not a name of this endpoint");
  c.host = NAME ":8443"; /* a name without a port matches any */
  drive_throttled(fx, &c);
}

/* 3. X-Amz-Target names an operation of the table, after the prefix and a
 * dot; a signed but absent target is missing. */
static void test_target(void **state) {
  static const char *const bad[] = {TARGET(NoSuchOperation), "ACMPrivateCA.",
                                    "ACMPrivateCAListCertificateAuthorities",
                                    "CertificateManager.ListCertificateAuthorities",
                                    "ACMPrivateCA.listcertificateauthorities", NULL};
  fixture_t *fx = *state;
  call_t c = valid(NULL, "{}");
  drive_expect(fx, &c, 400, ERR_UnknownOperationException,
               "Unknown or missing X-Amz-Target (expected ACMPrivateCA.<Operation>)");
  for (int i = 0; bad[i]; i++) {
    c.target = bad[i];
    drive_expect(fx, &c, 400, ERR_UnknownOperationException, "Unknown or missing X-Amz-Target");
  }
}

/* A JSON object of exactly len bytes: {, blanks, }. */
static char *padded_object(size_t len) {
  char *s = malloc(len + 1);
  assert_non_null(s);
  memset(s, ' ', len);
  s[0] = '{';
  s[len - 1] = '}';
  s[len] = '\0';
  return s;
}

/* 4. The action's body cap (actions.def, in KiB): at the cap a body is
 * read, one byte over it is refused before it is parsed. */
static void test_body_cap(void **state) {
  fixture_t *fx = *state;
  const router_action_t *list = NULL;
  char want[128], *body;
  call_t c;
  for (int i = 0; i < router_nactions; i++)
    if (strcmp(router_actions[i].name, "ListCertificateAuthorities") == 0)
      list = &router_actions[i];
  assert_non_null(list);
  assert_int_equal(list->max_body, 64 * 1024);
  body = padded_object(list->max_body + 1);
  c = valid(TARGET(ListCertificateAuthorities), body);
  snprintf(want, sizeof want, "the request body (%zu bytes) is over the %zu-byte limit of %s",
           list->max_body + 1, list->max_body, list->name);
  drive_expect(fx, &c, 400, ERR_ValidationException, want);
  body[list->max_body - 1] = '}';
  body[list->max_body] = '\0';
  c.body_len = list->max_body;
  drive_throttled(fx, &c);
  free(body);
}

/* 5. Content-Type is application/x-amz-json-1.1 (any case), parameters
 * allowed; anything else, or none, is a SerializationException. */
static void test_content_type(void **state) {
  static const char *const bad[] = {"application/json", "application/x-amz-json-1.0",
                                    "application/x-amz-json-1.10", "", NULL};
  static const char *const good[] = {JSON11 "; charset=utf-8", "Application/X-Amz-JSON-1.1",
                                     NULL};
  fixture_t *fx = *state;
  call_t c = valid(TARGET(ListCertificateAuthorities), "{}");
  c.ctype = NULL;
  drive_expect(fx, &c, 400, ERR_SerializationException,
               "Content-Type must be application/x-amz-json-1.1");
  for (int i = 0; bad[i]; i++) {
    c.ctype = bad[i];
    drive_expect(fx, &c, 400, ERR_SerializationException,
                 "Content-Type must be application/x-amz-json-1.1");
  }
  for (int i = 0; good[i]; i++) {
    c.ctype = good[i];
    drive_throttled(fx, &c);
  }
}

/* 6. The body: not JSON, not an object or a duplicate key is awsjson's
 * SerializationException; a wrong type is the model's SerializationException
 * and a constraint it breaks its ValidationException. */
static void test_body_json(void **state) {
  fixture_t *fx = *state;
  call_t c = valid(TARGET(ListCertificateAuthorities), "not json");
  drive_expect(fx, &c, 400, ERR_SerializationException, "Malformed JSON request body");
  c.body = "{\"MaxResults\": 1, \"MaxResults\": 2}";
  drive_expect(fx, &c, 400, ERR_SerializationException,
               "Malformed JSON request body: duplicate object key");
  c.body = "[]";
  drive_expect(fx, &c, 400, ERR_SerializationException, "must be a JSON object");
  c.body = "{\"MaxResults\": \"ten\"}";
  drive_expect(fx, &c, 400, ERR_SerializationException, "Expected an integer for 'maxResults'");
  c.body = "{\"MaxResults\": 0}";
  drive_expect(fx, &c, 400, ERR_ValidationException,
               "1 validation error detected: Value '0' at 'maxResults' failed to satisfy "
               "constraint: Member must have value greater than or equal to 1");
  c.body = "{\"MaxResults\": 1001}";
  drive_expect(fx, &c, 400, ERR_ValidationException,
               "Member must have value less than or equal to 1000");
  c.body = "";
  drive_throttled(fx, &c); /* an empty body is {} */
}

/* 7. The CA ARN names a CA of this endpoint (arn_ca_served: partition aws,
 * region us-east-1) and IssueCertificate's TemplateArn a known template;
 * the good ones reach the queue. */
#define ISSUE_BODY(tmpl)                                                                      \
  "{\"CertificateAuthorityArn\": \"" CA_ARN("aws", "us-east-1") "\", \"Csr\": \"MIIB\", "   \
  "\"SigningAlgorithm\": \"SHA256WITHRSA\", \"Validity\": {\"Type\": \"DAYS\", \"Value\": "   \
  "30}" tmpl "}"
#define DESCRIBE_BODY(arn) "{\"CertificateAuthorityArn\": \"" arn "\"}"
#define TEMPLATE(part, name) ", \"TemplateArn\": \"arn:" part ":acm-pca:::template/" name "\""

static void test_resource_arn(void **state) {
  fixture_t *fx = *state;
  call_t c = valid(TARGET(DescribeCertificateAuthority),
                   DESCRIBE_BODY(CA_ARN("aws", "eu-west-1")));
  drive_expect(fx, &c, 400, ERR_InvalidArnException,
               "is not a certificate authority of this endpoint (partition aws, region "
               "us-east-1)");
  c.body = DESCRIBE_BODY(CA_ARN("aws-cn", "us-east-1"));
  drive_expect(fx, &c, 400, ERR_InvalidArnException,
               "is not a certificate authority of this endpoint");
  /* the model's Arn pattern lets it through; arn_ca_parse does not */
  c.body = DESCRIBE_BODY("arn:aws:acm-pca:us-east-1:" ACCOUNT
                         ":certificate-authority/not-a-uuid");
  drive_expect(fx, &c, 400, ERR_InvalidArnException, "is not a valid certificate authority ARN");
  c.body = DESCRIBE_BODY(CA_ARN("aws", "us-east-1"));
  drive_throttled(fx, &c);
  c = valid(TARGET(IssueCertificate), ISSUE_BODY(TEMPLATE("aws", "NoSuchTemplate/V1")));
  drive_expect(fx, &c, 400, ERR_InvalidArgsException,
               "TemplateArn arn:aws:acm-pca:::template/NoSuchTemplate/V1 is not a known "
               "template");
  c.body = ISSUE_BODY(TEMPLATE("aws-cn", "EndEntityCertificate/V1"));
  drive_expect(fx, &c, 400, ERR_InvalidArgsException, "is not a known template");
  c.body = ISSUE_BODY(TEMPLATE("aws", "EndEntityCertificate/V1"));
  drive_throttled(fx, &c);
  c.body = ISSUE_BODY(""); /* no TemplateArn: the default template */
  drive_throttled(fx, &c);
}

/* 8. A fully valid, signed request reaches workq_submit, which a queue of
 * no room refuses: ThrottlingException, not a hang nor a 5xx. */
static void test_queue_full(void **state) {
  fixture_t *fx = *state;
  call_t c = valid(TARGET(ListCertificateAuthorities), "{\"MaxResults\": 10}");
  drive_expect(fx, &c, 400, ERR_ThrottlingException, "Rate exceeded: the request queue is full");
}

/* A router on a config and credentials read from temporary files, and a
 * queue with no workers and no room (qmax 0). */
static int router_setup(void **state) {
  fixture_t *fx = calloc(1, sizeof *fx);
  char text[512], msg[512];
  unsigned char page_key[32] = {1};
  err_t e;
  creds_t *creds;
  if (!fx || model_init(&e) < 0)
    return -1;
  log_set_level(LOG_LVL_WARNING); /* no request lines */
  tmpfile_with(fx->creds_path, AKID " " SECRET " " ACCOUNT "\n");
  snprintf(text, sizeof text,
           "[server]\ntls_cert_file = /c.pem\ntls_key_file = /k.pem\nnames = " NAME "\n"
           "[aws]\ncredentials_file = %s\n"
           "[hsm]\nmodule = /m.so\ntoken_label = t\npin_file = /pin\n"
           "[database]\nconninfo = host=/tmp dbname=pcad\n",
           fx->creds_path);
  tmpfile_with(fx->cfg_path, text);
  if (cfg_load(&fx->cfg, fx->cfg_path, msg, sizeof msg) < 0)
    fail_msg("cfg_load: %s", msg);
  if (!(creds = creds_load(fx->cfg.credentials_file, &e)))
    fail_msg("creds_load: %s", e.msg);
  assert_int_equal(creds_count(creds), 1);
  fx->base = event_base_new();
  assert_non_null(fx->base);
  fx->q = workq_new(fx->base, 0, 0, NULL, NULL, NULL);
  assert_non_null(fx->q);
  fx->r = router_new(&fx->cfg, fx->q, page_key, creds, NULL, NULL, NULL);
  assert_non_null(fx->r);
  *state = fx;
  return 0;
}

static int router_teardown(void **state) {
  fixture_t *fx = *state;
  router_free(fx->r); /* and the credentials */
  workq_free(fx->q);
  event_base_free(fx->base);
  cfg_free(&fx->cfg);
  unlink(fx->cfg_path);
  unlink(fx->creds_path);
  free(fx);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_actions_match_model),
                                     cmocka_unit_test(test_resource_members_match_model),
                                     cmocka_unit_test(test_not_an_operation),
                                     cmocka_unit_test(test_authentication),
                                     cmocka_unit_test(test_target),
                                     cmocka_unit_test(test_body_cap),
                                     cmocka_unit_test(test_content_type),
                                     cmocka_unit_test(test_body_json),
                                     cmocka_unit_test(test_resource_arn),
                                     cmocka_unit_test(test_queue_full)};
  return cmocka_run_group_tests(tests, router_setup, router_teardown);
}
