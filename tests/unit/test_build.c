/* The build-and-verify steps with software keys made here (never in the
 * daemon): extension precedence, the template applied, signing algorithms,
 * and the CA-certificate import rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#include "core/cacert.h"
#include "core/certext.h"
#include "core/sigalg.h"
#include "core/templates.h"
#include "shape/passthrough.h"
#include "shape/revcfg.h"
#include "testkey.h"

static EVP_PKEY *ec_key(void) {
  EVP_PKEY *k = EVP_EC_gen("P-256");
  assert_non_null(k);
  return k;
}

/* A CA certificate of key, self-signed or signed by (issuer, ikey). */
static X509 *ca_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey) {
  X509 *x = X509_new();
  X509V3_CTX v3;
  X509_EXTENSION *bc;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), cn[0]);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
  X509_set_pubkey(x, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             (const unsigned char *)cn, -1, -1, 0);
  X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
  X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
  bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext(x, bc, -1);
  X509_EXTENSION_free(bc);
  assert_int_equal(sigalg_sign_cert(x, issuer ? ikey : key, "SHA256WITHECDSA", NULL), 0);
  return x;
}

static X509_REQ *csr_with_san(EVP_PKEY *key, const char *dns) {
  X509_REQ *r = X509_REQ_new();
  STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
  char v[128];
  snprintf(v, sizeof v, "DNS:%s", dns);
  sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, v));
  X509_REQ_set_pubkey(r, key);
  X509_REQ_add_extensions(r, exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return r;
}

static int has_eku(X509 *x, int nid) {
  EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
  int found = 0;
  for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++)
    found |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid;
  EXTENDED_KEY_USAGE_free(eku);
  return found;
}

static void test_precedence(void **state) {
  EVP_PKEY *cak = ec_key(), *leafk = ec_key();
  X509 *ca = ca_cert(cak, "ca", NULL, NULL), *x = X509_new();
  X509_REQ *req = csr_with_san(leafk, "csr.example");
  json_t *api = json_loads("{\"Extensions\":{\"ExtendedKeyUsage\":[{\"ExtendedKeyUsageType\":"
                           "\"CODE_SIGNING\"}],\"SubjectAlternativeNames\":[{\"DnsName\":"
                           "\"api.example\"}]}}", 0, NULL);
  revcfg_t rev = {.crl_enabled = 1, .crl_cname = "crl.example"};
  passthrough_t pt;
  const template_t *t = templates_find("aws", "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1");
  certext_in_t b;
  GENERAL_NAMES *san;
  err_t e;
  char cdp[256];
  (void)state;
  assert_non_null(t);
  passthrough_from_json(api, &pt);
  b = (certext_in_t){t, &pt, req, ca, &rev, "ca-id", "us-east-1"};
  X509_set_pubkey(x, leafk);
  assert_int_equal(certext_build(x, &b, &e), 0);
  /* the template's EKU beats the API's */
  assert_true(has_eku(x, NID_server_auth));
  assert_false(has_eku(x, NID_code_sign));
  /* the API's SAN beats the CSR's */
  san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  assert_int_equal(sk_GENERAL_NAME_num(san), 1);
  assert_string_equal((const char *)ASN1_STRING_get0_data(
                          sk_GENERAL_NAME_value(san, 0)->d.dNSName),
                      "api.example");
  GENERAL_NAMES_free(san);
  /* the CA's configuration gives the CDP */
  {
    CRL_DIST_POINTS *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
    GENERAL_NAME *g = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, 0);
    snprintf(cdp, sizeof cdp, "%s", ASN1_STRING_get0_data(g->d.uniformResourceIdentifier));
    CRL_DIST_POINTS_free(dps);
  }
  assert_string_equal(cdp, "http://crl.example/crl/ca-id.crl");
  /* signed with the CA key, it verifies against the CA certificate */
  X509_set_issuer_name(x, X509_get_subject_name(ca));
  X509_set_subject_name(x, X509_get_subject_name(ca));
  assert_int_equal(sigalg_sign_cert(x, cak, "SHA384WITHECDSA", &e), 0);
  assert_int_equal(X509_verify(x, cak), 1);
  assert_int_equal(X509_check_issued(ca, x), X509_V_OK); /* names and AKI match */
  passthrough_clear(&pt);
  json_decref(api);
  X509_free(x);
  X509_free(ca);
  X509_REQ_free(req);
  EVP_PKEY_free(cak);
  EVP_PKEY_free(leafk);
}

static void test_api_cdp_only_where_allowed(void **state) {
  EVP_PKEY *k = ec_key();
  X509_REQ *req = csr_with_san(k, "x.example");
  /* a CustomExtension with the CDP OID: EndEntityCertificate_APIPassthrough
   * takes the CDP from the CA configuration only */
  json_t *api = json_loads("{\"Extensions\":{\"CustomExtensions\":[{\"ObjectIdentifier\":"
                           "\"2.5.29.31\",\"Value\":\"MAA=\"}]}}", 0, NULL);
  revcfg_t rev = {0};
  passthrough_t pt;
  const template_t *t = templates_find("aws", "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1");
  X509 *x = X509_new();
  certext_in_t b;
  err_t e;
  (void)state;
  passthrough_from_json(api, &pt);
  b = (certext_in_t){t, &pt, req, NULL, &rev, "id", "r"};
  X509_set_pubkey(x, k);
  assert_int_equal(certext_build(x, &b, &e), 0);
  assert_int_equal(X509_get_ext_by_NID(x, NID_crl_distribution_points, -1), -1);
  passthrough_clear(&pt);
  json_decref(api);
  X509_free(x);
  X509_REQ_free(req);
  EVP_PKEY_free(k);
}

static void test_sigalg_sign(void **state) {
  EVP_PKEY *rsa = testkey_rsa2048();
  X509 *x = X509_new();
  err_t e;
  (void)state;
  X509_set_pubkey(x, rsa);
  assert_int_equal(sigalg_sign_cert(x, rsa, "SHA256WITHRSA_PSS", &e), 0);
  assert_int_equal(X509_verify(x, rsa), 1);
  assert_int_equal(OBJ_obj2nid(X509_get0_tbs_sigalg(x)->algorithm), NID_rsassaPss);
  X509_free(x);
  EVP_PKEY_free(rsa);
}

static unsigned char *der_of(X509 *x, int *n) {
  unsigned char *d = NULL;
  *n = i2d_X509(x, &d);
  return d;
}

static void test_cacert_rules(void **state) {
  EVP_PKEY *rootk = ec_key(), *subk = ec_key(), *other = ec_key();
  X509 *root = ca_cert(rootk, "root", NULL, NULL), *sub = ca_cert(subk, "sub", root, rootk);
  int rn, sn;
  unsigned char *rd = der_of(root, &rn), *sd = der_of(sub, &sn);
  cacert_t out;
  err_t e;
  (void)state;
  assert_int_equal(cacert_check("ROOT", rootk, rd, (size_t)rn, NULL, 0, time(NULL), &out, &e), 0);
  assert_null(out.chain_pem);
  cacert_clear(&out);
  assert_int_equal(cacert_check("ROOT", other, rd, (size_t)rn, NULL, 0, time(NULL), &out, &e), -1);
  assert_int_equal(e.code, ERR_CertificateMismatchException);
  assert_int_equal(cacert_check("SUBORDINATE", subk, sd, (size_t)sn, NULL, 0, time(NULL), &out, &e), -1);
  assert_int_equal(e.code, ERR_InvalidRequestException); /* no chain */
  assert_int_equal(cacert_check("SUBORDINATE", subk, sd, (size_t)sn, rd, (size_t)rn, time(NULL), &out, &e), 0);
  assert_non_null(out.chain_pem);
  cacert_clear(&out);
  assert_int_equal(cacert_check("SUBORDINATE", rootk, rd, (size_t)rn, rd, (size_t)rn, time(NULL), &out, &e), -1);
  assert_int_equal(e.code, ERR_InvalidRequestException); /* self-signed for a subordinate */
  OPENSSL_free(rd);
  OPENSSL_free(sd);
  X509_free(root);
  X509_free(sub);
  EVP_PKEY_free(rootk);
  EVP_PKEY_free(subk);
  EVP_PKEY_free(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_api_cdp_only_where_allowed),
      cmocka_unit_test(test_sigalg_sign),
      cmocka_unit_test(test_cacert_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
