/* Audit report lines: AWS's serial, time and subject formats, CSV quoting,
 * JSON members left out when empty, and the DER fallback for old rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "shape/dn.h"
#include "shape/reportline.h"

static reportline_cert_t cert(const char *serial, const char *subject) {
  reportline_cert_t c = {"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x/"
                         "certificate/abc",
                         serial, subject, "EndEntityCertificate/V1", NULL, NULL, 0,
                         1795348800LL, 1797940800LL, 1795348801LL, -1};
  return c;
}

static void test_csv(void **state) {
  reportline_t l = {1, "aws", "111122223333", 0};
  reportline_cert_t c = cert("abc", "CN=say \"hi\",O=x");
  buf_t b = {0};
  (void)state;
  assert_string_equal(reportline_head(&l),
                      "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject,"
                      "notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn\n");
  assert_int_equal(reportline_put(&l, &c, &b), 0);
  assert_string_equal(b.data,
                      "111122223333,,arn:aws:acm-pca:us-east-1:111122223333:certificate-authority"
                      "/x/certificate/abc,0a:bc,\"CN=say \"\"hi\"\",O=x\",2026-11-22T12:00:00+0000,"
                      "2026-12-22T12:00:00+0000,2026-11-22T12:00:01+0000,,,"
                      "arn:aws:acm-pca:::template/EndEntityCertificate/V1\n");
  assert_string_equal(reportline_tail(&l), "");
  buf_free(&b);
}

static void test_json(void **state) {
  reportline_t l = {0, "aws-cn", "111122223333", 0};
  reportline_cert_t a = cert("1f", "CN=a"), r = cert("ff00", "CN=b");
  buf_t b = {0};
  (void)state;
  r.revoked_at = 1795348802LL;
  r.reason = "KEY_COMPROMISE";
  assert_string_equal(reportline_head(&l), "[");
  assert_int_equal(reportline_put(&l, &a, &b), 0);
  assert_int_equal(reportline_put(&l, &r, &b), 0);
  assert_int_equal(l.lines, 2);
  assert_non_null(strstr(b.data, "},{"));
  assert_null(strstr(b.data, "requestedByServicePrincipal"));
  /* the live one has no revocation members, the revoked one has both */
  assert_non_null(strstr(b.data, "\"serial\":\"1f\",\"subject\":\"CN=a\""));
  assert_non_null(strstr(b.data, "\"issuedAt\":\"2026-11-22T12:00:01+0000\","
                                 "\"templateArn\":\"arn:aws-cn:acm-pca:::template/"));
  assert_non_null(strstr(b.data, "\"serial\":\"ff:00\""));
  assert_non_null(strstr(b.data, "\"revokedAt\":\"2026-11-22T12:00:02+0000\","
                                 "\"revocationReason\":\"KEY_COMPROMISE\""));
  buf_free(&b);
}

static X509_NAME *name(void) {
  X509_NAME *n = X509_NAME_new();
  assert_true(X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1,
                                         -1, 0));
  assert_true(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                         (const unsigned char *)"Z\xc3\xbcrich; #1", -1, -1, 0));
  assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)" a+b",
                                         -1, -1, 0));
  /* joins the CN's RDN */
  assert_true(X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_ASC,
                                         (const unsigned char *)"42", -1, -1, -1));
  return n;
}

static void test_dn(void **state) {
  X509_NAME *n = name();
  char *s = dn_rfc2253(n);
  (void)state;
  /* last RDN first; serialNumber has no RFC 2253 name: OID=#DER
   * (PrintableString "42"); an RDN's values in DER (SET OF) order */
  assert_string_equal(s, "2.5.4.5=#13023432+CN=\\ a\\+b,O=Z\xc3\xbcrich\\; #1,C=US");
  free(s);
  X509_NAME_free(n);
}

static void test_subject_from_der(void **state) {
  X509 *x = X509_new();
  X509_NAME *n = name();
  EVP_PKEY *k = EVP_EC_gen("P-256");
  unsigned char *der = NULL;
  reportline_t l = {1, "aws", "111122223333", 0};
  reportline_cert_t c = cert("01", NULL);
  buf_t b = {0};
  int len;
  (void)state;
  assert_true(X509_set_subject_name(x, n) && X509_set_issuer_name(x, n) &&
              X509_set_pubkey(x, k) &&
              X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 60) && X509_sign(x, k, EVP_sha256()));
  assert_true((len = i2d_X509(x, &der)) > 0);
  c.der = der;
  c.der_len = (size_t)len;
  assert_int_equal(reportline_put(&l, &c, &b), 0);
  assert_non_null(
      strstr(b.data, ",01,\"2.5.4.5=#13023432+CN=\\ a\\+b,O=Z\xc3\xbcrich\\; #1,C=US\","));
  /* neither a subject nor a certificate: the line cannot be written */
  c.der = NULL;
  assert_int_equal(reportline_put(&l, &c, &b), -1);
  OPENSSL_free(der);
  X509_NAME_free(n);
  X509_free(x);
  EVP_PKEY_free(k);
  buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_csv),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_dn),
      cmocka_unit_test(test_subject_from_der),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
