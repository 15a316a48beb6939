#include "store/store_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

#define STORE_REPORT_COLUMNS                                                         \
  "r.id::text, r.ca_id::text, r.bucket, r.s3_key, r.format, r.status,"             \
  " extract(epoch from r.created_at)::text, c.arn, c.account_id"

static void store_report_fill(void *out, PGresult *r, int row) {
  store_report_t *o = out;
  char **f[9] = {&o->id,     &o->ca_id,      &o->bucket, &o->key,    &o->format,
                 &o->status, &o->created_at, &o->ca_arn, &o->account};
  for (int k = 0; k < 9; k++)
    *f[k] = PQgetisnull(r, row, k) ? NULL : strdup(PQgetvalue(r, row, k));
}

void store_report_clear(store_report_t *o) {
  char *f[9] = {o->id,     o->ca_id,      o->bucket, o->key,    o->format,
                o->status, o->created_at, o->ca_arn, o->account};
  for (int k = 0; k < 9; k++)
    free(f[k]);
  memset(o, 0, sizeof *o);
}

/* The row of a one-row query into out: 1, or 0 when there is none. */
static int store_report_one(store_t *s, const char *sql, int n, const char *const *p,
                            store_report_t *out, err_t *e) {
  memset(out, 0, sizeof *out);
  return store_exec_row(s, sql, n, p, store_report_fill, out, e);
}

int store_report_recent(store_t *s, const char *ca_id, long interval_s, err_t *e) {
  char iv[32];
  const char *p[2] = {ca_id, iv};
  PGresult *r;
  int n;
  snprintf(iv, sizeof iv, "%ld", interval_s);
  r = store_exec(s,
                 "SELECT 1 FROM audit_reports WHERE ca_id = $1::uuid AND status <> 'FAILED'"
                 " AND created_at > now() - make_interval(secs => $2::bigint) LIMIT 1",
                 2, p, e);
  if (!r)
    return -1;
  n = PQntuples(r);
  PQclear(r);
  return n > 0;
}

int store_report_insert(store_t *s, const char *id, const char *ca_id, const char *bucket,
                        const char *key, const char *format, const char *requested_by,
                        err_t *e) {
  const char *p[6] = {id, ca_id, bucket, key, format, requested_by};
  return store_rows(store_exec(s,
                               "INSERT INTO audit_reports (id, ca_id, bucket, s3_key, format,"
                               " status, requested_by) VALUES ($1::uuid, $2::uuid, $3, $4, $5,"
                               " 'CREATING', $6)",
                               6, p, e)) < 0
             ? -1
             : 0;
}

int store_report_get(store_t *s, const char *ca_id, const char *id, store_report_t *out,
                     err_t *e) {
  const char *p[2] = {ca_id, id};
  return store_report_one(s,
                          "SELECT " STORE_REPORT_COLUMNS " FROM audit_reports r"
                          " JOIN certificate_authorities c ON c.id = r.ca_id"
                          " WHERE r.ca_id = $1::uuid AND r.id = $2::uuid",
                          2, p, out, e);
}

int store_report_claim(store_t *s, store_report_t *out, err_t *e) {
  return store_report_one(s,
                          "SELECT " STORE_REPORT_COLUMNS " FROM audit_reports r"
                          " JOIN certificate_authorities c ON c.id = r.ca_id"
                          " WHERE r.status = 'CREATING' ORDER BY r.created_at LIMIT 1"
                          " FOR UPDATE OF r SKIP LOCKED",
                          0, NULL, out, e);
}

int store_report_finish(store_t *s, const char *id, const char *status, const char *reason,
                        err_t *e) {
  const char *p[3] = {id, status, reason};
  return store_rows(store_exec(s,
                               "UPDATE audit_reports SET status = $2, failure_reason = $3,"
                               " finished_at = now() WHERE id = $1::uuid AND status = 'CREATING'",
                               3, p, e)) < 0
             ? -1
             : 0;
}

/* One row of the walk, handed to fn. */
static int store_report_row(PGresult *r, store_report_cert_fn fn, void *arg) {
  store_report_cert_t c;
  unsigned char *der = NULL;
  int rc;
  memset(&c, 0, sizeof c);
  c.arn = PQgetvalue(r, 0, 0);
  c.serial = PQgetvalue(r, 0, 1);
  c.subject = PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2);
  c.template_name = PQgetvalue(r, 0, 3);
  c.not_before = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
  c.not_after = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
  c.issued_at = strtoll(PQgetvalue(r, 0, 6), NULL, 10);
  c.revoked_at = PQgetisnull(r, 0, 7) ? -1 : strtoll(PQgetvalue(r, 0, 7), NULL, 10);
  c.reason = PQgetisnull(r, 0, 8) ? NULL : PQgetvalue(r, 0, 8);
  if (!c.subject && !PQgetisnull(r, 0, 9))
    c.der = der = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 9), &c.der_len);
  rc = fn(arg, &c);
  PQfreemem(der);
  return rc;
}

static int store_report_rows(store_t *s, const char *ca_id, store_report_cert_fn fn, void *arg,
                             err_t *e) {
  const char *p[1] = {ca_id};
  PGresult *r;
  int rc = 0, failed = 0;
  if (!PQsendQueryParams(s->conn,
                         "SELECT arn, serial, CASE WHEN left(subject, 1) <> '/' THEN subject END,"
                         " template, floor(extract(epoch from not_before))::bigint,"
                         " floor(extract(epoch from not_after))::bigint,"
                         " floor(extract(epoch from issued_at))::bigint,"
                         " floor(extract(epoch from revoked_at))::bigint, revocation_reason,"
                         " CASE WHEN subject IS NULL OR left(subject, 1) = '/' THEN der END"
                         " FROM certificates WHERE ca_id = $1::uuid AND status = 'ISSUED'"
                         " ORDER BY issued_at, serial",
                         1, NULL, p, NULL, NULL, 0) ||
      !PQsetSingleRowMode(s->conn)) {
    store_fail(s, NULL, e);
    return -1;
  }
  /* every result is read, also after a failure, so the connection is
   * ready for the next statement */
  while ((r = store_result(s)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE && !failed && rc == 0)
      rc = store_report_row(r, fn, arg);
    if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed) {
      failed = 1;
      store_fail(s, r, e);
      if (!s->conn)
        return -1;
      continue;
    }
    PQclear(r);
  }
  if (!s->conn && !failed) { /* the wait ran out */
    store_fail(s, NULL, e);
    return -1;
  }
  return failed || rc < 0 ? -1 : 0;
}

/* A report's rows may take long in all: no server-side statement timeout,
 * and the wait for each row is bounded by STORE_REPORT_ROW_MS instead. */
#define STORE_REPORT_ROW_MS 60000

int store_report_certs(store_t *s, const char *ca_id, store_report_cert_fn fn, void *arg,
                       err_t *e) {
  long limit = s->stmt_timeout_ms;
  int rc;
  if (store_cmd(s, "SET statement_timeout = 0", e) < 0)
    return -1;
  s->stmt_timeout_ms = STORE_REPORT_ROW_MS;
  rc = store_report_rows(s, ca_id, fn, arg, e);
  s->stmt_timeout_ms = limit;
  if (s->conn && store_cmd(s, "RESET statement_timeout", rc < 0 ? NULL : e) < 0)
    rc = -1;
  return rc;
}

