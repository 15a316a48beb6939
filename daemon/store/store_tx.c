/* Transactions and advisory locks on a store connection; the audit lines
 * of a transaction are logged when it commits (store.c keeps them). */
#include "store/store.h"

#include <string.h>

#include "base/clock.h"
#include "store/store_priv.h"

int store_lock(store_t *s, const char *name, int take, err_t *e) {
  const char *p[1] = {name};
  PGresult *r = store_exec(s, take ? "SELECT pg_advisory_lock(hashtext('pcad:' || $1))"
                                   : "SELECT pg_advisory_unlock(hashtext('pcad:' || $1))",
                           1, p, e);
  PQclear(r);
  return r ? 0 : -1;
}

static int store_begin(store_t *s, err_t *e) { return store_cmd(s, "BEGIN", e); }

/* COMMIT of a transaction that failed answers "ROLLBACK": not committed. */
static int store_commit(store_t *s, err_t *e) {
  PGresult *r = store_exec(s, "COMMIT", 0, NULL, e);
  int ok = r && strcmp(PQcmdStatus(r), "COMMIT") == 0;
  if (r && !ok)
    err_set(e, ERR_InternalFailure, "the transaction was rolled back at COMMIT");
  PQclear(r);
  store_audit_flush(s, ok);
  return ok ? 0 : -1;
}

void store_rollback(store_t *s) {
  if (s->conn && PQtransactionStatus(s->conn) != PQTRANS_IDLE)
    err_ignore(store_cmd(s, "ROLLBACK", NULL)); /* failing, the connection is gone */
  store_audit_flush(s, 0);
}

/* body, in a transaction when tx (else it commits by itself), again on a
 * fresh connection with a growing pause while the database is away and
 * retry_ms allows. */
static int store_tx_run(store_t *s, store_tx_fn body, void *arg, int tx, long retry_ms,
                        err_t *e) {
  long long start = clock_now_ms();
  long pause_ms = 50;
  /* store_ready would take an open transaction for a broken connection
   * and drop it: a body that runs store_tx again is a bug, said as one */
  if (s->conn && PQtransactionStatus(s->conn) == PQTRANS_INTRANS)
    return err_set(e, ERR_InternalFailure, "a transaction was begun inside a transaction");
  for (;;) {
    int rc;
    err_clear(e);
    rc = store_ready(s, e) < 0 || (tx && store_begin(s, e) < 0) ? -1 : body(arg, e);
    if (rc >= 0 && (!tx || store_commit(s, e) == 0))
      return rc;
    store_rollback(s);
    if (rc == STORE_TX_FINAL || e->code != ERR_ServiceUnavailable ||
        clock_now_ms() - start + pause_ms > retry_ms)
      return -1;
    clock_sleep_ms(pause_ms);
    pause_ms *= 2;
  }
}

int store_tx(store_t *s, store_tx_fn body, void *arg, long retry_ms, err_t *e) {
  return store_tx_run(s, body, arg, 1, retry_ms, e);
}

int store_retry(store_t *s, store_tx_fn body, void *arg, long retry_ms, err_t *e) {
  return store_tx_run(s, body, arg, 0, retry_ms, e);
}
