#include "store/store_cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

#define STORE_CERT_COLUMNS                                                              \
  "arn, serial, status, extract(epoch from revoked_at)::text, revocation_reason, der"

cert_state_t store_cert_state(const char *text) {
  static const char *const names[] = {[CERT_PENDING] = "PENDING", [CERT_ISSUED] = "ISSUED",
                                      [CERT_FAILED] = "FAILED"};
  for (int s = 0; text && s < CERT_UNKNOWN; s++)
    if (strcmp(text, names[s]) == 0)
      return (cert_state_t)s;
  return CERT_UNKNOWN;
}

static void store_cert_fill(store_cert_t *c, PGresult *r) {
  char **f[5] = {&c->arn, &c->serial, NULL, &c->revoked_at, &c->revocation_reason};
  memset(c, 0, sizeof *c);
  for (int k = 0; k < 5; k++)
    if (f[k])
      *f[k] = PQgetisnull(r, 0, k) ? NULL : strdup(PQgetvalue(r, 0, k));
  c->status = store_cert_state(PQgetvalue(r, 0, 2));
  if (!PQgetisnull(r, 0, 5))
    c->der = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 5), &c->der_len);
}

void store_cert_clear(store_cert_t *c) {
  free(c->arn);
  free(c->serial);
  free(c->revoked_at);
  free(c->revocation_reason);
  PQfreemem(c->der);
  memset(c, 0, sizeof *c);
}

static void store_cert_fill_row(void *out, PGresult *r, int row) {
  (void)row;
  store_cert_fill(out, r);
}

/* 0 with *out filled, 1 when there is no row. */
static int store_cert_one(store_t *s, const char *sql, int n, const char *const *p,
                          store_cert_t *out, err_t *e) {
  memset(out, 0, sizeof *out);
  return store_exec_row(s, sql, n, p, store_cert_fill_row, out, e);
}

#define STORE_AUDIT_INSERT                                                              \
  "INSERT INTO audit_events (event, account_id, actor, request_id, ca_arn, serial, detail)"

int store_cert_reserve(store_t *s, const store_cert_new_t *n, const store_audit_t *a,
                       int in_tx, err_t *e) {
  char nb[32], na[32];
  const char *p[20] = {n->ca_id,   n->serial,     n->arn,       n->template_name,
                       n->subject, n->requested_by, nb,         na,
                       (const char *)n->tbs, n->signing_algorithm, n->crl_partition,
                       n->ca_status, (const char *)n->ca_cert, a->event, a->account,
                       a->actor,   a->rid,        a->note,      a->ca_arn,
                       n->ca_revocation};
  int lens[20] = {[8] = (int)n->tbs_len, [12] = (int)n->ca_cert_len};
  int fmts[20] = {[8] = 1, [12] = 1};
  store_stmt_t st = {
      "WITH ca AS (SELECT id FROM certificate_authorities WHERE id = $1::uuid"
      "   AND status = $12 AND certificate_der IS NOT DISTINCT FROM $13::bytea"
      "   AND revocation_config::text IS NOT DISTINCT FROM $20 FOR SHARE),"
      " ins AS (INSERT INTO certificates (ca_id, serial, arn, status, template, subject,"
      "   requested_by, not_before, not_after, tbs, signing_algorithm, crl_partition)"
      "   SELECT id, $2, $3, 'PENDING', $4, $5, $6, to_timestamp($7), to_timestamp($8), $9,"
      "   $10, $11::uuid FROM ca ON CONFLICT DO NOTHING RETURNING serial),"
      " part AS (INSERT INTO crl_partitions (ca_id, id) SELECT id, $11::uuid FROM ca"
      "   WHERE $11::uuid IS NOT NULL AND EXISTS (SELECT 1 FROM ins) ON CONFLICT DO NOTHING),"
      " aud AS (" STORE_AUDIT_INSERT " SELECT $14, $15, $16, $17, $19, serial,"
      "   jsonb_build_object('note', $18::text) FROM ins)"
      " SELECT 1 FROM ins",
      20, p, lens, fmts};
  PGresult *r;
  int rows;
  snprintf(nb, sizeof nb, "%lld", n->not_before);
  snprintf(na, sizeof na, "%lld", n->not_after);
  if (!in_tx) {
    rows = store_group_exec(s, &st, e);
  } else {
    if (!(r = store_exec_bin(s, st.sql, st.n, st.params, st.lens, st.fmts, e)))
      return -1;
    rows = PQntuples(r);
    PQclear(r);
  }
  if (rows > 0)
    store_audit_done(s, a);
  return rows;
}

int store_cert_issued_commit(store_t *s, const char *ca_id, const char *serial,
                             const unsigned char *der, size_t len, const store_audit_t *a,
                             err_t *e) {
  const char *p[9] = {ca_id,  serial, (const char *)der, a->event, a->account,
                      a->actor, a->rid, a->note,           a->ca_arn};
  int lens[9] = {[2] = (int)len}, fmts[9] = {[2] = 1};
  store_stmt_t st = {
      "WITH u AS (UPDATE certificates SET status = 'ISSUED', der = $3, tbs = NULL,"
      "   issued_at = now() WHERE ca_id = $1::uuid AND serial = $2 AND status = 'PENDING'"
      "   RETURNING serial)"
      " " STORE_AUDIT_INSERT " SELECT $4, $5, $6, $7, $9, serial,"
      "   jsonb_build_object('note', $8::text) FROM u",
      9, p, lens, fmts};
  int rows = store_group_exec(s, &st, e);
  if (rows > 0)
    store_audit_done(s, a);
  return rows;
}

int store_cert_get(store_t *s, const char *ca_id, const char *arn, store_cert_t *out, err_t *e) {
  const char *p[2] = {ca_id, arn};
  return store_cert_one(s,
                        "SELECT " STORE_CERT_COLUMNS " FROM certificates"
                        " WHERE ca_id = $1::uuid AND arn = $2",
                        2, p, out, e);
}

static void store_cert_ca_fill(void *out, PGresult *r, int row) {
  store_cert_ca_t *ca = out;
  (void)row;
  ca->status = store_col(r, 0, 6);
  ca->chain_pem = store_col(r, 0, 8);
  if (!PQgetisnull(r, 0, 7))
    ca->cert_der = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 7), &ca->cert_len);
  ca->has_cert = !PQgetisnull(r, 0, 0);
  if (ca->has_cert)
    store_cert_fill(ca->cert, r);
}

int store_cert_get_with_ca(store_t *s, const char *account, const char *ca_arn, const char *arn,
                           store_cert_ca_t *ca, store_cert_t *out, err_t *e) {
  const char *p[3] = {ca_arn, account, arn};
  int found;
  memset(ca, 0, sizeof *ca);
  memset(out, 0, sizeof *out);
  ca->cert = out;
  found = store_exec_row(s,
                         "SELECT c.arn, c.serial, c.status, extract(epoch from c.revoked_at)::text,"
                         " c.revocation_reason, c.der, a.status, a.certificate_der,"
                         " a.certificate_chain_pem FROM certificate_authorities a"
                         " LEFT JOIN certificates c ON c.ca_id = a.id AND c.arn = $3"
                         " WHERE a.arn = $1 AND a.account_id = $2",
                         3, p, store_cert_ca_fill, ca, e);
  if (found < 0)
    return -1;
  return !found ? STORE_CERT_NO_CA : ca->has_cert ? STORE_CERT_FOUND : STORE_CERT_NO_CERT;
}

void store_cert_ca_clear(store_cert_ca_t *ca) {
  free(ca->status);
  free(ca->chain_pem);
  PQfreemem(ca->cert_der);
  memset(ca, 0, sizeof *ca);
}

int store_cert_by_serial(store_t *s, const char *ca_id, const char *serial, int lock,
                         store_cert_t *out, err_t *e) {
  const char *p[2] = {ca_id, serial};
  return store_cert_one(s,
                        lock ? "SELECT " STORE_CERT_COLUMNS " FROM certificates"
                               " WHERE ca_id = $1::uuid AND serial = $2 FOR UPDATE"
                             : "SELECT " STORE_CERT_COLUMNS " FROM certificates"
                               " WHERE ca_id = $1::uuid AND serial = $2",
                        2, p, out, e);
}

int store_cert_revoke(store_t *s, const char *ca_id, const char *serial, const char *reason,
                      err_t *e) {
  const char *p[3] = {ca_id, serial, reason};
  int rows = store_rows(store_exec(s,
                                   "UPDATE certificates SET revoked_at = now(),"
                                   " revocation_reason = $3 WHERE ca_id = $1::uuid"
                                   " AND serial = $2 AND revoked_at IS NULL",
                                   3, p, e));
  if (rows < 0)
    return -1;
  return rows == 1 ? 0 : err_set(e, ERR_RequestAlreadyProcessedException,
                                 "The certificate is already revoked.");
}

int store_cert_failed(store_t *s, const char *ca_id, const char *serial, err_t *e) {
  const char *p[2] = {ca_id, serial};
  return store_rows(store_exec(s,
                               "UPDATE certificates SET status = 'FAILED', tbs = NULL"
                               " WHERE ca_id = $1::uuid AND serial = $2 AND status = 'PENDING'",
                               2, p, e));
}

void store_cert_stale_clear(store_cert_stale_t *c) {
  free(c->ca_arn);
  free(c->account);
  free(c->serial);
  free(c->arn);
  free(c->signing_algorithm);
  PQfreemem(c->tbs);
  memset(c, 0, sizeof *c);
}

int store_cert_stale(store_t *s, long age_s, const char *skip, store_cert_stale_t *out,
                     err_t *e) {
  char age[24];
  const char *p[2] = {age, skip ? skip : ""};
  PGresult *r;
  int rc = 0;
  snprintf(age, sizeof age, "%ld", age_s);
  memset(out, 0, sizeof *out);
  r = store_exec(s,
                 "SELECT ca.arn, ca.account_id, c.serial, c.arn, c.signing_algorithm, c.tbs"
                 " FROM certificates c JOIN certificate_authorities ca ON ca.id = c.ca_id"
                 " WHERE c.status = 'PENDING' AND c.created_at < now() - $1::int * interval"
                 " '1 second' AND c.arn > $2 ORDER BY c.arn LIMIT 1",
                 2, p, e);
  if (!r)
    return -1;
  if (PQntuples(r) == 1) {
    char **f[5] = {&out->ca_arn, &out->account, &out->serial, &out->arn,
                   &out->signing_algorithm};
    for (int k = 0; k < 5; k++)
      *f[k] = PQgetisnull(r, 0, k) ? NULL : strdup(PQgetvalue(r, 0, k));
    if (!PQgetisnull(r, 0, 5))
      out->tbs = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 5), &out->tbs_len);
    rc = 1;
  }
  PQclear(r);
  return rc;
}
