/* The JSON codec and the model-driven validation of inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/awserror.h"
#include "api/awsjson.h"
#include "api/model.h"

static err_code_t decode(const char *body, size_t len) {
  json_t *v = NULL;
  err_t e;
  err_clear(&e);
  int rc = awsjson_decode_body(body, len, &v, &e);
  assert_int_equal(rc < 0, e.code != ERR_OK);
  json_decref(v);
  return e.code;
}

static void test_decode(void **state) {
  static const char nul_body[] = "{\"a\":\"x\\u0000y\"}";
  static const char bad_utf8[] = "{\"a\":\"\xff\xfe\"}";
  char *deep = malloc(100001);
  (void)state;
  assert_int_equal(decode("", 0), ERR_OK); /* empty body: {} */
  assert_int_equal(decode("{}", 2), ERR_OK);
  assert_int_equal(decode("{", 1), ERR_SerializationException);
  assert_int_equal(decode("{} x", 4), ERR_SerializationException);
  assert_int_equal(decode("[]", 2), ERR_SerializationException);
  assert_int_equal(decode("\"s\"", 3), ERR_SerializationException);
  assert_int_equal(decode("{\"Csr\":\"A\",\"Csr\":\"B\"}", 21), ERR_SerializationException);
  assert_int_equal(decode("{\"a\":{\"b\":1,\"b\":2}}", 19), ERR_SerializationException);
  assert_int_equal(decode(nul_body, sizeof nul_body - 1), ERR_SerializationException);
  assert_int_equal(decode(bad_utf8, sizeof bad_utf8 - 1), ERR_SerializationException);
  assert_int_equal(decode("{\"a\":1}\0", 8), ERR_SerializationException);
  memset(deep, '[', 100000);
  deep[100000] = 0;
  assert_int_equal(decode(deep, 100000), ERR_SerializationException);
  free(deep);
}

static void test_base64(void **state) {
  unsigned char *out;
  size_t n;
  (void)state;
  assert_int_equal(awsjson_base64_decode("aGVsbG8=", 8, &out, &n), 0);
  assert_int_equal(n, 5);
  assert_memory_equal(out, "hello", 5);
  free(out);
  assert_int_equal(awsjson_base64_decode("aGVsbA==", 8, &out, &n), 0);
  assert_int_equal(n, 4);
  free(out);
  assert_int_equal(awsjson_base64_decode("", 0, &out, &n), 0);
  assert_int_equal(n, 0);
  free(out);
  assert_int_equal(awsjson_base64_decode("aGVsbG8", 7, &out, &n), -1);   /* unpadded */
  assert_int_equal(awsjson_base64_decode("aGV sbG8=", 9, &out, &n), -1); /* space */
  assert_int_equal(awsjson_base64_decode("aGV-bG8=", 8, &out, &n), -1);  /* url-safe */
  assert_int_equal(awsjson_base64_decode("!!!!", 4, &out, &n), -1);
  assert_int_equal(awsjson_base64_decode("a=Vs", 4, &out, &n), -1); /* '=' inside */
}

static void test_error_body(void **state) {
  char *s = awserror_body(ERR_InvalidStateException, "the \"CA\" is not active");
  json_t *v = json_loads(s, 0, NULL);
  (void)state;
  assert_non_null(v);
  assert_string_equal(json_string_value(json_object_get(v, "__type")), "InvalidStateException");
  assert_string_equal(json_string_value(json_object_get(v, "message")), "the \"CA\" is not active");
  assert_int_equal(json_object_size(v), 2);
  json_decref(v);
  free(s);
}

/* Validates body against the input shape of op; returns the error code and
 * copies the message. */
static err_code_t check(const char *op, const char *body, char *msg) {
  json_t *v = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
  const model_op_t *o = model_op(op);
  err_t e;
  assert_non_null(v);
  assert_non_null(o);
  err_clear(&e);
  int rc = model_validate(v, o->input, &e);
  assert_int_equal(rc < 0, e.code != ERR_OK);
  if (msg)
    strcpy(msg, e.msg);
  json_decref(v);
  return e.code;
}

static int setup(void **state) {
  err_t e;
  (void)state;
  return model_init(&e);
}

#define ARN "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"

static void test_model_types(void **state) {
  char msg[512];
  (void)state;
  assert_int_equal(check("ListCertificateAuthorities", "{}", NULL), ERR_OK);
  assert_int_equal(check("ListCertificateAuthorities", "{\"MaxResults\":\"5\"}", NULL),
                   ERR_SerializationException);
  assert_int_equal(check("ListCertificateAuthorities", "{\"MaxResults\":5.5}", NULL),
                   ERR_SerializationException);
  assert_int_equal(check("ListCertificateAuthorities", "{\"NextToken\":7}", NULL),
                   ERR_SerializationException);
  assert_int_equal(check("DeleteCertificateAuthority",
                         "{\"CertificateAuthorityArn\":\"" ARN "\","
                         "\"PermanentDeletionTimeInDays\":\"7\"}",
                         NULL),
                   ERR_SerializationException);
  assert_int_equal(check("IssueCertificate",
                         "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":\"aGVsbG8=\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\","
                         "\"Validity\":{\"Value\":\"30\",\"Type\":\"DAYS\"}}",
                         NULL),
                   ERR_SerializationException);
  assert_int_equal(check("IssueCertificate",
                         "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":123,"
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\","
                         "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}",
                         NULL),
                   ERR_SerializationException);
  /* a blob that is no base64 */
  assert_int_equal(check("IssueCertificate",
                         "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":\"!!!\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\","
                         "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}",
                         msg),
                   ERR_SerializationException);
  assert_int_equal(check("IssueCertificate",
                         "{\"CertificateAuthorityArn\":\"" ARN "\",\"Csr\":\"aGVsbG8=\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\","
                         "\"Validity\":{\"Value\":30,\"Type\":\"DAYS\"}}",
                         NULL),
                   ERR_OK);
}

static void test_model_constraints(void **state) {
  char msg[512];
  (void)state;
  assert_int_equal(check("ListCertificateAuthorities", "{\"MaxResults\":0}", msg),
                   ERR_ValidationException);
  assert_string_equal(msg, "1 validation error detected: Value '0' at 'maxResults' failed to "
                           "satisfy constraint: Member must have value greater than or equal to 1");
  assert_int_equal(check("ListCertificateAuthorities", "{\"MaxResults\":1001}", NULL),
                   ERR_ValidationException);
  assert_int_equal(check("ListCertificateAuthorities", "{\"MaxResults\":1000}", NULL), ERR_OK);
  assert_int_equal(check("ListCertificateAuthorities", "{\"ResourceOwner\":\"ME\"}", msg),
                   ERR_ValidationException);
  assert_non_null(strstr(msg, "enum value set: [SELF, OTHER_ACCOUNTS]"));
  assert_int_equal(check("ListCertificateAuthorities", "{\"NextToken\":\"\"}", NULL),
                   ERR_ValidationException);
  /* required members */
  assert_int_equal(check("DescribeCertificateAuthority", "{}", msg), ERR_ValidationException);
  assert_non_null(strstr(msg, "'certificateAuthorityArn'"));
  assert_non_null(strstr(msg, "Member must not be null"));
  /* the Arn pattern, full-match: a malformed ARN is InvalidArnException */
  assert_int_equal(check("DescribeCertificateAuthority",
                         "{\"CertificateAuthorityArn\":\"' OR 1=1--\"}", NULL),
                   ERR_InvalidArnException);
  assert_int_equal(check("DescribeCertificateAuthority",
                         "{\"CertificateAuthorityArn\":\"" ARN " \"}", NULL),
                   ERR_InvalidArnException);
  assert_int_equal(check("DescribeCertificateAuthority", "{\"CertificateAuthorityArn\":\"" ARN "\"}",
                         NULL),
                   ERR_OK);
  /* a list's length, and all errors counted: Arn length, Arn pattern, Tags length */
  assert_int_equal(check("TagCertificateAuthority",
                         "{\"CertificateAuthorityArn\":\"x\",\"Tags\":[]}", msg),
                   ERR_InvalidArnException);
  assert_true(strncmp(msg, "3 validation errors detected", 28) == 0);
  /* TagKey's \p{L} pattern: letters of any script pass, '*' does not */
  assert_int_equal(check("TagCertificateAuthority",
                         "{\"CertificateAuthorityArn\":\"" ARN "\",\"Tags\":[{\"Key\":\"Ümlaut "
                         "キー_.:/=+-@\",\"Value\":\"v\"}]}",
                         NULL),
                   ERR_OK);
  assert_int_equal(check("TagCertificateAuthority",
                         "{\"CertificateAuthorityArn\":\"" ARN "\",\"Tags\":[{\"Key\":\"a*b\"}]}",
                         msg),
                   ERR_InvalidTagException);
  assert_non_null(strstr(msg, "'tags.1.member.key'"));
  {
    /* 51 tags: TooManyTagsException */
    char body[4096];
    size_t o = (size_t)snprintf(body, sizeof body,
                                "{\"CertificateAuthorityArn\":\"" ARN "\",\"Tags\":[");
    for (int i = 0; i < 51; i++)
      o += (size_t)snprintf(body + o, sizeof body - o, "%s{\"Key\":\"k%d\"}", i ? "," : "", i);
    snprintf(body + o, sizeof body - o, "]}");
    assert_int_equal(check("TagCertificateAuthority", body, msg), ERR_TooManyTagsException);
    /* the member is named, not "Value null" (issue 24) */
    assert_string_equal(msg, "1 validation error detected: Value '[51 items]' at 'tags' failed to "
                             "satisfy constraint: Member must have length less than or equal to 50");
  }
  /* IdempotencyToken: 36 characters at most, \t\n\r and 0x20-0xFF */
  assert_int_equal(check("CreateCertificateAuthority",
                         "{\"CertificateAuthorityType\":\"ROOT\",\"IdempotencyToken\":\"tok\\u0001\","
                         "\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_2048\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}}}",
                         NULL),
                   ERR_ValidationException);
  assert_int_equal(check("CreateCertificateAuthority",
                         "{\"CertificateAuthorityType\":\"ROOT\",\"IdempotencyToken\":"
                         "\"0123456789012345678901234567890123456\","
                         "\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_2048\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{}}}",
                         NULL),
                   ERR_ValidationException);
  assert_int_equal(check("CreateCertificateAuthority",
                         "{\"CertificateAuthorityType\":\"ROOT\",\"IdempotencyToken\":\"t\\u00e9 1\","
                         "\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_2048\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"Country\":\"US\"}}}",
                         NULL),
                   ERR_OK);
  /* nested: Country is 2 letters */
  assert_int_equal(check("CreateCertificateAuthority",
                         "{\"CertificateAuthorityType\":\"ROOT\","
                         "\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":\"RSA_2048\","
                         "\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":{\"Country\":\"U1\"}}}",
                         msg),
                   ERR_ValidationException);
  assert_non_null(strstr(msg, "'certificateAuthorityConfiguration.subject.country'"));
}

/* Members outside the input shape (top level and nested) are removed by
 * validation, so no handler can read them: a CertificateAuthorityArn sent
 * to PutPolicy cannot steer what it acts on (issue 24). */
static void test_model_drops_unknown(void **state) {
  json_t *v = json_loads("{\"ResourceArn\":\"" ARN "\",\"Policy\":\"{}\","
                         "\"CertificateAuthorityArn\":\"" ARN "\",\"Extra\":{\"a\":1}}",
                         0, NULL);
  json_t *c = json_loads("{\"CertificateAuthorityType\":\"ROOT\",\"CertificateAuthorityArn\":"
                         "\"" ARN "\",\"CertificateAuthorityConfiguration\":{\"KeyAlgorithm\":"
                         "\"RSA_2048\",\"SigningAlgorithm\":\"SHA256WITHRSA\",\"Subject\":"
                         "{\"CommonName\":\"x\",\"ResourceArn\":\"" ARN "\"},\"Other\":1}}",
                         0, NULL);
  err_t e;
  (void)state;
  assert_int_equal(model_validate(v, model_op("PutPolicy")->input, &e), 0);
  assert_int_equal(json_object_size(v), 2);
  assert_non_null(json_object_get(v, "ResourceArn"));
  assert_non_null(json_object_get(v, "Policy"));
  assert_int_equal(model_validate(c, model_op("CreateCertificateAuthority")->input, &e), 0);
  assert_null(json_object_get(c, "CertificateAuthorityArn"));
  json_t *cfg = json_object_get(c, "CertificateAuthorityConfiguration");
  assert_null(json_object_get(cfg, "Other"));
  assert_null(json_object_get(json_object_get(cfg, "Subject"), "ResourceArn"));
  assert_string_equal(json_string_value(json_object_get(json_object_get(cfg, "Subject"),
                                                        "CommonName")),
                      "x");
  json_decref(v);
  json_decref(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_model_drops_unknown),
      cmocka_unit_test(test_decode),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_error_body),
      cmocka_unit_test(test_model_types),
      cmocka_unit_test(test_model_constraints),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
