#ifndef PCAD_GOODKEY_H
#define PCAD_GOODKEY_H
/* Key quality (CA/Browser Forum BR 6.1.1.3 and 6.1.6), for the keys pcad
 * certifies (CSRs) and the CA certificates it imports:
 *  - RSA: the public exponent odd, 65537 to 2^256-1; no prime factor below
 *    1000; not factored by Fermat's method within 100 rounds (primes too
 *    close); not ROCA-fingerprinted (CVE-2017-15361).
 *  - EC: the point on its curve and not the point at infinity
 *    (EVP_PKEY_public_check).
 * Size and curve rules are the callers' (csr_key_policy). */
#include <openssl/evp.h>
#include <stddef.h>

/* 0 for a key that meets the rules; -1 with the reason, a sentence fit to
 * follow "the key ", in why (NUL-terminated). */
int goodkey_check(EVP_PKEY *k, char *why, size_t why_len);

#endif
