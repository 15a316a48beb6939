#include "store/store_role.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

/* pcad's role (the setting pcad.grantee) gets what it needs on every
 * table and sequence the owner owns in its schema (a table someone else
 * made there is not the owner's to grant, and is left alone): the audit
 * tables are taken back whole, then given back what appending and
 * verifying need; the trigger that links a new event runs as the owner
 * (sql/0010_audit_roles.sql). Nothing when the two roles are one. */
static const char store_role_rights[] =
    "DO $$\n"
    "DECLARE\n"
    "  who text := current_setting('pcad.grantee');\n"
    "  t record;\n"
    "BEGIN\n"
    "  IF who = current_user THEN RETURN; END IF;\n"
    "  FOR t IN SELECT c.oid::regclass AS name, c.relname, c.relkind FROM pg_class c\n"
    "           WHERE c.relnamespace = current_schema()::regnamespace\n"
    "             AND c.relkind IN ('r', 'p', 'S') AND c.relowner = current_user::regrole LOOP\n"
    "    IF t.relkind = 'S' THEN\n"
    "      EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %s TO %I', t.name, who);\n"
    "    ELSIF t.relname IN ('audit_events', 'audit_chain_heads', 'schema_migrations') THEN\n"
    "      EXECUTE format('REVOKE ALL ON %s FROM %I', t.name, who);\n"
    "      EXECUTE format('GRANT %s ON %s TO %I',\n"
    "                     CASE t.relname WHEN 'audit_events' THEN 'SELECT, INSERT' ELSE 'SELECT' END,\n"
    "                     t.name, who);\n"
    "    ELSE\n"
    "      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', t.name, who);\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "END $$";

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

typedef struct {
  store_t *owner;
  const char *role;
} store_role_grant_t;

static int store_role_grant_tx(void *arg, err_t *e) {
  const store_role_grant_t *g = arg;
  const char *p[1] = {g->role};
  PGresult *r = store_exec(g->owner, "SELECT set_config('pcad.grantee', $1, true)", 1, p, e);
  if (!r)
    return -1;
  PQclear(r);
  return store_script(g->owner, "granting the database role's rights", store_role_rights, e);
}

int store_role_grant(store_t *owner, const char *role, err_t *e) {
  store_role_grant_t g = {owner, role};
  int rc;
  if (store_ready(owner, e) < 0)
    return -1;
  /* GRANTs of two instances at once collide: one at a time, as migrations */
  if (store_lock(owner, "migrations", 1, e) < 0)
    return -1;
  rc = store_tx(owner, store_role_grant_tx, &g, 0, e);
  if (owner->conn)
    err_ignore(store_lock(owner, "migrations", 0, NULL)); /* or it goes with the connection */
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
