/* Transactions and advisory locks on a store connection; the audit lines
 * of a transaction are logged when it commits (store.c keeps them). */
#include "store/store.h"

#include <string.h>

#include "store/store_priv.h"

int store_lock(store_t *s, const char *name, int take, err_t *e) {
  const char *p[1] = {name};
  PGresult *r = store_exec(s, take ? "SELECT pg_advisory_lock(hashtext('pcad:' || $1))"
                                   : "SELECT pg_advisory_unlock(hashtext('pcad:' || $1))",
                           1, p, e);
  PQclear(r);
  return r ? 0 : -1;
}

int store_begin(store_t *s, err_t *e) { return store_cmd(s, "BEGIN", e); }

/* COMMIT of a transaction that failed answers "ROLLBACK": not committed. */
int store_commit(store_t *s, err_t *e) {
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
