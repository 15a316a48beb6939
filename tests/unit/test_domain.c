/* Pure domain code: serials, ARNs, signing algorithms, and the AWS
 * documents (RevocationConfiguration, ASN1Subject, Extensions,
 * ApiPassthrough, CertificateAuthorityConfiguration) decoded into C. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/arn.h"
#include "core/serial.h"
#include "core/sigalg.h"
#include "shape/cacfg.h"
#include "shape/passthrough.h"
#include "shape/revcfg.h"
#include "shape/subject.h"

static json_t *J(const char *text) {
  json_t *v = json_loads(text, 0, NULL);
  assert_non_null(v);
  return v;
}

static void test_serial_normalize(void **state) {
  char out[64];
  (void)state;
  assert_int_equal(serial_normalize("00:0A:bC:01", out, sizeof out), 0);
  assert_string_equal(out, "abc01");
  assert_int_equal(serial_normalize("7f", out, sizeof out), 0);
  assert_string_equal(out, "7f");
  assert_int_equal(serial_normalize("00:00", out, sizeof out), -1); /* zero is no serial */
  assert_int_equal(serial_normalize("", out, sizeof out), -1);
  assert_int_equal(serial_normalize("12g4", out, sizeof out), -1);
  assert_int_equal(serial_normalize("123456", out, 4), -1); /* does not fit */
}

static void test_serial_new(void **state) {
  ASN1_INTEGER *ai = NULL;
  char hex[SERIAL_HEX], norm[SERIAL_HEX], again[SERIAL_HEX];
  (void)state;
  assert_int_equal(serial_new(&ai, hex, norm), 0);
  assert_int_equal(strlen(hex), 32);
  assert_int_equal(serial_normalize(hex, again, sizeof again), 0);
  assert_string_equal(again, norm);
  assert_true(ai->length > 0 && ai->length <= SERIAL_BYTES);
  ASN1_INTEGER_free(ai);
}

static void test_arn(void **state) {
  const char *id = "0b2c3d4e-1111-4222-8333-444455556666";
  char got[37];
  char *arn = arn_ca_make("aws", "us-east-1", "123456789012", id);
  err_t e;
  (void)state;
  assert_string_equal(arn, "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/"
                           "0b2c3d4e-1111-4222-8333-444455556666");
  assert_int_equal(arn_ca_parse(arn, got, &e), 0);
  assert_string_equal(got, id);
  free(arn);
  assert_int_equal(arn_ca_parse("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x",
                                got, &e), -1);
  assert_int_equal(e.code, ERR_InvalidArnException);
  assert_int_equal(arn_ca_parse("not an arn", got, &e), -1);
  assert_int_equal(e.code, ERR_InvalidArnException);
}

static void test_sigalg_fits(void **state) {
  err_t e;
  (void)state;
  assert_int_equal(sigalg_fits("SHA256WITHECDSA", "EC_prime256v1", &e), 0);
  assert_int_equal(sigalg_fits("SHA512WITHRSA_PSS", "RSA_4096", &e), 0);
  assert_int_equal(sigalg_fits("SHA256WITHRSA", "EC_secp384r1", &e), -1);
  assert_int_equal(e.code, ERR_InvalidArgsException);
  assert_int_equal(sigalg_fits("MD5WITHRSA", "RSA_2048", &e), -1);
  assert_int_equal(e.code, ERR_InvalidArgsException);
}

static err_code_t revcfg_code(const char *text) {
  json_t *v = J(text);
  revcfg_t r;
  err_t e;
  err_clear(&e);
  int rc = revcfg_from_json(v, &r, &e);
  assert_int_equal(rc < 0, e.code != ERR_OK);
  revcfg_clear(&r);
  json_decref(v);
  return e.code;
}

static void test_revcfg_rules(void **state) {
  (void)state;
  assert_int_equal(revcfg_code("{\"CrlConfiguration\":{\"Enabled\":false}}"), ERR_OK);
  assert_int_equal(revcfg_code("{\"CrlConfiguration\":{\"Enabled\":false,\"ExpirationInDays\":7}}"),
                   ERR_InvalidArgsException);
  assert_int_equal(revcfg_code("{\"CrlConfiguration\":{\"Enabled\":true}}"),
                   ERR_InvalidArgsException); /* no bucket */
  assert_int_equal(revcfg_code("{\"CrlConfiguration\":{\"Enabled\":true,\"S3BucketName\":\"A_b\"}}"),
                   ERR_InvalidArgsException);
  assert_int_equal(revcfg_code("{\"CrlConfiguration\":{\"Enabled\":true,\"S3BucketName\":\"crl-b\","
                               "\"CustomCname\":\"http://x.example\"}}"),
                   ERR_InvalidArgsException);
  assert_int_equal(revcfg_code("{\"CrlConfiguration\":{\"Enabled\":true,\"S3BucketName\":\"crl-b\","
                               "\"CustomCname\":\"x.example\",\"CrlDistributionPointExtension"
                               "Configuration\":{\"OmitExtension\":true}}}"),
                   ERR_InvalidArgsException);
  assert_int_equal(revcfg_code("{\"OcspConfiguration\":{\"Enabled\":true,"
                               "\"OcspCustomCname\":\"https://o.example\"}}"),
                   ERR_InvalidArgsException);
}

static void test_revcfg_decode_and_describe(void **state) {
  json_t *v = J("{\"CrlConfiguration\":{\"Enabled\":true,\"S3BucketName\":\"crl-b\","
                "\"CustomCname\":\"crl.example\",\"CustomPath\":\"p\"}}");
  revcfg_t r, back;
  err_t e;
  char *d;
  json_t *dj;
  (void)state;
  assert_int_equal(revcfg_from_json(v, &r, &e), 0);
  assert_true(r.crl_enabled);
  assert_false(r.ocsp_enabled);
  assert_string_equal(r.crl_cname, "crl.example");
  assert_string_equal(r.crl_bucket, "crl-b");
  assert_string_equal(r.crl_path, "p");
  assert_int_equal(revcfg_from_text(r.text, &back, &e), 0); /* stored form round-trips */
  assert_string_equal(back.crl_cname, "crl.example");
  dj = revcfg_describe(r.text);
  assert_true(json_is_false(json_object_get(json_object_get(dj, "OcspConfiguration"), "Enabled")));
  assert_true(json_is_true(json_object_get(json_object_get(dj, "CrlConfiguration"), "Enabled")));
  json_decref(dj);
  dj = revcfg_describe(NULL);
  d = json_dumps(dj, JSON_COMPACT);
  assert_non_null(strstr(d, "\"CrlConfiguration\":{\"Enabled\":false}"));
  free(d);
  json_decref(dj);
  revcfg_clear(&r);
  revcfg_clear(&back);
  json_decref(v);
}

static void test_subject(void **state) {
  json_t *v = J("{\"CommonName\":\"cn\",\"Country\":\"US\",\"Organization\":\"O\"}");
  json_t *empty = J("{}");
  json_t *mixed = J("{\"CommonName\":\"cn\",\"CustomAttributes\":[{\"ObjectIdentifier\":"
                    "\"2.5.4.3\",\"Value\":\"x\"}]}");
  char line[256];
  err_t e;
  X509_NAME *n = subject_to_name(v, &e);
  (void)state;
  assert_non_null(n);
  X509_NAME_oneline(n, line, sizeof line);
  assert_string_equal(line, "/C=US/O=O/CN=cn"); /* the model's order */
  X509_NAME_free(n);
  assert_null(subject_to_name(empty, &e));
  assert_int_equal(e.code, ERR_InvalidArgsException);
  assert_null(subject_to_name(mixed, &e));
  assert_int_equal(e.code, ERR_InvalidArgsException);
  json_decref(v);
  json_decref(empty);
  json_decref(mixed);
}

static void test_passthrough(void **state) {
  json_t *ok = J("{\"Subject\":{\"CommonName\":\"api\"},\"Extensions\":{"
                 "\"KeyUsage\":{\"DigitalSignature\":true},"
                 "\"ExtendedKeyUsage\":[{\"ExtendedKeyUsageType\":\"SERVER_AUTH\"}],"
                 "\"SubjectAlternativeNames\":[{\"DnsName\":\"a.example\"}],"
                 "\"CustomExtensions\":[{\"ObjectIdentifier\":\"1.2.3.4\",\"Value\":\"BQA=\"}]}}");
  json_t *bad = J("{\"Extensions\":{\"SubjectAlternativeNames\":[{}]}}");
  passthrough_t p;
  int nids[] = {NID_key_usage, NID_ext_key_usage, NID_subject_alt_name, NID_undef};
  (void)state;
  passthrough_from_json(NULL, &p);
  assert_false(p.present);
  assert_int_equal(p.err.code, ERR_OK);
  passthrough_clear(&p);
  passthrough_from_json(ok, &p);
  assert_true(p.present);
  assert_int_equal(p.err.code, ERR_OK);
  assert_non_null(p.subject);
  assert_int_equal(sk_X509_EXTENSION_num(p.ext), 4); /* in the model's order */
  for (int i = 0; i < 4; i++)
    assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(p.ext, i))),
                     nids[i]);
  passthrough_clear(&p);
  passthrough_from_json(bad, &p); /* kept, not thrown: the template decides */
  assert_true(p.present);
  assert_int_equal(p.err.code, ERR_InvalidArgsException);
  passthrough_clear(&p);
  json_decref(ok);
  json_decref(bad);
}

static void test_cacfg(void **state) {
  json_t *v = J("{\"KeyAlgorithm\":\"EC_prime256v1\",\"SigningAlgorithm\":\"SHA256WITHECDSA\","
                "\"Subject\":{\"CommonName\":\"ca\"},\"CsrExtensions\":{\"KeyUsage\":"
                "{\"KeyCertSign\":true,\"CRLSign\":true}}}");
  json_t *bad = J("{\"KeyAlgorithm\":\"EC_prime256v1\",\"SigningAlgorithm\":\"SHA256WITHECDSA\","
                  "\"Subject\":{}}");
  cacfg_t c, back;
  err_t e;
  (void)state;
  assert_int_equal(cacfg_from_json(v, &c, &e), 0);
  assert_string_equal(c.key_algorithm, "EC_prime256v1");
  assert_string_equal(c.signing_algorithm, "SHA256WITHECDSA");
  assert_int_equal(sk_X509_EXTENSION_num(c.csr_ext), 1);
  assert_int_equal(cacfg_from_text(c.text, &back, &e), 0);
  assert_int_equal(X509_NAME_cmp(c.subject, back.subject), 0);
  cacfg_clear(&c);
  cacfg_clear(&back);
  assert_int_equal(cacfg_from_json(bad, &c, &e), -1);
  assert_int_equal(e.code, ERR_InvalidArgsException);
  assert_int_equal(cacfg_from_text("not json", &c, &e), -1);
  json_decref(v);
  json_decref(bad);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_serial_normalize), cmocka_unit_test(test_serial_new),
      cmocka_unit_test(test_arn),              cmocka_unit_test(test_sigalg_fits),
      cmocka_unit_test(test_revcfg_rules),     cmocka_unit_test(test_revcfg_decode_and_describe),
      cmocka_unit_test(test_subject),          cmocka_unit_test(test_passthrough),
      cmocka_unit_test(test_cacfg),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
