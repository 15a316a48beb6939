#ifndef PCAD_P11_H
#define PCAD_P11_H
/* The only door to the token. Nothing outside pkcs11/ sees a PKCS#11 or
 * libp11 type. */
#include "p11_err.h"

typedef struct p11 p11_t;

/* Loads module, finds the token labelled label, logs in once as the user
 * with the PIN from pin_file (one trailing newline stripped, wiped after
 * use), and loads the libp11 engine for signing. Any failure is final for
 * this start: a wrong PIN is never retried (real HSMs lock). */
p11_t *p11_open(const char *module, const char *label, const char *pin_file, p11_err_t *e);
/* 1 when the token session is alive and logged in (asks the token). */
int p11_logged_in(p11_t *p);

#include <openssl/evp.h>
#include <stddef.h>

#define P11_ID_LEN 16

/* 1 when the token can generate keys of this AWS KeyAlgorithm
 * (RSA_2048 ... EC_secp521r1), else 0 with e saying why
 * (P11_EARG). */
int p11_keygen_supports(p11_t *p, const char *key_algorithm, p11_err_t *e);
/* Generates a key pair inside the token (C_GenerateKeyPair with an explicit
 * template: token, private, sensitive, never extractable, sign only), with
 * CKA_LABEL = label and a random CKA_ID written to id. Serialized: one
 * generation at a time per process. */
int p11_keygen(p11_t *p, const char *key_algorithm, const char *label,
                 unsigned char id[P11_ID_LEN], p11_err_t *e);
/* Re-reads the private key's attributes; fails unless it is sensitive,
 * always sensitive, never extractable, local, private, a token object, and
 * cannot decrypt, unwrap or derive. */
int p11_key_check(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e);
/* The public key, read from the token (a software copy: public keys may
 * be). */
EVP_PKEY *p11_key_public(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e);
/* A handle for signing through the libp11 engine; the key stays in the
 * token. Free with EVP_PKEY_free. */
EVP_PKEY *p11_key_private(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e);
/* Destroys every object labelled label (C_DestroyObject); none is fine.
 * Returns how many were destroyed, or -1. */
int p11_key_destroy(p11_t *p, const char *label, p11_err_t *e);
void p11_close(p11_t *p);

#endif
