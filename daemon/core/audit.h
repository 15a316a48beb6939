#ifndef PCAD_AUDIT_H
#define PCAD_AUDIT_H
/* Audit events: every use of a CA key and every lifecycle change, written
 * in the caller's transaction (audit_events: append-only, hash-chained per
 * CA) and mirrored to the log once that transaction has committed. */
#include "core/ctx.h"

struct store_audit; /* store/store.h */

#define AUDIT_DETAIL_MAX 512

/* Appends an event in the caller's transaction; a failure (the database
 * lost) is set in e. */
int audit_event(const ctx_t *c, err_t *e, const char *event, const char *ca_arn,
                const char *serial, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The event for a write that takes it along (store/store.h), which mirrors
 * it to the log once it has committed. */
void audit_note(const ctx_t *c, struct store_audit *a, char detail[AUDIT_DETAIL_MAX],
                const char *event, const char *ca_arn, const char *serial, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* One event about pcad itself (no CA), in a transaction of its own. */
int audit_alone(const ctx_t *c, const char *event, const char *note, err_t *e);

/* A batch change as one transaction: change() returns the ARNs it changed,
 * each gets an audit event. 1 when something changed, 0 when nothing did. */
int audit_batch(const ctx_t *c, const char *event, const char *note,
                int (*change)(store_t *s, char ***arns, int *n, err_t *e), err_t *e);

#endif
