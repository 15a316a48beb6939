#include "core/goodkey.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GOODKEY_FACTOR_BELOW 1000 /* trial division by the primes below this */
#define GOODKEY_FERMAT_ROUNDS 100 /* BR 6.1.1.3 */

/* The small primes of the ROCA fingerprint (CVE-2017-15361). The rule is
 * the one published with the paper (Nemec et al., "The Return of
 * Coppersmith's Attack", CCS 2017; crocs-muni/roca, roca/detect.py, which
 * Boulder's goodkey uses through titanous/rocacheck): an affected
 * library's primes are k*M + (65537^a mod M), M a primorial, so for each
 * of these primes p the modulus mod p lies in the subgroup that 65537
 * generates mod p. The subgroups are computed here, not copied as masks. */
static const unsigned goodkey_roca_primes[] = {3,   5,   7,   11,  13,  17,  19,  23,  29,  31,
                                               37,  41,  43,  47,  53,  59,  61,  67,  71,  73,
                                               79,  83,  89,  97,  101, 103, 107, 109, 113, 127,
                                               131, 137, 139, 149, 151, 157, 163, 167};

static int goodkey_why(char *why, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, len, fmt, ap);
  va_end(ap);
  return -1;
}

/* 1 when v is in the subgroup that 65537 generates mod p (p < 256). */
static int goodkey_roca_in_subgroup(unsigned v, unsigned p) {
  unsigned g = 65537 % p, r = 1;
  do {
    if (r == v)
      return 1;
    r = r * g % p;
  } while (r != 1);
  return 0;
}

/* 1 when n carries the ROCA fingerprint. */
static int goodkey_roca(const BIGNUM *n) {
  for (size_t i = 0; i < sizeof goodkey_roca_primes / sizeof goodkey_roca_primes[0]; i++) {
    unsigned p = goodkey_roca_primes[i];
    if (!goodkey_roca_in_subgroup((unsigned)BN_mod_word(n, p), p))
      return 0;
  }
  return 1;
}

/* The least prime factor of n below GOODKEY_FACTOR_BELOW, or 0. */
static unsigned goodkey_small_factor(const BIGNUM *n) {
  char composite[GOODKEY_FACTOR_BELOW] = {0};
  for (unsigned p = 2; p < GOODKEY_FACTOR_BELOW; p++) {
    if (composite[p])
      continue;
    for (unsigned m = p * p; m < GOODKEY_FACTOR_BELOW; m += p)
      composite[m] = 1;
    if (BN_mod_word(n, p) == 0)
      return p;
  }
  return 0;
}

/* 0 when v cannot be a square (its residues mod 64, 63, 65 and 11 say so,
 * as GMP's mpz_perfect_square_p filters); 1 when it may be. */
static int goodkey_maybe_square(const BIGNUM *v) {
  static const unsigned mods[] = {64, 63, 65, 11};
  for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
    BN_ULONG w = BN_mod_word(v, mods[i]);
    int square = 0;
    for (unsigned x = 0; x < mods[i] && !square; x++)
      square = x * x % mods[i] == w;
    if (!square)
      return 0;
  }
  return 1;
}

/* r := floor(sqrt(v)), by Newton's method from above. 0, or -1. */
static int goodkey_isqrt(BIGNUM *r, const BIGNUM *v, BN_CTX *ctx) {
  BIGNUM *y;
  int rc = -1;
  BN_CTX_start(ctx);
  y = BN_CTX_get(ctx);
  BN_zero(r);
  if (!y || (!BN_is_zero(v) && !BN_set_bit(r, (BN_num_bits(v) + 1) / 2)))
    goto out;
  /* r starts at or above sqrt(v) and falls to floor(sqrt(v)) */
  while (!BN_is_zero(r)) {
    if (!BN_div(y, NULL, v, r, ctx) || !BN_add(y, y, r) || !BN_rshift1(y, y))
      goto out;
    if (BN_cmp(y, r) >= 0)
      break;
    if (!BN_copy(r, y))
      goto out;
  }
  rc = 0;
out:
  BN_CTX_end(ctx);
  return rc;
}

/* 1 when v is a perfect square, 0 when not, -1 on error. */
static int goodkey_is_square(const BIGNUM *v, BN_CTX *ctx) {
  BIGNUM *s, *s2;
  int rc = -1;
  if (!goodkey_maybe_square(v))
    return 0;
  BN_CTX_start(ctx);
  s = BN_CTX_get(ctx);
  s2 = BN_CTX_get(ctx);
  if (s2 && goodkey_isqrt(s, v, ctx) == 0 && BN_sqr(s2, s, ctx))
    rc = BN_cmp(s2, v) == 0;
  BN_CTX_end(ctx);
  return rc;
}

/* Fermat's method: n = a^2 - b^2 = (a+b)(a-b), a from ceil(sqrt(n)) up,
 * for GOODKEY_FERMAT_ROUNDS values of a (as Boulder's goodkey does,
 * checkPrimeFactorsTooClose). 1 when it factors n, 0 when not, -1 on error. */
static int goodkey_fermat(const BIGNUM *n, BN_CTX *ctx) {
  BIGNUM *a, *b2, *step;
  int found = -1;
  BN_CTX_start(ctx);
  a = BN_CTX_get(ctx);
  b2 = BN_CTX_get(ctx);
  step = BN_CTX_get(ctx);
  if (!step || goodkey_isqrt(a, n, ctx) < 0 || !BN_sqr(b2, a, ctx))
    goto out;
  if (BN_cmp(b2, n) == 0) { /* n = a^2 */
    found = 1;
    goto out;
  }
  /* a := ceil(sqrt(n)), b2 := a^2 - n; then b2 grows by 2a+1 as a does */
  if (!BN_add_word(a, 1) || !BN_sqr(b2, a, ctx) || !BN_sub(b2, b2, n))
    goto out;
  found = 0;
  for (int round = 0; round < GOODKEY_FERMAT_ROUNDS && found == 0; round++) {
    found = goodkey_is_square(b2, ctx);
    if (found == 0 && (!BN_lshift1(step, a) || !BN_add_word(step, 1) ||
                       !BN_add(b2, b2, step) || !BN_add_word(a, 1)))
      found = -1;
  }
out:
  BN_CTX_end(ctx);
  return found;
}

/* The public exponent: odd, 65537 (2^16+1) to 2^256-1. */
static int goodkey_exponent(const BIGNUM *e, char *why, size_t len) {
  char *dec = NULL;
  int rc;
  if (BN_is_odd(e) && BN_num_bits(e) <= 256 && (BN_num_bits(e) > 17 || BN_get_word(e) >= 65537))
    return 0;
  dec = BN_num_bits(e) <= 256 ? BN_bn2dec(e) : NULL;
  rc = goodkey_why(why, len,
                   "has the RSA public exponent %s; an odd exponent from 65537 to 2^256-1 is "
                   "required",
                   dec ? dec : "above 2^256-1");
  OPENSSL_free(dec);
  return rc;
}

static int goodkey_rsa(EVP_PKEY *k, char *why, size_t len) {
  BIGNUM *n = NULL, *e = NULL;
  BN_CTX *ctx = BN_CTX_new();
  unsigned factor;
  int rc = -1, fermat;
  if (!ctx || EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
      EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
    goodkey_why(why, len, "cannot be read as an RSA public key");
    goto out;
  }
  if (goodkey_exponent(e, why, len) < 0)
    goto out;
  if ((factor = goodkey_small_factor(n)) != 0) {
    goodkey_why(why, len, "has an RSA modulus divisible by %u", factor);
    goto out;
  }
  if (goodkey_roca(n)) {
    goodkey_why(why, len, "is an RSA key with the ROCA fingerprint (CVE-2017-15361)");
    goto out;
  }
  if ((fermat = goodkey_fermat(n, ctx)) != 0) {
    goodkey_why(why, len,
                fermat > 0 ? "has an RSA modulus whose primes are too close (Fermat's method "
                             "factors it)"
                           : "could not be checked (out of memory)");
    goto out;
  }
  rc = 0;
out:
  BN_free(n);
  BN_free(e);
  BN_CTX_free(ctx);
  return rc;
}

/* The point is on its curve and not at infinity. The quick check leaves
 * out the order check (point * n == infinity), which on the curves pcad
 * accepts (P-256/384/521, cofactor 1) every such point passes: it cost 37 us
 * of the issuance path against 4 us (P-256, this machine). */
static int goodkey_ec(EVP_PKEY *k, char *why, size_t len) {
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
  int ok = pc && EVP_PKEY_public_check_quick(pc) == 1;
  EVP_PKEY_CTX_free(pc);
  ERR_clear_error();
  if (ok)
    return 0;
  return goodkey_why(why, len, "has an EC point that is not a valid point of its curve");
}

int goodkey_check(EVP_PKEY *k, char *why, size_t why_len) {
  if (why_len)
    why[0] = '\0';
  if (k && EVP_PKEY_is_a(k, "RSA"))
    return goodkey_rsa(k, why, why_len);
  if (k && EVP_PKEY_is_a(k, "EC"))
    return goodkey_ec(k, why, why_len);
  return 0; /* other key types are the callers' to refuse */
}
