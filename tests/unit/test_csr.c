/* csr_parse, which reads CSRs without OpenSSL's key decoders, against
 * OpenSSL's own d2i_X509_REQ on CSRs made here: the same subject, key,
 * extensions and encoding; PEM and DER; and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "core/csr.h"
#include "testkey.h"

static unsigned char *make_csr_pss(EVP_PKEY *key, const char *md, int pss, int *len);

/* A signed CSR of key with a CN and a SAN, as DER (*len). */
static unsigned char *make_csr(EVP_PKEY *key, int *len) {
  return make_csr_pss(key, "SHA256", 0, len);
}

/* The same signed with md (RSASSA-PSS when pss). */
static unsigned char *make_csr_pss(EVP_PKEY *key, const char *md, int pss, int *len) {
  X509_REQ *r = X509_REQ_new();
  STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
  unsigned char *der = NULL;
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_ASC,
                             (const unsigned char *)"csr.example", -1, -1, 0);
  sk_X509_EXTENSION_push(exts,
                         X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:a.example"));
  X509_REQ_set_pubkey(r, key);
  X509_REQ_add_extensions(r, exts);
  {
    EVP_MD_CTX *mc = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    assert_int_equal(EVP_DigestSignInit_ex(mc, &pc, md, NULL, NULL, key, NULL), 1);
    if (pss)
      assert_true(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) > 0);
    assert_true(X509_REQ_sign_ctx(r, mc) > 0);
    EVP_MD_CTX_free(mc);
  }
  *len = i2d_X509_REQ(r, &der);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_free(r);
  return der;
}

/* Parsed by csr_parse: everything OpenSSL reads from it is the same. */
static void same_as_openssl(const unsigned char *raw, size_t n, const unsigned char *der,
                            int len, EVP_PKEY *key) {
  const unsigned char *q = der;
  X509_REQ *want = d2i_X509_REQ(NULL, &q, len), *got;
  EVP_PKEY *pub = NULL;
  STACK_OF(X509_EXTENSION) *exts;
  unsigned char *again = NULL;
  err_t e;
  got = csr_parse(raw, n, &pub, &e);
  assert_non_null(got);
  assert_int_equal(EVP_PKEY_eq(pub, key), 1);
  assert_int_equal(X509_NAME_cmp(X509_REQ_get_subject_name(got),
                                 X509_REQ_get_subject_name(want)), 0);
  exts = X509_REQ_get_extensions(got);
  assert_int_equal(sk_X509_EXTENSION_num(exts), 1);
  assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, 0))),
                   NID_subject_alt_name);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  /* the rebuilt request's info encodes as the original's did (the key
   * copied, not re-encoded) */
  assert_int_equal(i2d_re_X509_REQ_tbs(got, &again) > 0, 1);
  {
    unsigned char *orig = NULL;
    int ol = i2d_re_X509_REQ_tbs(want, &orig);
    assert_memory_equal(again, orig, (size_t)ol);
    OPENSSL_free(orig);
  }
  OPENSSL_free(again);
  EVP_PKEY_free(pub);
  X509_REQ_free(got);
  X509_REQ_free(want);
}

static void test_keys_pem_and_der(void **state) {
  EVP_PKEY *keys[3] = {EVP_EC_gen("P-256"), EVP_EC_gen("P-384"), testkey_rsa2048()};
  (void)state;
  for (int i = 0; i < 3; i++) {
    int len;
    unsigned char *der = make_csr(keys[i], &len);
    BIO *b = BIO_new(BIO_s_mem());
    char *pem;
    long pl;
    const unsigned char *q = der;
    X509_REQ *r = d2i_X509_REQ(NULL, &q, len);
    PEM_write_bio_X509_REQ(b, r);
    pl = BIO_get_mem_data(b, &pem);
    same_as_openssl(der, (size_t)len, der, len, keys[i]);
    same_as_openssl((const unsigned char *)pem, (size_t)pl, der, len, keys[i]);
    BIO_free(b);
    X509_REQ_free(r);
    OPENSSL_free(der);
    EVP_PKEY_free(keys[i]);
  }
}

static void expect_malformed(const unsigned char *raw, size_t n, const char *part) {
  EVP_PKEY *pub = (EVP_PKEY *)1;
  err_t e;
  assert_null(csr_parse(raw, n, &pub, &e));
  assert_null(pub);
  assert_int_equal(e.code, ERR_MalformedCSRException);
  assert_non_null(strstr(e.msg, part));
}

static void test_refusals(void **state) {
  EVP_PKEY *ec = EVP_EC_gen("P-256"), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  int len, elen;
  unsigned char *der = make_csr(ec, &len), *bad = malloc((size_t)len + 1);
  X509_REQ *r = X509_REQ_new();
  unsigned char *edder = NULL;
  (void)state;
  memcpy(bad, der, (size_t)len);
  bad[len - 3] ^= 1; /* in the signature */
  expect_malformed(bad, (size_t)len, "signature does not verify");
  memcpy(bad, der, (size_t)len);
  bad[len] = 0; /* a byte after the CSR */
  expect_malformed(bad, (size_t)len + 1, "not valid");
  expect_malformed(der, (size_t)len - 1, "not valid");
  expect_malformed((const unsigned char *)"garbage", 7, "not valid");
  /* a key pcad does not take */
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_ASC,
                             (const unsigned char *)"ed.example", -1, -1, 0);
  X509_REQ_set_pubkey(r, ed);
  assert_true(X509_REQ_sign(r, ed, NULL) > 0);
  elen = i2d_X509_REQ(r, &edder);
  expect_malformed(edder, (size_t)elen, "not supported");
  OPENSSL_free(edder);
  X509_REQ_free(r);
  free(bad);
  OPENSSL_free(der);
  EVP_PKEY_free(ec);
  EVP_PKEY_free(ed);
}

/* C9: one CERTIFICATE REQUEST block and nothing after it but blanks. */
static void test_pem_blocks(void **state) {
  static const char cert[] = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
  EVP_PKEY *ec = EVP_EC_gen("P-256"), *pub = NULL;
  int len;
  unsigned char *der = make_csr(ec, &len);
  const unsigned char *q = der;
  X509_REQ *r = d2i_X509_REQ(NULL, &q, len);
  BIO *b = BIO_new(BIO_s_mem());
  char *pem, text[8192];
  long pl;
  err_t e;
  X509_REQ *ok;
  (void)state;
  PEM_write_bio_X509_REQ(b, r);
  pl = BIO_get_mem_data(b, &pem);
  snprintf(text, sizeof text, "%.*s \r\n\t\n", (int)pl, pem);
  ok = csr_parse((const unsigned char *)text, strlen(text), &pub, &e);
  assert_non_null(ok); /* trailing blanks are fine */
  X509_REQ_free(ok);
  EVP_PKEY_free(pub);
  snprintf(text, sizeof text, "%.*sgarbage\n", (int)pl, pem);
  expect_malformed((const unsigned char *)text, strlen(text), "not valid");
  snprintf(text, sizeof text, "%.*sx", (int)pl, pem);
  expect_malformed((const unsigned char *)text, strlen(text), "not valid");
  snprintf(text, sizeof text, "%.*s%.*s", (int)pl, pem, (int)pl, pem);
  expect_malformed((const unsigned char *)text, strlen(text), "not valid");
  snprintf(text, sizeof text, "%s%.*s", cert, (int)pl, pem);
  expect_malformed((const unsigned char *)text, strlen(text), "not valid");
  snprintf(text, sizeof text, "%.*s%s", (int)pl, pem, cert);
  expect_malformed((const unsigned char *)text, strlen(text), "not valid");
  BIO_free(b);
  X509_REQ_free(r);
  OPENSSL_free(der);
  EVP_PKEY_free(ec);
}

/* SHA-1 (and older) CSR signatures are refused; SHA-256 and up taken. */
static void test_weak_digests(void **state) {
  EVP_PKEY *keys[2] = {EVP_EC_gen("P-256"), testkey_rsa2048()};
  static const struct {
    const char *md;
    int pss, ok;
  } cases[] = {{"SHA1", 0, 0}, {"MD5", 0, 0}, {"SHA1", 1, 0}, {"SHA256", 1, 1},
               {"SHA384", 0, 1}, {"SHA512", 0, 1}};
  (void)state;
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      int len;
      unsigned char *der;
      if ((k == 0 && (cases[i].pss || strcmp(cases[i].md, "MD5") == 0)))
        continue; /* ECDSA has neither */
      der = make_csr_pss(keys[k], cases[i].md, cases[i].pss, &len);
      if (cases[i].ok) {
        EVP_PKEY *pub = NULL;
        err_t e;
        X509_REQ *got = csr_parse(der, (size_t)len, &pub, &e);
        assert_non_null(got);
        X509_REQ_free(got);
        EVP_PKEY_free(pub);
      } else {
        expect_malformed(der, (size_t)len, "SHA-1 or an older digest");
      }
      OPENSSL_free(der);
    }
  EVP_PKEY_free(keys[0]);
  EVP_PKEY_free(keys[1]);
}

/* An EC point off its curve: MalformedCSRException (the key does not
 * read). */
static void test_point_off_curve(void **state) {
  EVP_PKEY *ec = EVP_EC_gen("P-256");
  unsigned char point[65];
  size_t pl = 0;
  int len;
  unsigned char *der = make_csr(ec, &len), *at = NULL;
  (void)state;
  assert_int_equal(EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                   sizeof point, &pl), 1);
  for (int i = 0; i + (int)pl <= len && !at; i++)
    if (memcmp(der + i, point, pl) == 0)
      at = der + i;
  assert_non_null(at);
  at[pl - 1] ^= 1; /* y changed: no longer on the curve */
  expect_malformed(der, (size_t)len, "not supported");
  OPENSSL_free(der);
  EVP_PKEY_free(ec);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_keys_pem_and_der),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_pem_blocks),
      cmocka_unit_test(test_weak_digests),
      cmocka_unit_test(test_point_off_curve),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
