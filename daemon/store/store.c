#include "store/store.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "store/store_priv.h"

/* What the server says beside results (WARNING and up: client_min_messages
 * keeps its NOTICE chatter away) goes to pcad's log as one line, not to
 * stderr raw. */
static void store_notice(void *arg, const char *msg) {
  (void)arg;
  log_warn(NULL, "postgres: %s", msg);
}

static PGconn *store_connect(const store_t *s) {
  char ct[24], opts[96];
  /* defaults first: expand_dbname makes the configured conninfo override;
   * TCP keepalives and tcp_user_timeout find a peer that vanished */
  const char *keys[] = {"connect_timeout", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "application_name", "options", "dbname", NULL};
  const char *vals[] = {ct, "1", "10", "5", "3", "15000", "pcad", opts, s->conninfo, NULL};
  PGconn *c;
  snprintf(ct, sizeof ct, "%ld", s->connect_timeout);
  snprintf(opts, sizeof opts, "-c statement_timeout=%ld -c client_min_messages=warning",
           s->stmt_timeout_ms);
  c = PQconnectdbParams(keys, vals, 1);
  if (c)
    PQsetNoticeProcessor(c, store_notice, NULL);
  return c;
}

store_t *store_new(const cfg_t *cfg) { return store_new_as(cfg, cfg->db_conninfo); }

store_t *store_new_as(const cfg_t *cfg, const char *conninfo) {
  store_t *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->conninfo = strdup(conninfo);
  s->connect_timeout = cfg->db_connect_timeout;
  s->stmt_timeout_ms = cfg->db_statement_timeout_ms;
  if (!s->conninfo) {
    free(s);
    return NULL;
  }
  return s;
}

/* Forgets the statements prepared (the connection is gone, or one of them
 * no longer fits the schema); the next ones get new names. */
static void store_forget_prepared(store_t *s) {
  for (int i = 0; i < s->nprepared; i++)
    free(s->prepared[i].sql);
  s->nprepared = 0;
  s->gen++;
}

void store_drop(store_t *s) {
  PQfinish(s->conn);
  s->conn = NULL;
  store_forget_prepared(s);
  store_audit_flush(s, 0); /* what was not committed never will be */
}

void store_free(store_t *s) {
  if (!s)
    return;
  store_drop(s);
  free(s->audit_lines);
  free(s->conninfo);
  free(s);
}

int store_ready(store_t *s, err_t *e) {
  if (s->conn && PQstatus(s->conn) == CONNECTION_OK &&
      PQtransactionStatus(s->conn) == PQTRANS_IDLE)
    return 0;
  store_drop(s);
  s->timed_out = 0;
  s->conn = store_connect(s);
  if (s->conn && PQstatus(s->conn) == CONNECTION_OK)
    return 0;
  err_set(e, ERR_ServiceUnavailable, "The database is unavailable: %s",
          s->conn ? PQerrorMessage(s->conn) : "out of memory");
  store_drop(s);
  return -1;
}

int store_lib_version(void) { return PQlibVersion(); }

int store_conninfo_check(const char *conninfo, err_t *e) {
  char *why = NULL;
  PQconninfoOption *o = PQconninfoParse(conninfo, &why);
  if (o) {
    PQconninfoFree(o);
    return 0;
  }
  err_set(e, ERR_InternalFailure, "database.conninfo: %s", why ? why : "out of memory");
  PQfreemem(why);
  return -1;
}

int store_check(store_t *s, err_t *e) {
  return store_ready(s, e) == 0 && store_cmd(s, "SELECT 1", e) == 0 ? 0 : -1;
}

int store_ping(store_t *s) {
  err_t e;
  return store_check(s, &e) == 0;
}

static long store_ms_left(const struct timespec *end) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Waits until libpq can hand out a result without blocking: 0, or -1 when
 * the statement timeout and a second more have passed (0: no bound). */
static int store_wait(store_t *s) {
  struct timespec end;
  clock_gettime(CLOCK_MONOTONIC, &end);
  end.tv_sec += (s->stmt_timeout_ms + 1000) / 1000;
  end.tv_nsec += (s->stmt_timeout_ms + 1000) % 1000 * 1000000;
  if (end.tv_nsec >= 1000000000) {
    end.tv_sec++;
    end.tv_nsec -= 1000000000;
  }
  while (PQisBusy(s->conn)) {
    struct pollfd pfd = {PQsocket(s->conn), POLLIN, 0};
    long left = s->stmt_timeout_ms ? store_ms_left(&end) : -1;
    int n;
    if (s->stmt_timeout_ms && left <= 0)
      return -1;
    n = poll(&pfd, 1, (int)left);
    if (n < 0 && errno != EINTR)
      return 0; /* PQgetResult reports the broken connection */
    if (n > 0 && !PQconsumeInput(s->conn))
      return 0;
  }
  return 0;
}

PGresult *store_result(store_t *s) {
  if (!s->conn)
    return NULL;
  if (store_wait(s) < 0) {
    store_drop(s);
    s->timed_out = 1;
    return NULL;
  }
  return PQgetResult(s->conn);
}

/* The result of one statement sent with PQsend*: the first result, the
 * rest read and dropped (NULL when it timed out or the send failed). */
static PGresult *store_one(store_t *s, int sent) {
  PGresult *r, *more;
  if (!sent)
    return NULL;
  r = store_result(s);
  while (s->conn && (more = store_result(s)) != NULL)
    PQclear(more);
  return r;
}

/* SQLSTATE classes that mean the server or the connection is gone. */
static int store_is_unavailable(const char *state) {
  return !state || strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
         strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

PGresult *store_exec(store_t *s, const char *sql, int n, const char *const *params, err_t *e) {
  return store_exec_bin(s, sql, n, params, NULL, NULL, e);
}

int store_prepared(store_t *s, const char *sql, int n, char name[32]) {
  store_prepared_t *p;
  PGresult *r;
  int i;
  for (i = 0; i < s->nprepared; i++)
    if (s->prepared[i].key == sql && strcmp(s->prepared[i].sql, sql) == 0)
      break;
  snprintf(name, 32, "p%u_%d", s->gen, i);
  if (i < s->nprepared)
    return 1;
  if (i == STORE_PREPARED_MAX || PQtransactionStatus(s->conn) == PQTRANS_INERROR)
    return 0;
  p = &s->prepared[i];
  if (!(p->sql = strdup(sql)))
    return 0;
  r = store_one(s, PQsendPrepare(s->conn, name, sql, n, NULL));
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    PQclear(r);
    free(p->sql);
    return 0;
  }
  PQclear(r);
  p->key = sql;
  s->nprepared++;
  return 1;
}

PGresult *store_exec_bin(store_t *s, const char *sql, int n, const char *const *params,
                         const int *lens, const int *fmts, err_t *e) {
  PGresult *r;
  ExecStatusType st;
  char name[32];
  const char *state;
  if (!s->conn)
    return err_set(e, ERR_ServiceUnavailable, "The database is unavailable"), NULL;
  if (store_prepared(s, sql, n, name))
    r = store_one(s, PQsendQueryPrepared(s->conn, name, n, params, lens, fmts, 0));
  else if (s->conn)
    r = store_one(s, PQsendQueryParams(s->conn, sql, n, NULL, params, lens, fmts, 0));
  else
    r = NULL;
  st = PQresultStatus(r);
  if (r && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
    return r;
  /* "cached plan must not change result type": the schema changed under a
   * prepared statement (another instance migrated); prepare afresh */
  state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (state && strcmp(state, "0A000") == 0)
    store_forget_prepared(s);
  store_fail(s, r, e);
  return NULL;
}

int store_exec_row(store_t *s, const char *sql, int n, const char *const *params,
                   void (*fill)(void *out, PGresult *r, int row), void *out, err_t *e) {
  PGresult *r = store_exec(s, sql, n, params, e);
  int found;
  if (!r)
    return -1;
  if ((found = PQntuples(r) == 1))
    fill(out, r, 0);
  PQclear(r);
  return found;
}

char *store_col(PGresult *r, int row, int col) {
  return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

PGresult *store_exec_page(store_t *s, const char *sql, const char *ca_id, const char *cursor,
                          int limit, char **next, err_t *e) {
  char lim[16];
  const char *p[3] = {ca_id, cursor, lim};
  *next = NULL;
  snprintf(lim, sizeof lim, "%d", limit + 1);
  return store_exec(s, sql, 3, p, e);
}

int store_page(PGresult *r, int limit, int col, char **next) {
  int n = PQntuples(r);
  *next = NULL;
  if (n > limit) {
    *next = strdup(PQgetvalue(r, limit - 1, col));
    n = limit;
  }
  return n;
}

void store_fail(store_t *s, PGresult *r, err_t *e) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  if (s->timed_out) {
    err_set(e, ERR_ServiceUnavailable, "The database did not answer within %ld ms",
            s->stmt_timeout_ms + 1000);
  } else if (!s->conn) {
    err_set(e, ERR_ServiceUnavailable, "The database is unavailable");
  } else if (strcmp(state ? state : "", "57014") == 0) { /* statement_timeout */
    err_set(e, ERR_ServiceUnavailable, "The database did not finish within %ld ms",
            s->stmt_timeout_ms);
  } else if (PQstatus(s->conn) != CONNECTION_OK || store_is_unavailable(state)) {
    err_set(e, ERR_ServiceUnavailable, "The database is unavailable: %s",
            PQerrorMessage(s->conn));
    store_drop(s);
  } else {
    err_set(e, ERR_InternalFailure, "database error %s: %s", state ? state : "?",
            r ? PQresultErrorMessage(r) : PQerrorMessage(s->conn));
  }
  PQclear(r);
}

int store_exec_strings(store_t *s, const char *sql, int n, const char *const *params,
                       char ***out, int *count, err_t *e) {
  PGresult *r = store_exec(s, sql, n, params, e);
  *out = NULL;
  *count = 0;
  if (!r)
    return -1;
  *out = calloc((size_t)PQntuples(r) + 1, sizeof **out);
  for (int i = 0; *out && i < PQntuples(r); i++) {
    (*out)[i] = strdup(PQgetvalue(r, i, 0));
    *count = i + 1;
  }
  PQclear(r);
  return *out ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

void store_strings_free(char **v, int n) {
  for (int i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

int store_cmd(store_t *s, const char *sql, err_t *e) {
  PGresult *r = store_exec(s, sql, 0, NULL, e);
  PQclear(r);
  return r ? 0 : -1;
}

void store_audit_done(store_t *s, const store_audit_t *a) {
  char line[1024];
  store_audit_line_t *grown;
  snprintf(line, sizeof line, "audit: %s ca=%s serial=%s actor=%s %s", a->event,
           a->ca_arn ? a->ca_arn : "-", a->serial ? a->serial : "-",
           a->actor ? a->actor : "pcad", a->note ? a->note : "");
  if (!s->conn || PQtransactionStatus(s->conn) != PQTRANS_INTRANS) {
    log_notice(LOG_AS(a->rid), "%s", line); /* committed by the statement itself */
    return;
  }
  grown = realloc(s->audit_lines, (size_t)(s->naudit_lines + 1) * sizeof *grown);
  if (!grown || !(grown[s->naudit_lines].line = strdup(line))) {
    s->audit_lines = grown ? grown : s->audit_lines;
    log_notice(LOG_AS(a->rid), "%s (not yet committed)", line);
    return;
  }
  s->audit_lines = grown;
  snprintf(grown[s->naudit_lines].rid, sizeof grown->rid, "%s", a->rid ? a->rid : "-");
  s->naudit_lines++;
}

/* The transaction ended: its audit lines are logged when it committed. */
void store_audit_flush(store_t *s, int committed) {
  for (int i = 0; i < s->naudit_lines; i++) {
    if (committed)
      log_notice(LOG_AS(s->audit_lines[i].rid), "%s", s->audit_lines[i].line);
    free(s->audit_lines[i].line);
  }
  s->naudit_lines = 0;
}

int store_rows(PGresult *r) {
  int rows;
  if (!r)
    return -1;
  rows = atoi(PQcmdTuples(r));
  PQclear(r);
  return rows;
}

