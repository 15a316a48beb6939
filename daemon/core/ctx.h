#ifndef PCAD_CTX_H
#define PCAD_CTX_H
/* What an operation runs with: who asks, and the worker's resources. The
 * store and the token are opaque here: only core/ and jobs/ reach into
 * them, through their own headers. */

#include "base/cfg.h"
#include "base/err.h"
#include "base/log.h"

typedef struct store store_t;
typedef struct p11 p11_t;
struct policy;

typedef struct {
  log_ctx_t log;        /* the request (its id: log lines, audit events) or job */
  const char *account;  /* the account acted for: the CA owner's for a shared CA */
  const char *caller;   /* the caller's own account (its IdempotencyTokens) */
  const char *actor;    /* the caller's access key id */
  const struct policy *key_policy; /* its policy (shape/policy.h), NULL: full control */
  const char *region;
  const char *partition;
  const unsigned char *page_key; /* 32 bytes: authenticates NextToken */
  store_t *store;                /* this worker's connection, ready */
  p11_t *p11;
  long ca_quota;                 /* CAs per account */
  void (*kick)(void *arg);       /* wakes the janitor (key generation) */
  void *kick_arg;
  long pending_deadline;         /* janitor: seconds before a PENDING row is finished */
  long report_interval;          /* seconds between two audit reports of a CA */
  long crl_partition_size;       /* certificates per CRL partition (at most) */
} ctx_t;

/* A context named rid (its log lines and audit events) with the settings of
 * cfg (NULL: none), the store and the token. Who asks (account, caller,
 * actor, key_policy) and the API's extras (page_key, kick) are the
 * caller's to set. */
ctx_t ctx_new(const char *rid, const cfg_t *cfg, store_t *store, p11_t *p11);

/* The worker's connection answers (reconnected when it was lost), or
 * ServiceUnavailable. */
MUST_CHECK
int ctx_ready(const ctx_t *c, err_t *e);

#endif
