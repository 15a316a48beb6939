#ifndef PCAD_KEY_H
#define PCAD_KEY_H
/* A CA's key in the token, with the token's errors as AWS errors: a
 * request the token cannot do is InvalidArgsException, too many waiting
 * signatures ThrottlingException, any token failure (down, slow, key gone)
 * ServiceUnavailable. */
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "base/err.h"
#include "core/ctx.h"

#define KEY_ID_LEN 16

/* 1 when the token can make keys of this KeyAlgorithm, else 0 with e set. */
MUST_CHECK
int key_supports(const ctx_t *c, const char *key_algorithm, err_t *e);
/* Generates the key pair (CKA_LABEL label) and checks its attributes. */
MUST_CHECK
int key_generate(const ctx_t *c, const char *key_algorithm, const char *label,
                 unsigned char id[KEY_ID_LEN], err_t *e);
/* The public key (a software copy, kept by the signer). */
MUST_CHECK
EVP_PKEY *key_public(const ctx_t *c, const unsigned char id[KEY_ID_LEN], err_t *e);
/* Signs tbs (or req) with the key and the AWS SigningAlgorithm, within the
 * signer's deadline. Takes tbs (req): signed it comes back, else it is
 * freed (by the signer itself when the deadline passed first). */
MUST_CHECK
X509 *key_sign_cert(const ctx_t *c, const unsigned char id[KEY_ID_LEN], X509 *tbs,
                    const char *signing_algorithm, err_t *e);
X509_REQ *key_sign_req(const ctx_t *c, const unsigned char id[KEY_ID_LEN], X509_REQ *req,
                       const char *signing_algorithm, err_t *e);
MUST_CHECK
X509_CRL *key_sign_crl(const ctx_t *c, const unsigned char id[KEY_ID_LEN], X509_CRL *crl,
                       const char *signing_algorithm, err_t *e);
/* Takes bs and signer (the CA certificate) the same way. */
OCSP_BASICRESP *key_sign_ocsp(const ctx_t *c, const unsigned char id[KEY_ID_LEN],
                              OCSP_BASICRESP *bs, X509 *signer, const char *signing_algorithm,
                              err_t *e);
/* A detached signature over data by the key (malloc'ed, its length in
 * *siglen), or NULL. */
MUST_CHECK
unsigned char *key_sign_data(const ctx_t *c, const unsigned char id[KEY_ID_LEN],
                             const void *data, size_t len, const char *signing_algorithm,
                             size_t *siglen, err_t *e);
/* The key labelled label (pcad's own, such as the audit key); generated
 * with key_algorithm when there is none and key_algorithm is set. */
MUST_CHECK
int key_labelled(const ctx_t *c, const char *label, const char *key_algorithm,
                 unsigned char id[KEY_ID_LEN], err_t *e);
/* Destroys the objects labelled label; e may be NULL. How many, or -1. */
MUST_CHECK
int key_destroy(const ctx_t *c, const char *label, err_t *e);
/* Janitor: the signer forgets the keys no CA has any more (destroyed by
 * any instance); 0 (nothing more to do this round), or -1. */
MUST_CHECK
int key_forget_unused(const ctx_t *c, err_t *e);

#endif
