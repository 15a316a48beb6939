/* The key-quality rules (core/goodkey.c) as IssueCertificate applies them
 * (csr_key_policy: MalformedCSRException) on fixed moduli made for these
 * tests (tests/unit/gen_goodkey_vectors.py made them): public exponents, small
 * factors, primes close enough for Fermat's method, the ROCA fingerprint,
 * EC points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <string.h>

#include "core/csr.h"
#include "core/goodkey.h"

/* Two random 1024-bit primes: a good modulus. */
static const char *GOOD_N =
    "aad1dfea0b4752b089006e4f55e2623807badf05b6870b3c26a2a11efc36f649"
    "007ea303da4be634f1fc3356079fb4a1b9e66fe3649f241cfd5007232ea40caf"
    "8e5a2374edc1c02d699bef70126500775e0117fc96682f369b136cfc5a1873c6"
    "67696c788745bb24f22b5d824c748131039b4a3e0705e76b574b0770259dab7f"
    "b94e779f23252bcd3a4433ed167a513884b6ec7bd628bcce4932f95f93341b74"
    "7c95c03d0c8a54dc80caa7bcb480cbfd8114f18e665248adf0ccb87d062bf997"
    "743c6c09e50ff4e2abe41132bd60cd65388140caaa705db817465d7bee95b240"
    "c523272a2e70699e47ae06451d190397dc6585e9af9b76159cbb2e984888223d";
/* q the next prime after p + about 2^516: Fermat's method factors it in
 * round 17. */
static const char *FERMAT_N =
    "eda4ed7484f084ef7b7186d31e7dd6d4bcbf16ac9aa7e4224334587db53738c0"
    "d7451dfdd9f3bef839c161a723ce70f753bb7ffe0d0737e8b7e456df3a265860"
    "9685e3477435ce9232f942c8f57db74ec9885a0130e328aa4341f5934e4792e9"
    "6dbb84a15e4acb6429db1996741c68d818e68b83593c7cd01af6c2ddbbb837e2"
    "c1983e8439ddeb0b9a2ca3aabb5c5df8b079ee3894b7e6e5eb9acb62bb049775"
    "22be7dc104510a94570e62bc99e52d461a5e3e60b0dbabcf69052b4ccfb77f69"
    "39a179736f1080e5a33aada4c3f7ec12c814d346d599a3b2ea511de1151c9382"
    "a1568f50a3c8087acd8ba0946d5a812737786af466c1b21ed924f1141b77d643";
/* q the next prime after p + about 2^519: 1158 rounds, past the 100 the
 * rule runs, so accepted. */
static const char *FERMAT_FAR_N =
    "a6b621b89b4ba2d3dd36e627ac35beedbe75c16759a93e9bda3a1ee1b346ff3b"
    "056847bda9e7f4a329b68986addbcddbb3359e046d12bb9ffb30ccb129ef4b62"
    "4ac41484ad2b03dbc0381ac6f0f6f734f1779012c7961073579c72fa3bd700cd"
    "cde185d542732a032ccb865156ee5f6f5dcdf9be9262a775c3a09d0425478d16"
    "ec7c2aad51d90edc2d6d45b7541402ac7217883b0dc45e833d22bad07be64275"
    "28421e28eba6b33e04a909a21f184c122e022d5dbed97368b54316eead2ac545"
    "5749752c283760ef9b98c4f30b0dec8cf61198eed328068b0d97b86de0118428"
    "9fe3fae2e510587c9e7a4a2e252b2ffb528f9d0e703783ff3208ec2e818f3e6d";
/* p, q both of the form k*M + (65537^a mod M), M = 2*3*...*167, as the
 * ROCA paper describes the affected library's primes: a constructed key
 * with the fingerprint (not one of the published test keys). */
static const char *ROCA_N =
    "a0d82b5a6b915252f0821048b886dbf37e6a4c427186f0a9e42ceb6b869cb61b"
    "2a5d6ec13613df661564c4237540feea755b01741651e528b33c59ea83efd4f4"
    "4776c21b58f2b5aaa1de9b9294225d1af6d6fdd42beb34abf579d8f04dc4c988"
    "42865f5254517517a182a00995e1efdb210597da19db40c01a0e9578075e14c3"
    "84760aef33f457c8514f232ae558133ade31120e8882512ba9979dae41722b17"
    "f10aec07dcee9d1e18c0c844a2ea581fc99108c7d81e0f4ff72adfca951e573c"
    "06562e911ca16f80cd4fef75964dd5665fc1d844e18e304e5337fbcaee02f209"
    "d37f5e890ddc9cc6434050bcbb597b3b77bb2465f8854698affdfd5fbe2befeb";

static EVP_PKEY *rsa_pub(const BIGNUM *n, const BIGNUM *e) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *p;
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
  EVP_PKEY *k = NULL;
  assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
  assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
  assert_non_null(p = OSSL_PARAM_BLD_to_param(bld));
  assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
  assert_int_equal(EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, p), 1);
  OSSL_PARAM_free(p);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(pc);
  return k;
}

/* The RSA key (n_hex times mult, e_hex) through csr_key_policy: NULL when
 * accepted, else the message (static). */
static const char *policy(const char *n_hex, unsigned long mult, const char *e_hex) {
  static err_t e;
  BIGNUM *n = NULL, *ex = NULL;
  EVP_PKEY *k;
  int rc;
  assert_true(BN_hex2bn(&n, n_hex) > 0 && BN_hex2bn(&ex, e_hex) > 0);
  assert_true(BN_mul_word(n, mult));
  k = rsa_pub(n, ex);
  memset(&e, 0, sizeof e);
  rc = csr_key_policy(k, &e);
  EVP_PKEY_free(k);
  BN_free(n);
  BN_free(ex);
  if (rc == 0)
    return NULL;
  assert_int_equal(e.code, ERR_MalformedCSRException);
  return e.msg;
}

static void refused(const char *msg, const char *part) {
  assert_non_null(msg);
  if (!strstr(msg, part))
    fail_msg("\"%s\" does not say \"%s\"", msg, part);
}

static void test_good_key(void **state) {
  EVP_PKEY *ec = EVP_EC_gen("P-256");
  err_t e;
  (void)state;
  assert_null(policy(GOOD_N, 1, "10001"));
  assert_int_equal(csr_key_policy(ec, &e), 0);
  EVP_PKEY_free(ec);
}

static void test_exponent(void **state) {
  /* odd, 65537 (2^16+1) to 2^256-1: pcad follows BR 6.1.6's SHOULD */
  static const char *bad[] = {"1", "2", "3", "11", "FFFF", "10000", "10002",
                              /* 2^256+1 */
                              "1000000000000000000000000000000000000000000000000000000000000000"
                              "1"};
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    refused(policy(GOOD_N, 1, bad[i]), "public exponent");
  refused(policy(GOOD_N, 1, "3"), "exponent 3;");
  assert_null(policy(GOOD_N, 1, "10001"));
  assert_null(policy(GOOD_N, 1, "10003"));
  assert_null(policy(GOOD_N, 1,
                     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
}

static void test_small_factor(void **state) {
  (void)state;
  refused(policy(GOOD_N, 7, "10001"), "divisible by 7");
  refused(policy(GOOD_N, 2, "10001"), "divisible by 2");
  refused(policy(GOOD_N, 997, "10001"), "divisible by 997");
  assert_null(policy(GOOD_N, 1009, "10001")); /* the first prime past the bound */
}

static void test_fermat(void **state) {
  BIGNUM *p = NULL, *sq = BN_new();
  BN_CTX *ctx = BN_CTX_new();
  char *hex;
  (void)state;
  refused(policy(FERMAT_N, 1, "10001"), "too close");
  assert_null(policy(FERMAT_FAR_N, 1, "10001"));
  /* n = p^2: round 0 */
  assert_true(BN_hex2bn(&p, GOOD_N) > 0);
  assert_true(BN_rshift(p, p, 1024) && BN_set_bit(p, 0) && BN_sqr(sq, p, ctx));
  hex = BN_bn2hex(sq);
  refused(policy(hex, 1, "10001"), "");
  OPENSSL_free(hex);
  BN_free(p);
  BN_free(sq);
  BN_CTX_free(ctx);
}

static void test_roca(void **state) {
  (void)state;
  refused(policy(ROCA_N, 1, "10001"), "ROCA");
}

/* EC: the point at infinity reads as a P-256 key but is no public key. */
static void test_ec_point(void **state) {
  unsigned char inf[1] = {0};
  OSSL_PARAM p[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, inf, 1),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  EVP_PKEY *k = NULL;
  err_t e;
  char why[160];
  (void)state;
  assert_int_equal(EVP_PKEY_fromdata_init(pc), 1);
  assert_int_equal(EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, p), 1);
  assert_int_equal(csr_key_policy(k, &e), -1);
  assert_int_equal(e.code, ERR_MalformedCSRException);
  assert_non_null(strstr(e.msg, "EC point"));
  assert_int_equal(goodkey_check(k, why, sizeof why), -1);
  EVP_PKEY_free(k);
  EVP_PKEY_CTX_free(pc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_key),     cmocka_unit_test(test_exponent),
      cmocka_unit_test(test_small_factor), cmocka_unit_test(test_fermat),
      cmocka_unit_test(test_roca),         cmocka_unit_test(test_ec_point),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
