/* The schema: migrations applied in order, once, under an advisory lock. */
#include "store/store.h"

#include <stdio.h>

#include "store/store_priv.h"

int store_script(store_t *s, const char *what, const char *sql, err_t *e) {
  long limit = s->stmt_timeout_ms;
  int rc = -1;
  PGresult *r;
  if (store_cmd(s, "SET LOCAL statement_timeout = 0", e) < 0)
    return -1;
  s->stmt_timeout_ms = 0;
  if (!PQsendQuery(s->conn, sql)) {
    err_set(e, ERR_InternalFailure, "%s not sent: %s", what, PQerrorMessage(s->conn));
    goto out;
  }
  rc = 0;
  while ((r = store_result(s)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      err_set(e, ERR_InternalFailure, "%s failed: %s", what, PQresultErrorMessage(r));
      rc = -1;
    }
    PQclear(r);
  }
out:
  s->stmt_timeout_ms = limit;
  return rc;
}

typedef struct {
  store_t *s;
  const store_migration_t *m;
} store_migrate_t;

/* One migration and its schema_migrations row (a store_tx body). */
static int store_migrate_tx(void *arg, err_t *e) {
  const store_migrate_t *t = arg;
  const char *p[1] = {t->m->name};
  char what[96];
  PGresult *r;
  snprintf(what, sizeof what, "migration %s", t->m->name);
  if (store_script(t->s, what, t->m->sql, e) < 0)
    return -1;
  r = store_exec(t->s, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, p, e);
  PQclear(r);
  return r ? 0 : -1;
}

int store_migrate(store_t *s, const store_migration_t *m, err_t *e) {
  int rc = -1;
  if (store_ready(s, e) < 0)
    return -1;
  /* one instance migrates at a time; the others wait, then find it done */
  if (store_lock(s, "migrations", 1, e) < 0)
    return -1;
  if (store_cmd(s,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                e) < 0)
    goto out;
  for (; m->name; m++) {
    const char *p[1] = {m->name};
    PGresult *r = store_exec(s, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, p, e);
    int done;
    if (!r)
      goto out;
    done = PQntuples(r) > 0;
    PQclear(r);
    if (!done && store_tx(s, store_migrate_tx, &(store_migrate_t){s, m}, 0, e) < 0)
      goto out;
  }
  rc = 0;
out:
  if (s->conn)
    err_ignore(store_lock(s, "migrations", 0, NULL)); /* or it goes with the connection */
  return rc;
}
