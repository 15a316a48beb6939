#include "store/store_perm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

int store_perm_insert(store_t *s, const char *ca_id, const char *principal,
                      const char *source_account, const char *actions, err_t *e) {
  const char *p[4] = {ca_id, principal, source_account ? source_account : "", actions};
  int rows = store_rows(store_exec(s,
                                   "INSERT INTO ca_permissions (ca_id, principal, source_account,"
                                   " actions) VALUES ($1::uuid, $2, $3, string_to_array($4, ','))"
                                   " ON CONFLICT DO NOTHING",
                                   4, p, e));
  return rows < 0 ? -1 : rows == 0;
}

int store_perm_delete(store_t *s, const char *ca_id, const char *principal,
                      const char *source_account, err_t *e) {
  const char *p[3] = {ca_id, principal, source_account ? source_account : ""};
  int rows = store_rows(store_exec(s,
                                   "DELETE FROM ca_permissions WHERE ca_id = $1::uuid"
                                   " AND principal = $2 AND source_account = $3",
                                   3, p, e));
  return rows < 0 ? -1 : rows == 0;
}

int store_perm_list(store_t *s, const char *ca_id, const char *cursor, int limit,
                    store_perm_t **out, int *n, char **next, err_t *e) {
  PGresult *r;
  int rows;
  *out = NULL;
  *n = 0;
  r = store_exec_page(s,
                      "SELECT principal, nullif(source_account, ''),"
                      " array_to_string(actions, ','), extract(epoch from created_at)::text,"
                      " seq::text FROM ca_permissions WHERE ca_id = $1::uuid"
                      " AND ($2::text IS NULL OR seq > $2::bigint)"
                      /* qualified: the output column seq is text ("10" < "9") */
                      " ORDER BY ca_permissions.seq LIMIT $3",
                      ca_id, cursor, limit, next, e);
  if (!r)
    return -1;
  rows = store_page(r, limit, 4, next);
  *out = calloc((size_t)(rows ? rows : 1), sizeof **out);
  for (int i = 0; *out && i < rows; i++) {
    store_perm_t *o = &(*out)[i];
    o->principal = store_col(r, i, 0);
    o->source_account = store_col(r, i, 1);
    o->actions = store_col(r, i, 2);
    o->created_at = store_col(r, i, 3);
  }
  *n = *out ? rows : 0;
  PQclear(r);
  return *out ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

void store_perm_free(store_perm_t *v, int n) {
  for (int i = 0; v && i < n; i++) {
    free(v[i].principal);
    free(v[i].source_account);
    free(v[i].actions);
    free(v[i].created_at);
  }
  free(v);
}
