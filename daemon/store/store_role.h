#ifndef PCAD_STORE_ROLE_H
#define PCAD_STORE_ROLE_H
/* The database roles: the owner role ([database] owner_conninfo) runs the
 * migrations and owns every table; pcad's own role ([database] conninfo)
 * may do everything to the working tables but only INSERT and SELECT on
 * the audit trail, so that nothing pcad's connections can do (a bug, a
 * stolen conninfo) rewrites it. */
#include "store/store.h"

/* The role s connects as, e.g. "pcad". */
MUST_CHECK
int store_role_current(store_t *s, char role[64], err_t *e);
/* On the owner's connection, after the migrations: role's rights as above,
 * given again (tables added by a migration included). */
MUST_CHECK
int store_role_grant(store_t *owner, const char *role, err_t *e);
/* 1 when s's role could rewrite the audit trail (superuser, a member of
 * the tables' owner, or UPDATE/DELETE/TRUNCATE rights), with how in why;
 * 0 when it cannot; -1 (e set). */
MUST_CHECK
int store_role_audit_exposed(store_t *s, char *why, size_t n, err_t *e);

#endif
