#ifndef PCAD_AUDIT_H
#define PCAD_AUDIT_H
/* Audit events: every use of a CA key and every lifecycle change, written
 * in the caller's transaction (audit_events: append-only, hash-chained per
 * CA) and mirrored to the log once that transaction has committed.
 *
 * A failure to write an event fails the caller's change (a lost database
 * is a 503): no change commits without its event. The chain's shape and
 * the triggers that keep it are sql/0008_audit_chain.sql; pcad's role may
 * only append (sql/0010_audit_roles.sql, store/store_role.h); events
 * without a CA form the chain 'pcad', some handed over by threads without
 * a connection (core/auditq.h, core/ocspcount.h). What a database owner
 * could still do to a chain and its head together is found against the
 * signed checkpoints (core/checkpoint.h); `pcad audit verify`
 * (cli/auditcmd.h, store/store_chain.h) checks both. */
#include "core/ctx.h"

struct store_audit; /* store/store.h */

#define AUDIT_DETAIL_MAX 512

typedef enum {
#define AUDIT_EVENT(name) AUDIT_##name,
#include "core/audit.def"
#undef AUDIT_EVENT
  AUDIT__COUNT
} audit_event_t;

/* The event's name, as the table, the log and the reports spell it. */
const char *audit_name(audit_event_t event);

/* Appends an event in the caller's transaction; a failure (the database
 * lost) is set in e. */
MUST_CHECK
int audit_event(const ctx_t *c, err_t *e, audit_event_t event, const char *ca_arn,
                const char *serial, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The event for a write that takes it along (store/store.h), which mirrors
 * it to the log once it has committed. */
void audit_note(const ctx_t *c, struct store_audit *a, char detail[AUDIT_DETAIL_MAX],
                audit_event_t event, const char *ca_arn, const char *serial, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* One event about pcad itself (no CA), in a transaction of its own. */
MUST_CHECK
int audit_alone(const ctx_t *c, audit_event_t event, const char *note, err_t *e);

/* A batch change as one transaction: change() returns the ARNs it changed,
 * each gets an audit event. 1 when something changed, 0 when nothing did. */
MUST_CHECK
int audit_batch(const ctx_t *c, audit_event_t event, const char *note,
                int (*change)(store_t *s, char ***arns, int *n, err_t *e), err_t *e);

#endif
