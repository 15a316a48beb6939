#ifndef PCAD_AUDITQ_H
#define PCAD_AUDITQ_H
/* Audit events without a CA (the chain 'pcad') handed over by a thread that
 * must not touch the database (the event loop: e.g. access keys seen
 * changed) to one that has a store connection (the janitor), which writes
 * them in order, in one transaction per flush. */
#include "core/audit.h"
#include "core/ctx.h"

typedef struct auditq auditq_t;

#define AUDITQ_MAX 4096 /* events waiting; more are refused (logged) */

auditq_t *auditq_new(void);
/* Frees; events not yet written are logged as lost. */
void auditq_free(auditq_t *q);
/* Queues one event (copied): its account, actor (an access key id) and
 * note; never a secret. Any thread, never blocks on the database. 0, or
 * -1 (logged with rid) when the queue is full or out of memory. */
int auditq_push(auditq_t *q, const char *rid, audit_event_t event, const char *account,
                const char *actor, const char *note);
/* Writes every queued event in one transaction of c->store (each with the
 * rid it was pushed with, else c->log.rid); on failure they stay queued, in order. 0, or -1
 * with e set. */
MUST_CHECK
int auditq_flush(auditq_t *q, const ctx_t *c, err_t *e);

#endif
