#include "store/store_role.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

/* %1$s: the role, quoted. The audit tables are taken back whole, then
 * given back what appending and verifying need; the trigger that links a
 * new event runs as the owner (sql/0010_audit_roles.sql). */
static const char store_role_rights[] =
    "GRANT USAGE ON SCHEMA public TO %1$s;"
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %1$s;"
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %1$s;"
    "REVOKE ALL ON audit_events, audit_chain_heads, schema_migrations FROM %1$s;"
    "GRANT SELECT, INSERT ON audit_events TO %1$s;"
    "GRANT SELECT ON audit_chain_heads, schema_migrations TO %1$s;";

static void store_role_fill(void *out, PGresult *r, int row) {
  snprintf(out, 64, "%s", PQgetvalue(r, row, 0));
}

int store_role_current(store_t *s, char role[64], err_t *e) {
  int found;
  role[0] = '\0';
  if (store_ready(s, e) < 0)
    return -1;
  found = store_exec_row(s, "SELECT current_user::text", 0, NULL, store_role_fill, role, e);
  return found < 0 ? -1 : 0;
}

int store_role_grant(store_t *owner, const char *role, err_t *e) {
  char *q = NULL, *sql = NULL;
  int rc = -1;
  if (store_ready(owner, e) < 0)
    return -1;
  /* GRANTs of two instances at once collide: one at a time, as migrations */
  if (store_cmd(owner, "SELECT pg_advisory_lock(hashtext('pcad:migrations'))", e) < 0)
    return -1;
  if (!(q = PQescapeIdentifier(owner->conn, role, strlen(role))) ||
      asprintf(&sql, store_role_rights, q) < 0) {
    sql = NULL;
    err_set(e, ERR_InternalFailure, "out of memory");
  } else if (store_begin(owner, e) == 0) {
    rc = store_script(owner, "granting the database role's rights", sql, e) == 0 &&
                 store_commit(owner, e) == 0
             ? 0
             : -1;
    if (rc < 0)
      store_rollback(owner);
  }
  if (owner->conn)
    store_cmd(owner, "SELECT pg_advisory_unlock(hashtext('pcad:migrations'))", NULL);
  PQfreemem(q);
  free(sql);
  return rc;
}

typedef struct {
  char *why;
  size_t n;
} store_role_why_t;

static void store_role_exposed_fill(void *out, PGresult *r, int row) {
  store_role_why_t *w = out;
  snprintf(w->why, w->n, "%s", PQgetvalue(r, row, 0));
}

int store_role_audit_exposed(store_t *s, char *why, size_t n, err_t *e) {
  store_role_why_t w = {why, n};
  int found;
  why[0] = '\0';
  if (store_ready(s, e) < 0)
    return -1;
  found = store_exec_row(
      s,
      "SELECT CASE WHEN r.rolsuper THEN 'is a superuser'"
      " WHEN pg_has_role(current_user, c.relowner, 'MEMBER') THEN 'owns the audit tables'"
      " WHEN has_table_privilege('audit_events', 'UPDATE, DELETE, TRUNCATE, TRIGGER')"
      "   OR has_table_privilege('audit_chain_heads', 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')"
      "   THEN 'may change or delete audit rows' ELSE '' END"
      " FROM pg_roles r, pg_class c"
      " WHERE r.rolname = current_user AND c.oid = 'audit_events'::regclass",
      0, NULL, store_role_exposed_fill, &w, e);
  if (found < 0)
    return -1;
  return why[0] ? 1 : 0;
}
