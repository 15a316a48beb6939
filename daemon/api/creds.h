#ifndef PCAD_CREDS_H
#define PCAD_CREDS_H
/* SigV4 access keys: a 0600 file, one "KEY_ID SECRET ACCOUNT_ID
 * [POLICY_FILE]" per line; a key with a policy file may do only what that
 * policy allows (shape/policy.h), one without has full control of its
 * account. */
#include "base/err.h"
#include "shape/policy.h"

typedef struct creds creds_t;

creds_t *creds_load(const char *path, err_t *e);
/* Another reference (a request that outlives a reload holds one). */
creds_t *creds_ref(creds_t *c);
/* Drops a reference; the last wipes the secrets and frees. */
void creds_free(creds_t *c);
/* The key's policy, or NULL (none, or no such key). */
const policy_t *creds_policy(const creds_t *c, const char *akid);
int creds_count(const creds_t *c);
/* A sigv4_lookup_fn: ctx is a creds_t. Compares every key in constant time. */
int creds_lookup(void *ctx, const char *akid, const char **secret, const char **account);

#endif
