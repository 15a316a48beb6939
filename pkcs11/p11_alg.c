#include "p11.h"

#include <string.h>

#include "p11_priv.h"

/* The key algorithms pcad generates, by AWS KeyAlgorithm name. */
static const unsigned char p11_alg_oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char p11_alg_oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char p11_alg_oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};

const p11_alg_t p11_alg_table[] = {
    {"RSA_2048", CKK_RSA, 2048, NULL, 0, NULL},
    {"RSA_3072", CKK_RSA, 3072, NULL, 0, NULL},
    {"RSA_4096", CKK_RSA, 4096, NULL, 0, NULL},
    {"EC_prime256v1", CKK_EC, 0, p11_alg_oid_p256, sizeof p11_alg_oid_p256, "prime256v1"},
    {"EC_secp384r1", CKK_EC, 0, p11_alg_oid_p384, sizeof p11_alg_oid_p384, "secp384r1"},
    {"EC_secp521r1", CKK_EC, 0, p11_alg_oid_p521, sizeof p11_alg_oid_p521, "secp521r1"},
};
const size_t p11_alg_count = sizeof p11_alg_table / sizeof p11_alg_table[0];

const p11_alg_t *p11_alg_find(const char *name) {
  for (size_t i = 0; i < p11_alg_count; i++)
    if (strcmp(p11_alg_table[i].name, name) == 0)
      return &p11_alg_table[i];
  return NULL;
}
