#ifndef PCAD_OCSPCOUNT_H
#define PCAD_OCSPCOUNT_H
/* The OCSP responses each CA's key signed (not those served from the
 * cache), counted in memory by the workers and written as one audit event
 * per CA ("OCSPSign", detail "responses=N since=... seconds=S") by a thread
 * that has a store connection (the janitor, each round and at shutdown):
 * never a row per response. */
#include "core/ctx.h"

typedef struct ocspcount ocspcount_t;

ocspcount_t *ocspcount_new(void);
/* Frees; counts not yet flushed are lost (the log says how many). */
void ocspcount_free(ocspcount_t *oc);
/* One more response signed by the CA key of ca_arn. Any thread; takes a
 * mutex, never the database. A CA beyond the table's room is counted under
 * the next flush's first event as "dropped" (none with a sane number of CAs). */
void ocspcount_add(ocspcount_t *oc, const char *ca_arn);
/* The counts since the last flush, one audit event per CA in one
 * transaction of c->store; on failure the counts are kept for the next
 * flush. 0 (also when there was nothing to write), -1 with e set. */
MUST_CHECK
int ocspcount_flush(ocspcount_t *oc, const ctx_t *c, err_t *e);

#endif
