/* The audit_events rows a change writes in its transaction. */
#include "store/store.h"

#include "store/store_priv.h"

int store_audit(store_t *s, const store_audit_t *a, err_t *e) {
  const char *p[7] = {a->event, a->account, a->actor, a->rid, a->ca_arn, a->serial, a->note};
  PGresult *r = store_exec(s,
                           "INSERT INTO audit_events (event, account_id, actor, request_id,"
                           " ca_arn, serial, detail) VALUES ($1, $2, $3, $4, $5, $6,"
                           " jsonb_build_object('note', $7::text))",
                           7, p, e);
  if (!r)
    return -1;
  PQclear(r);
  store_audit_done(s, a);
  return 0;
}
