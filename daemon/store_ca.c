#include "store_ca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_priv.h"

#define STORE_CA_COLUMNS                                                                  \
  "arn, account_id, type, status, failure_reason, usage_mode,"                            \
  " key_storage_security_standard, ca_config::text, revocation_config::text, serial,"     \
  " extract(epoch from created_at)::text, extract(epoch from last_state_change_at)::text," \
  " extract(epoch from not_before)::text, extract(epoch from not_after)::text,"           \
  " extract(epoch from restorable_until)::text"

static char *store_ca_col(PGresult *r, int row, int col) {
  return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

static void store_ca_fill(store_ca_t *c, PGresult *r, int i) {
  char **f[] = {&c->arn, &c->account_id, &c->type, &c->status, &c->failure_reason,
                &c->usage_mode, &c->key_storage_security_standard, &c->ca_config,
                &c->revocation_config, &c->serial, &c->created_at, &c->last_state_change_at,
                &c->not_before, &c->not_after, &c->restorable_until};
  for (int k = 0; k < (int)(sizeof f / sizeof f[0]); k++)
    *f[k] = store_ca_col(r, i, k);
}

int store_ca_list(store_t *s, const char *account, const char *cursor, int limit,
                  store_ca_t **rows, int *nrows, char **next, err_t *e) {
  /* keyset pagination on (created_at, id); a cursor is "<micros>:<uuid>" */
  static const char sql[] =
      "SELECT " STORE_CA_COLUMNS ","
      " (extract(epoch from created_at) * 1000000)::bigint::text || ':' || id::text"
      " FROM certificate_authorities WHERE account_id = $1"
      " AND ($2::text IS NULL OR (created_at, id) >"
      "  (timestamptz 'epoch' + split_part($2, ':', 1)::bigint * interval '1 microsecond',"
      "   split_part($2, ':', 2)::uuid))"
      " ORDER BY created_at, id LIMIT $3";
  char lim[16];
  const char *p[3] = {account, cursor, lim};
  PGresult *r;
  int n;
  *rows = NULL;
  *nrows = 0;
  *next = NULL;
  snprintf(lim, sizeof lim, "%d", limit + 1);
  r = store_exec(s, sql, 3, p, e);
  if (!r)
    return -1;
  n = PQntuples(r);
  if (n > limit) {
    *next = strdup(PQgetvalue(r, limit - 1, 15));
    n = limit;
  }
  *rows = calloc((size_t)(n ? n : 1), sizeof **rows);
  if (!*rows) {
    PQclear(r);
    free(*next);
    *next = NULL;
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  for (int i = 0; i < n; i++)
    store_ca_fill(&(*rows)[i], r, i);
  *nrows = n;
  PQclear(r);
  return 0;
}

void store_ca_free(store_ca_t *rows, int n) {
  for (int i = 0; rows && i < n; i++) {
    store_ca_t *c = &rows[i];
    char *f[] = {c->arn, c->account_id, c->type, c->status, c->failure_reason, c->usage_mode,
                 c->key_storage_security_standard, c->ca_config, c->revocation_config,
                 c->serial, c->created_at, c->last_state_change_at, c->not_before,
                 c->not_after, c->restorable_until};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
      free(f[k]);
  }
  free(rows);
}
