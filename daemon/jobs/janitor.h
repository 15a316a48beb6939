#ifndef PCAD_JANITOR_H
#define PCAD_JANITOR_H
/* Background jobs on one thread of their own: key generation for CAs in
 * CREATING, destroying released keys, purging CAs whose restoration window
 * has ended, marking expired CAs. Token work is serialized here. Several
 * pcad instances may run janitors on one database: rows are claimed with
 * SKIP LOCKED.
 *
 * Each round (every [janitor] interval, or at once when kicked) also
 * finishes the PENDING certificates older than [janitor] pending_deadline
 * (core/issue.h: issue_finish_stale) and makes the signer forget the keys
 * no CA has any more (another instance may have destroyed them). A key
 * generation that fails because the token is away, busy or late leaves the
 * CA CREATING for a later round, up to an hour after its creation; any
 * other failure makes it FAILED (core/ca.c). A released key is destroyed
 * only after the transaction that released it has committed
 * (key_destroy_pending: PKCS#11 is not transactional). */
#include "base/cfg.h"
#include "core/audit.h"
typedef struct p11 p11_t;             /* pkcs11/p11.h */
typedef struct ocspcount ocspcount_t; /* core/ocspcount.h */

typedef struct janitor janitor_t;

/* Each round (and at janitor_stop) it also writes the audit trail's
 * deferred events: the OCSP signatures counted in ocsp (NULL: none) and the
 * events queued with janitor_audit. */
janitor_t *janitor_start(const cfg_t *cfg, p11_t *p11, ocspcount_t *ocsp);
/* An event without a CA (core/auditq.h: auditq_push) for the next round,
 * which it wakes. Any thread, the event loop's too: never the database. */
int janitor_audit(janitor_t *j, const char *rid, audit_event_t event, const char *account,
                  const char *actor, const char *note);
/* Wakes the janitor now (e.g. a CA waits for its key). Any thread. */
void janitor_kick(void *janitor);
void janitor_stop(janitor_t *j);

#endif
