#ifndef PCAD_TESTKEY_H
#define PCAD_TESTKEY_H
/* A fixed RSA-2048 key for unit tests (unit/data/rsa2048.pem, a test key
 * and nothing else): generating one takes tens of seconds under valgrind. */
#include <openssl/pem.h>
#include <stdio.h>

static inline EVP_PKEY *testkey_rsa2048(void) {
  FILE *f = fopen(PCAD_UNIT_DATA "/rsa2048.pem", "r");
  EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
  if (f)
    fclose(f);
  return k;
}

#endif
