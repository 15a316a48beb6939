#ifndef PCAD_KEY_H
#define PCAD_KEY_H
/* A CA's key in the token, with the token's errors as AWS errors: a
 * request the token cannot do is InvalidArgsException, a token failure
 * InternalFailure. */
#include <openssl/evp.h>

#include "base/err.h"
#include "core/ctx.h"

#define KEY_ID_LEN 16

/* 1 when the token can make keys of this KeyAlgorithm, else 0 with e set. */
int key_supports(const ctx_t *c, const char *key_algorithm, err_t *e);
/* Generates the key pair (CKA_LABEL label) and re-reads its attributes. */
int key_generate(const ctx_t *c, const char *key_algorithm, const char *label,
                 unsigned char id[KEY_ID_LEN], err_t *e);
/* The public key (a software copy) and the engine handle for signing. */
EVP_PKEY *key_public(const ctx_t *c, const unsigned char id[KEY_ID_LEN], err_t *e);
EVP_PKEY *key_private(const ctx_t *c, const unsigned char id[KEY_ID_LEN], err_t *e);
/* Destroys the objects labelled label; e may be NULL. How many, or -1. */
int key_destroy(const ctx_t *c, const char *label, err_t *e);

#endif
