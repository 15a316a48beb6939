#ifndef PCAD_STORE_H
#define PCAD_STORE_H
/* PostgreSQL access. Only store*.c include libpq; the rest of pcad sees
 * these functions and plain C types. One store_t is one connection, owned
 * by one thread.
 *
 * Every statement is sent (PQsend*) and waited for with poll, never with a
 * blocking libpq call; each is prepared once per connection. A connection
 * follows libpq's conninfo (so target_session_attrs=read-write follows a
 * failover by itself), with [database] connect_timeout, TCP keepalives and
 * tcp_user_timeout, so a peer that vanished is found. Migrations
 * (sql/NNNN_*.sql, compiled in) and an audit report's row stream run
 * without the server's statement_timeout; the stream waits at most a
 * minute for each row. */
#include <stddef.h>

#include "base/cfg.h"
#include "base/err.h"

typedef struct store store_t;

typedef struct {
  const char *name; /* e.g. "0001_schema.sql" */
  const char *sql;
} store_migration_t;

/* sql/ compiled in by cmake/embed_sql.cmake, terminated by {0, 0} */
extern const store_migration_t store_migrations[];

/* A connection (made by store_ready) to [database] conninfo. Every
 * statement has [database] statement_timeout_ms: the server cancels it
 * after that (statement_timeout), and pcad gives up waiting a second later
 * even when the server does not answer at all (a hung or stopped server):
 * the connection is then dropped and the caller gets ServiceUnavailable. */
store_t *store_new(const cfg_t *cfg);
/* The same to another conninfo ([database] owner_conninfo: migrations). */
store_t *store_new_as(const cfg_t *cfg, const char *conninfo);
void store_free(store_t *s);
/* Makes sure the connection is up, reconnecting when it is not. A database
 * that cannot be reached gives ServiceUnavailable. */
MUST_CHECK
int store_ready(store_t *s, err_t *e);
/* store_migrate.c: applies the migrations not yet in schema_migrations, each in its own
 * transaction, serialized across instances by an advisory lock. */
MUST_CHECK
int store_migrate(store_t *s, const store_migration_t *m, err_t *e);
/* store_tx.c: takes (take 1) or gives back (take 0) the advisory lock 'pcad:'name,
 * held by this connection across transactions: one instance at a time. */
MUST_CHECK
int store_lock(store_t *s, const char *name, int take, err_t *e);
/* A transaction's body: >= 0 done (the result store_tx returns), -1
 * failed (e says why), STORE_TX_FINAL failed for good (no retry). */
#define STORE_TX_FINAL -2
typedef int (*store_tx_fn)(void *arg, err_t *e);
/* The one way to run a transaction (READ COMMITTED; every state change is
 * one): BEGIN, body, COMMIT when it returned >= 0, else ROLLBACK and -1. retry_ms > 0: while the database is away
 * (ServiceUnavailable) it runs again on a fresh connection, after 50 ms
 * doubling, for at most retry_ms. e is cleared first (never NULL). */
MUST_CHECK
int store_tx(store_t *s, store_tx_fn body, void *arg, long retry_ms, err_t *e);
/* The same for a body that commits by itself (one statement, or the group
 * commit): no BEGIN or COMMIT around it; ROLLBACK after a failure. */
MUST_CHECK
int store_retry(store_t *s, store_tx_fn body, void *arg, long retry_ms, err_t *e);
/* An audit event as a write that commits alone takes it along. */
typedef struct store_audit {
  const char *event, *account, *actor, *rid, *ca_arn, *serial, *note;
} store_audit_t;

/* store_audit.c: appends an audit event (in the caller's transaction, if any); the note
 * is stored as the detail {"note": note}. Its log line is written once
 * the event has committed (never after a rollback). */
MUST_CHECK
int store_audit(store_t *s, const store_audit_t *a, err_t *e);
/* store_idem.c: an IdempotencyToken, within the caller's transaction, records *result for
 * (account, operation, token) and returns 0, unless a record younger than 5
 * minutes exists: then *result (malloc'ed) is replaced by that earlier
 * result and 1 is returned, for the caller to roll back and answer with. */
MUST_CHECK
int store_idem_claim(store_t *s, const char *account, const char *op, const char *token,
                     char **result, err_t *e);
/* Forgets the token (its request failed, so a retry issues afresh). */
MUST_CHECK
int store_idem_release(store_t *s, const char *account, const char *op, const char *token,
                       err_t *e);
void store_strings_free(char **v, int n);
/* store_secret.c: a 32-byte server secret by name. */
MUST_CHECK
int store_secret(store_t *s, const char *name, unsigned char out[32], err_t *e);
/* libpq's version number (e.g. 150018), for --version. */
int store_lib_version(void);
/* 1 when the server answers a query on s (reconnecting when needed). */
int store_ping(store_t *s);
/* The same as 0, or -1 with why in e. */
MUST_CHECK
int store_check(store_t *s, err_t *e);
/* Whether conninfo parses (libpq's own parser): 0, or -1 with why in e. */
MUST_CHECK
int store_conninfo_check(const char *conninfo, err_t *e);

#endif
