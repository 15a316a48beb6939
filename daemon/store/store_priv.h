#ifndef PCAD_STORE_PRIV_H
#define PCAD_STORE_PRIV_H
/* Shared by the store*.c files only. */
#include <libpq-fe.h>

#include "store/store.h"

#define STORE_PREPARED_MAX 128 /* statements prepared per connection */

typedef struct {
  const char *key; /* the caller's SQL text, as passed */
  char *sql;       /* a copy, to tell a reused buffer from the same text */
} store_prepared_t;

typedef struct {
  char rid[40];
  char *line;
} store_audit_line_t;

struct store {
  PGconn *conn;
  char *conninfo;
  long connect_timeout;
  long stmt_timeout_ms; /* the server's statement_timeout; pcad waits 1 s more */
  int timed_out;        /* the last wait ran out: the connection was dropped */
  /* statements prepared on conn, named p<gen>_<index>: each is parsed and
   * planned once per connection, not on every call */
  store_prepared_t prepared[STORE_PREPARED_MAX];
  int nprepared;
  unsigned gen;
  struct store_group *group; /* NULL: statements commit alone */
  store_audit_line_t *audit_lines; /* waiting for their COMMIT */
  int naudit_lines;
};

/* One parameterized statement, as store_exec_bin takes it. */
typedef struct {
  const char *sql;
  int n;
  const char *const *params;
  const int *lens, *fmts;
} store_stmt_t;

/* Runs st as its own durable transaction, or in one shared with
 * concurrent workers when s has joined a group (store_group.h). The rows
 * it returned (SELECT, RETURNING) or touched; -1 with e set on failure. */
MUST_CHECK
int store_group_exec(store_t *s, const store_stmt_t *st, err_t *e);
/* The name sql is prepared under on s (prepared now when it is new), or 0
 * when it cannot be prepared (it then runs unprepared). */
int store_prepared(store_t *s, const char *sql, int n, char name[32]);
/* Closes the connection (store_ready makes a new one). */
void store_drop(store_t *s);
/* The audit event a has been written: logged now when that committed it,
 * else at the COMMIT of the transaction it is in. */
void store_audit_done(store_t *s, const store_audit_t *a);
/* The transaction ended: its audit lines logged when it committed, then
 * dropped (store_tx.c, store_drop). */
void store_audit_flush(store_t *s, int committed);
/* store_tx.c: safe after a failure, also with no transaction open. */
void store_rollback(store_t *s);
/* The next result of what was sent on s->conn (PQgetResult), waiting at
 * most the statement timeout plus a second for it; NULL at the end, or when
 * the wait ran out: then the connection is dropped and s->timed_out set
 * (store_fail reports it as ServiceUnavailable). */
PGresult *store_result(store_t *s);

/* Runs a parameterized statement. On failure returns NULL with e set:
 * ServiceUnavailable for a lost or unreachable server (the connection is
 * dropped and remade by the next store_ready), InternalFailure otherwise. */
PGresult *store_exec(store_t *s, const char *sql, int n, const char *const *params, err_t *e);
/* The same with per-parameter lengths and formats (1 = binary), for bytea. */
PGresult *store_exec_bin(store_t *s, const char *sql, int n, const char *const *params,
                         const int *lens, const int *fmts, err_t *e);
/* Sets e from a failed result r (or a NULL one) and clears r; a lost
 * server (dropped connection) gives ServiceUnavailable. */
void store_fail(store_t *s, PGresult *r, err_t *e);
/* Runs a statement whose rows are one text column; *out is a malloc'ed
 * array of malloc'ed strings (free with store_strings_free). */
MUST_CHECK
int store_exec_strings(store_t *s, const char *sql, int n, const char *const *params,
                       char ***out, int *count, err_t *e);
/* A statement returning at most one row: 1 after fill(out, result, 0),
 * 0 when there is no row (out untouched: the caller zeroes it). */
MUST_CHECK
int store_exec_row(store_t *s, const char *sql, int n, const char *const *params,
                   void (*fill)(void *out, PGresult *r, int row), void *out, err_t *e);
/* Column col of row (NULL stays NULL), malloc'ed. */
char *store_col(PGresult *r, int row, int col);
/* A keyset page of one CA's rows: sql takes $1 the CA id, $2 the cursor
 * (NULL: from the start), $3 limit + 1, and has the cursor of each row in
 * its last column; *next is set as store_page does. NULL on failure. */
PGresult *store_exec_page(store_t *s, const char *sql, const char *ca_id, const char *cursor,
                          int limit, char **next, err_t *e);
/* A keyset page: r was asked for limit + 1 rows; when it has more than
 * limit, *next is the cursor (column col) of the last row kept. How many
 * rows the page holds. */
int store_page(PGresult *r, int limit, int col, char **next);
/* How many rows the statement's result r touched (r cleared), or -1 when
 * there is none (the statement failed; e is set). */
int store_rows(PGresult *r);
/* Plain command (BEGIN, COMMIT, ...). */
MUST_CHECK
int store_cmd(store_t *s, const char *sql, err_t *e);
/* Statements (several in one text, none with parameters) in the caller's
 * transaction, without a time limit; what names them in errors. */
MUST_CHECK
int store_script(store_t *s, const char *what, const char *sql, err_t *e);

#endif
