#ifndef PCAD_CA_ROW_H
#define PCAD_CA_ROW_H
/* Inside core/ only: a CA's table row by ARN, for the operations on the CA,
 * its certificates and tags (core/ca_row.c, below ca.c). */
#include "base/err.h"
#include "core/ctx.h"
#include "store/store_ca.h"

/* The caller's CA by ARN: 0, or the errors of a bad (InvalidArnException)
 * or unknown (ResourceNotFoundException) ARN. lock: STORE_LOCK_* inside a
 * transaction. */
MUST_CHECK
int ca_get(const ctx_t *c, const char *arn, int lock, store_ca_t *row, err_t *e);
/* A change of the caller's CA (its policy, its permissions) in a
 * transaction of its own: the row locked FOR UPDATE, refused when DELETED
 * (InvalidStateException naming what), then step's result. */
typedef int (*ca_live_fn)(const ctx_t *c, const store_ca_t *row, void *arg, err_t *e);
MUST_CHECK
int ca_change_live(const ctx_t *c, const char *arn, const char *what, ca_live_fn step,
                   void *arg, err_t *e);
/* The CA's id (UUID) when arn names an existing CA of the caller's; the
 * errors of a bad or unknown ARN otherwise. lock: inside a transaction,
 * FOR UPDATE. */
MUST_CHECK
int ca_resolve(const ctx_t *c, const char *arn, int lock, char id[37], err_t *e);

/* The caller's CA row by ARN, as ca_get(STORE_LOCK_NONE) gives it, from
 * the CA cache (core/cacache.h says how stale it may be) when it is there;
 * *cached is 1 when it came from the cache. */
MUST_CHECK
int ca_row_cached(const ctx_t *c, const char *arn, store_ca_t *row, int *cached, err_t *e);

#endif
