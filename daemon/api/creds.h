#ifndef PCAD_CREDS_H
#define PCAD_CREDS_H
/* SigV4 access keys: a 0600 file, one "KEY_ID SECRET ACCOUNT_ID" per line. */
#include "base/err.h"

typedef struct creds creds_t;

creds_t *creds_load(const char *path, err_t *e);
/* Wipes the secrets and frees. */
void creds_free(creds_t *c);
int creds_count(const creds_t *c);
/* A sigv4_lookup_fn: ctx is a creds_t. Compares every key in constant time. */
int creds_lookup(void *ctx, const char *akid, const char **secret, const char **account);

#endif
