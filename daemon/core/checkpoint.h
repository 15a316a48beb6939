#ifndef PCAD_CHECKPOINT_H
#define PCAD_CHECKPOINT_H
/* Signed audit checkpoints. Every chain's head (chain, seq, hash) signed
 * with the audit key, a key of pcad's own in the token (label
 * CHECKPOINT_KEY_LABEL; sign only, never extractable, like the CA keys),
 * and written outside PostgreSQL: into the bucket store (and S3 when
 * configured), and its digest to the log. `pcad audit verify` holds the
 * chains against every checkpoint it finds, so that a database owner who
 * relinks, drops or cuts a chain is found out: the signed checkpoints no
 * longer agree, and without the token no new ones can be made.
 *
 * The document (text, one item per line; the signature covers every byte
 * before its own line):
 *   pcad audit checkpoint 1
 *   written <epoch seconds> <ISO 8601>
 *   by <host>-<pid>
 *   key <SHA-256 of the audit key's SubjectPublicKeyInfo, hex>
 *   chain <seq> <hash, hex> <chain>        (one per chain)
 *   signature <ECDSA P-256 / SHA-256 signature, DER, base64> */
#include <openssl/evp.h>

#include "publish/bucket.h"
#include "core/ctx.h"
#include "core/key.h"
#include "store/store_chain.h"

#define CHECKPOINT_KEY_LABEL "pcad-audit"
#define CHECKPOINT_DIR "checkpoints"

typedef struct {
  char name[160];       /* the file's */
  long long written;    /* epoch seconds */
  char key_sha256[65];
  store_chain_head_t *heads;
  int n;
  size_t body_len;      /* the signed bytes: the document up to "signature" */
  unsigned char *sig;
  size_t siglen;
} checkpoint_t;

/* The audit key in the token; made (one instance at a time) when create is
 * set and there is none. */
MUST_CHECK
int checkpoint_key(const ctx_t *c, int create, unsigned char id[KEY_ID_LEN], err_t *e);
/* The hex SHA-256 of pub's SubjectPublicKeyInfo: 0, or -1. */
int checkpoint_key_sha256(EVP_PKEY *pub, char out[65]);
/* A checkpoint of every chain now, signed and written to
 * <bucket>/checkpoints/<time>-<host>-<pid>-<n>.txt. */
MUST_CHECK
int checkpoint_write(const ctx_t *c, const bucket_t *b, const char *bucket,
                     const unsigned char id[KEY_ID_LEN], err_t *e);
/* The document without its signature line (malloc'ed, NUL-terminated). */
char *checkpoint_body(const store_chain_head_t *h, int n, long long written, const char *by,
                      const char key_sha256[65], size_t *len);
/* A document read back: 0, or -1 with why in e (malformed). */
MUST_CHECK
int checkpoint_parse(const char *doc, size_t len, checkpoint_t *out, err_t *e);
void checkpoint_clear(checkpoint_t *cp);
/* Every checkpoint in dir, each signature checked with pub: 0 with the
 * checkpoints (oldest first) and their marks for store_chain_verify; 1
 * when one is not a good checkpoint of this key (why says which); -1 (e
 * set) when dir cannot be read. */
MUST_CHECK
int checkpoint_load(const char *dir, EVP_PKEY *pub, checkpoint_t **cps, int *ncps,
                    store_chain_mark_t **marks, int *nmarks, char *why, size_t whylen,
                    err_t *e);
void checkpoint_free(checkpoint_t *cps, int n);

#endif
