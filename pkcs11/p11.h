#ifndef PCAD_P11_H
#define PCAD_P11_H
/* The only door to the token. Nothing outside pkcs11/ sees a PKCS#11 or
 * libp11 type.
 *
 * The signer: each CA key is found once (by CKA_ID) and kept, the engine's
 * private key and a software copy of the public key; signatures run on a
 * few signing threads, each with a deadline, so a hung token costs the
 * caller a timeout, never its thread. Key generation, attribute reads and
 * destruction use a small pool of sessions of their own, so they never
 * hold a lock that signing needs. When the token fails, the signer is
 * quarantined (every call fails fast) and p11_check() rebuilds it with
 * backoff; a login refused for its PIN is never tried again. */
#include <openssl/evp.h>
#include <stddef.h>

#include "p11_err.h"

typedef struct p11 p11_t;

#define P11_ID_LEN 16

typedef struct {
  const char *module;    /* the PKCS#11 module */
  const char *label;     /* the token's label */
  const char *pin_file;  /* the user PIN: read at open and at each rebuild */
  int sign_threads;      /* signing threads (at most the token's sessions) */
  int queue_max;         /* signatures waiting for a thread; beyond: P11_EBUSY */
  long timeout_ms;       /* deadline of each signature or key load */
} p11_opts_t;

/* Loads the module, finds the token, opens sessions and logs in once, loads
 * the libp11 engine, finds (or makes) the probe key and starts the signing
 * threads. Any failure is final for this start: a wrong PIN is never
 * retried (real HSMs lock). */
P11_MUST_CHECK
p11_t *p11_open(const p11_opts_t *o, p11_err_t *e);
void p11_close(p11_t *p);
/* The PIN file as p11_open reads it (type, mode, owner, content), without
 * the token: 0, or -1 with why (never the PIN) in e. */
P11_MUST_CHECK
int p11_pin_file_check(const char *path, p11_err_t *e);

/* Health, at most once a second: when the signer is healthy, a real
 * signature with the probe key; when it is quarantined, a rebuild once its
 * backoff has passed. 1 when the signer can sign, else 0 and why. */
int p11_check(p11_t *p, char *why, size_t n);

/* Signing runs fn(arg, key) on a signing thread with the engine key of
 * CKA_ID id, within the deadline. 0 when fn returned > 0. On a timeout
 * (P11_ETIME) arg belongs to the signer from then on: it calls drop(arg)
 * once fn has returned; otherwise arg stays the caller's. */
typedef int (*p11_sign_fn)(void *arg, EVP_PKEY *key);
P11_MUST_CHECK
int p11_sign(p11_t *p, const unsigned char id[P11_ID_LEN], p11_sign_fn fn, void *arg,
             void (*drop)(void *arg), p11_err_t *e);
/* The public key of id (a software copy, kept with the engine key). Free
 * with EVP_PKEY_free. */
P11_MUST_CHECK
EVP_PKEY *p11_key_public(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e);

/* 1 when the token can generate keys of this AWS KeyAlgorithm
 * (RSA_2048 ... EC_secp521r1), else 0 with e saying why (P11_EARG). */
P11_MUST_CHECK
int p11_keygen_supports(p11_t *p, const char *key_algorithm, p11_err_t *e);
/* Generates a key pair inside the token (C_GenerateKeyPair with an explicit
 * template: token, private, sensitive, never extractable, sign only), with
 * CKA_LABEL = label and a random CKA_ID written to id, and checks the
 * private key's attributes. One generation at a time per process, on a
 * session of its own. */
P11_MUST_CHECK
int p11_keygen(p11_t *p, const char *key_algorithm, const char *label,
               unsigned char id[P11_ID_LEN], p11_err_t *e);
/* The CKA_ID of the private key labelled label; when there is none and
 * key_algorithm is set, one is generated as p11_keygen does. For keys of
 * pcad's own (the audit key), found by label because nothing outside the
 * token may say which key they are. 0, or -1. */
P11_MUST_CHECK
int p11_key_labelled(p11_t *p, const char *label, const char *key_algorithm,
                     unsigned char id[P11_ID_LEN], p11_err_t *e);
/* Destroys every object labelled label (C_DestroyObject) and forgets the
 * keys kept; none is fine. How many were destroyed, or -1. */
P11_MUST_CHECK
int p11_key_destroy(p11_t *p, const char *label, p11_err_t *e);
/* Forgets every key kept but the n CKA_IDs in ids (n * P11_ID_LEN bytes)
 * and the probe key: keys another process destroyed leave this one's
 * memory. How many keys are kept now. */
int p11_forget_others(p11_t *p, const unsigned char *ids, int n);

#endif
