/* Idempotency tokens: one result per (account, operation, token) for
 * five minutes. */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

int store_idem_claim(store_t *s, const char *account, const char *op, const char *token,
                     char **result, err_t *e) {
  const char *p[4] = {account, op, token, *result};
  PGresult *r;
  char *earlier;
  r = store_exec(s,
                 "DELETE FROM idempotency_tokens WHERE account_id = $1 AND operation = $2"
                 " AND token = $3 AND created_at < now() - interval '5 minutes'",
                 3, p, e);
  if (!r)
    return -1;
  PQclear(r);
  /* a concurrent duplicate waits here for the first one's commit */
  r = store_exec(s,
                 "INSERT INTO idempotency_tokens (account_id, operation, token, result)"
                 " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING result",
                 4, p, e);
  if (!r)
    return -1;
  if (PQntuples(r) == 1) {
    PQclear(r);
    return 0;
  }
  PQclear(r);
  r = store_exec(s,
                 "SELECT result FROM idempotency_tokens WHERE account_id = $1"
                 " AND operation = $2 AND token = $3",
                 3, p, e);
  if (!r)
    return -1;
  if (PQntuples(r) != 1) {
    PQclear(r);
    return err_set(e, ERR_ConcurrentModificationException,
                   "The idempotency token is being used by a concurrent request; retry.");
  }
  earlier = strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  if (!earlier)
    return err_set(e, ERR_InternalFailure, "out of memory");
  free(*result);
  *result = earlier;
  return 1;
}

int store_idem_release(store_t *s, const char *account, const char *op, const char *token,
                       err_t *e) {
  const char *p[3] = {account, op, token};
  return store_rows(store_exec(s,
                               "DELETE FROM idempotency_tokens WHERE account_id = $1"
                               " AND operation = $2 AND token = $3",
                               3, p, e)) < 0 ? -1 : 0;
}
