#include "store/store_ca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/store_priv.h"

/* The text columns (STORE_CA_TEXTS), then three at STORE_CA_NTEXT + 0..2. */
#define STORE_CA_SQL(member, sql) sql ", "
#define STORE_CA_COLUMNS                                                                 \
  STORE_CA_TEXTS(STORE_CA_SQL)                                                           \
  "certificate_der, key_id, (status = 'DELETED' AND restorable_until > now())"
#define STORE_CA_OFFSET(member, sql) offsetof(store_ca_t, member),
static const size_t store_ca_texts[] = {STORE_CA_TEXTS(STORE_CA_OFFSET)};
#define STORE_CA_NTEXT (int)(sizeof store_ca_texts / sizeof store_ca_texts[0])

/* The k-th text member of c. */
static char **store_ca_text(store_ca_t *c, int k) {
  return (char **)((char *)c + store_ca_texts[k]);
}


/* A key_id column (bytea, 16 bytes by the schema's CHECK) into out: 1, or
 * 0 when it is NULL or not 16 bytes. */
static int store_ca_key_id(PGresult *r, int row, int col, unsigned char out[16]) {
  size_t n = 0;
  unsigned char *k;
  int ok;
  if (PQgetisnull(r, row, col))
    return 0;
  k = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
  ok = k && n == 16;
  if (ok)
    memcpy(out, k, 16);
  PQfreemem(k);
  return ok;
}

static void store_ca_fill(store_ca_t *c, PGresult *r, int i) {
  memset(c, 0, sizeof *c);
  for (int k = 0; k < STORE_CA_NTEXT; k++)
    *store_ca_text(c, k) = store_col(r, i, k);
  if (!PQgetisnull(r, i, STORE_CA_NTEXT))
    c->cert_der = PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, STORE_CA_NTEXT),
                                  &c->cert_len);
  c->has_key = store_ca_key_id(r, i, STORE_CA_NTEXT + 1, c->key_id);
  c->restorable = strcmp(PQgetvalue(r, i, STORE_CA_NTEXT + 2), "t") == 0;
}

void store_ca_clear(store_ca_t *c) {
  for (int k = 0; k < STORE_CA_NTEXT; k++)
    free(*store_ca_text(c, k));
  PQfreemem(c->cert_der);
  memset(c, 0, sizeof *c);
}

int store_ca_dup(const store_ca_t *from, store_ca_t *to) {
  int ok = 1;
  memset(to, 0, sizeof *to);
  for (int k = 0; k < STORE_CA_NTEXT; k++) {
    const char *f = *store_ca_text((store_ca_t *)from, k);
    ok &= !f || (*store_ca_text(to, k) = strdup(f)) != NULL;
  }
  /* PQfreemem, which store_ca_clear uses on it, is free() here */
  if (from->cert_der && (to->cert_der = malloc(from->cert_len)))
    memcpy(to->cert_der, from->cert_der, to->cert_len = from->cert_len);
  ok &= !from->cert_der || to->cert_der != NULL;
  memcpy(to->key_id, from->key_id, sizeof to->key_id);
  to->has_key = from->has_key;
  to->restorable = from->restorable;
  if (ok)
    return 0;
  store_ca_clear(to);
  return -1;
}

void store_ca_free(store_ca_t *rows, int n) {
  for (int i = 0; rows && i < n; i++)
    store_ca_clear(&rows[i]);
  free(rows);
}

/* Runs a statement that must touch rows; returns how many it touched. */
static int store_ca_exec_n(store_t *s, const char *sql, int n, const char *const *p, err_t *e) {
  return store_rows(store_exec(s, sql, n, p, e));
}

static void store_ca_fill_row(void *out, PGresult *r, int i) { store_ca_fill(out, r, i); }

/* A statement returning at most one CA row: 1 with *out filled, 0 none. */
static int store_ca_select1(store_t *s, const char *sql, int n, const char *const *p,
                            store_ca_t *out, err_t *e) {
  memset(out, 0, sizeof *out);
  return store_exec_row(s, sql, n, p, store_ca_fill_row, out, e);
}

#define STORE_CA_LIST(where)                                                           \
  "SELECT " STORE_CA_COLUMNS ","                                                       \
  " (extract(epoch from created_at) * 1000000)::bigint::text || ':' || id::text"       \
  " FROM certificate_authorities WHERE " where                                         \
  " AND ($2::text IS NULL OR (created_at, id) >"                                       \
  "  (timestamptz 'epoch' + split_part($2, ':', 1)::bigint * interval '1 microsecond',"  \
  "   split_part($2, ':', 2)::uuid))"                                                  \
  /* qualified: the output columns of the same names are text */                       \
  " ORDER BY certificate_authorities.created_at, certificate_authorities.id LIMIT $3"

int store_ca_list(store_t *s, const char *account, int shared, const char *cursor, int limit,
                  store_ca_t **rows, int *nrows, char **next, err_t *e) {
  /* keyset pagination on (created_at, id); a cursor is "<micros>:<uuid>" */
  static const char *const sql[2] = {
      STORE_CA_LIST("account_id = $1"),
      STORE_CA_LIST("account_id <> $1 AND policy LIKE '%' || $1 || '%'")};
  char lim[16];
  const char *p[3] = {account, cursor, lim};
  PGresult *r;
  int n;
  *rows = NULL;
  *nrows = 0;
  *next = NULL;
  snprintf(lim, sizeof lim, "%d", limit + 1);
  r = store_exec(s, sql[shared != 0], 3, p, e);
  if (!r)
    return -1;
  n = store_page(r, limit, 22, next);
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

/* The CAs whose OCSP responder pcad runs (columns of certificate_authorities). */
#define STORE_CA_OCSP_ANSWERS                                                        \
  "a.certificate_der IS NOT NULL AND a.key_id IS NOT NULL"                          \
  " AND a.status IN ('ACTIVE', 'DISABLED', 'EXPIRED')"                             \
  " AND a.revocation_config #>> '{OcspConfiguration,Enabled}' = 'true'"

int store_ca_ocsp(store_t *s, store_ca_t **rows, int *nrows, err_t *e) {
  PGresult *r = store_exec(s,
                           "SELECT " STORE_CA_COLUMNS " FROM certificate_authorities a"
                           " WHERE " STORE_CA_OCSP_ANSWERS,
                           0, NULL, e);
  int n;
  *rows = NULL;
  *nrows = 0;
  if (!r)
    return -1;
  n = PQntuples(r);
  *rows = calloc((size_t)(n ? n : 1), sizeof **rows);
  for (int i = 0; *rows && i < n; i++)
    store_ca_fill(&(*rows)[i], r, i);
  PQclear(r);
  if (!*rows)
    return err_set(e, ERR_InternalFailure, "out of memory");
  *nrows = n;
  return 0;
}

int store_ca_expiries(store_t *s, void (*fn)(const char *ca_id, long long not_after, void *arg),
                      void *arg, err_t *e) {
  PGresult *r = store_exec(s,
                           "SELECT id::text, floor(extract(epoch from not_after))::bigint::text"
                           " FROM certificate_authorities WHERE not_after IS NOT NULL"
                           " AND status <> 'DELETED'",
                           0, NULL, e);
  if (!r)
    return -1;
  for (int i = 0; i < PQntuples(r); i++)
    fn(PQgetvalue(r, i, 0), strtoll(PQgetvalue(r, i, 1), NULL, 10), arg);
  PQclear(r);
  return 0;
}

int store_ca_get(store_t *s, const char *account, const char *arn, int lock, store_ca_t *out,
                 err_t *e) {
  const char *p[2] = {arn, account};
  static const char *const sql[] = {
      [STORE_LOCK_NONE] = "SELECT " STORE_CA_COLUMNS " FROM certificate_authorities"
                          " WHERE arn = $1 AND account_id = $2",
      [STORE_LOCK_UPDATE] = "SELECT " STORE_CA_COLUMNS " FROM certificate_authorities"
                            " WHERE arn = $1 AND account_id = $2 FOR UPDATE",
      [STORE_LOCK_SHARE] = "SELECT " STORE_CA_COLUMNS " FROM certificate_authorities"
                           " WHERE arn = $1 AND account_id = $2 FOR SHARE"};
  return store_ca_select1(s, sql[lock], 2, p, out, e);
}

/* The serials as one "a,b,c" parameter (string_to_array in the SQL):
 * malloc'ed, or NULL (e set) when one is empty or holds a comma. */
static char *store_ca_serial_list(const char *const *serials, int n, err_t *e) {
  buf_t b = {0};
  int ok = n > 0;
  for (int i = 0; ok && i < n; i++)
    ok = serials[i][0] && !strchr(serials[i], ',') && (i == 0 || buf_putc(&b, ',') == 0) &&
         buf_puts(&b, serials[i]) == 0;
  if (ok && b.data)
    return buf_take(&b);
  buf_free(&b);
  err_set(e, ERR_InternalFailure, "OCSP: %d serials that cannot be asked for", n);
  return NULL;
}

/* Row i of the OCSP check: serial number k (its ordinality) into certs[k - 1]. */
static void store_ca_ocsp_fill(PGresult *r, int i, int n, store_ocsp_cert_t *certs) {
  long k = strtol(PQgetvalue(r, i, 2), NULL, 10);
  store_ocsp_cert_t *o;
  if (k < 1 || k > n)
    return;
  o = &certs[k - 1];
  o->found = !PQgetisnull(r, i, 3);
  o->status = store_cert_state(PQgetvalue(r, i, 3));
  o->revoked_at = PQgetisnull(r, i, 4) ? -1 : strtoll(PQgetvalue(r, i, 4), NULL, 10);
  snprintf(o->reason, sizeof o->reason, "%s", PQgetvalue(r, i, 5));
}

int store_ca_ocsp_check(store_t *s, const char *ca_id, const char *const *serials, int n,
                        store_ocsp_t *out, store_ocsp_cert_t *certs, err_t *e) {
  char *list = store_ca_serial_list(serials, n, e);
  const char *p[2] = {ca_id, list};
  PGresult *r = NULL;
  int rows = -1;
  memset(out, 0, sizeof *out);
  for (int i = 0; i < n; i++)
    certs[i] = (store_ocsp_cert_t){.revoked_at = -1};
  if (list)
    r = store_exec(s,
                   "SELECT coalesce(" STORE_CA_OCSP_ANSWERS ", false),"
                   " encode(sha256(coalesce(a.certificate_der, '')), 'hex'), q.k, c.status,"
                   " floor(extract(epoch from c.revoked_at))::bigint, c.revocation_reason"
                   " FROM certificate_authorities a"
                   " CROSS JOIN unnest(string_to_array($2::text, ','))"
                   " WITH ORDINALITY q(serial, k)"
                   " LEFT JOIN certificates c ON c.ca_id = a.id AND c.serial = q.serial"
                   " WHERE a.id = $1::uuid",
                   2, p, e);
  if (r && (rows = PQntuples(r)) > 0) {
    out->answers = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    snprintf(out->cert_sha256, sizeof out->cert_sha256, "%s", PQgetvalue(r, 0, 1));
  }
  for (int i = 0; i < rows; i++)
    store_ca_ocsp_fill(r, i, n, certs);
  PQclear(r);
  free(list);
  return rows < 0 ? -1 : rows == 0;
}

typedef struct {
  char **policy;
  char *owner;
} store_ca_policy_t;

static void store_ca_policy_fill(void *out, PGresult *r, int i) {
  store_ca_policy_t *o = out;
  *o->policy = PQgetisnull(r, i, 0) ? NULL : strdup(PQgetvalue(r, i, 0));
  snprintf(o->owner, 13, "%s", PQgetvalue(r, i, 1));
}

int store_ca_policy(store_t *s, const char *arn, char **policy, char owner[13], err_t *e) {
  const char *p[1] = {arn};
  store_ca_policy_t o = {policy, owner};
  int found;
  *policy = NULL;
  found = store_exec_row(s,
                         "SELECT policy, account_id FROM certificate_authorities WHERE arn = $1",
                         1, p, store_ca_policy_fill, &o, e);
  return found < 0 ? -1 : !found;
}

int store_ca_set_policy(store_t *s, const char *id, const char *text, err_t *e) {
  const char *p[2] = {id, text};
  return store_rows(store_exec(s, "UPDATE certificate_authorities SET policy = $2 WHERE id = $1::uuid",
                               2, p, e)) == 1
             ? 0
             : -1;
}

int store_ca_count(store_t *s, const char *account, long *n, err_t *e) {
  const char *p[1] = {account};
  PGresult *r =
      store_exec(s, "SELECT count(*) FROM certificate_authorities WHERE account_id = $1", 1, p, e);
  if (!r)
    return -1;
  *n = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  return 0;
}

int store_ca_lock_account(store_t *s, const char *account, err_t *e) {
  const char *p[1] = {account};
  PGresult *r = store_exec(s, "SELECT pg_advisory_xact_lock(hashtext('pcad:account:' || $1))",
                           1, p, e);
  PQclear(r);
  return r ? 0 : -1;
}

int store_ca_insert(store_t *s, const store_ca_new_t *n, err_t *e) {
  const char *p[9] = {n->id,         n->arn,
                      n->account_id, n->region,
                      n->type,       n->usage_mode,
                      n->key_storage_security_standard, n->ca_config,
                      n->revocation_config};
  return store_ca_exec_n(s,
                         "INSERT INTO certificate_authorities (id, arn, account_id, region,"
                         " type, status, usage_mode, key_storage_security_standard, ca_config,"
                         " revocation_config) VALUES ($1, $2, $3, $4, $5, 'CREATING', $6, $7,"
                         " $8::jsonb, $9::jsonb)",
                         9, p, e) == 1
             ? 0
             : -1;
}

static int store_ca_one(store_t *s, const char *sql, int n, const char *const *p, err_t *e) {
  int rows = store_ca_exec_n(s, sql, n, p, e);
  if (rows < 0)
    return -1;
  return rows == 1 ? 0 : err_set(e, ERR_ConcurrentModificationException,
                                 "The certificate authority changed meanwhile; retry.");
}

int store_ca_set_status(store_t *s, const char *id, const char *status, err_t *e) {
  const char *p[2] = {id, status};
  return store_ca_one(s,
                      "UPDATE certificate_authorities SET status = $2,"
                      " last_state_change_at = now() WHERE id = $1::uuid",
                      2, p, e);
}

int store_ca_mark_deleted(store_t *s, const char *id, int days, err_t *e) {
  char d[16];
  const char *p[2] = {id, d};
  snprintf(d, sizeof d, "%d", days);
  return store_ca_one(s,
                      "UPDATE certificate_authorities SET status_before_deletion = status,"
                      " status = 'DELETED', last_state_change_at = now(),"
                      " restorable_until = now() + $2::int * interval '1 day'"
                      " WHERE id = $1::uuid",
                      2, p, e);
}

int store_ca_restore(store_t *s, const char *id, err_t *e) {
  const char *p[1] = {id};
  return store_ca_one(s,
                      "UPDATE certificate_authorities SET status = status_before_deletion,"
                      " status_before_deletion = NULL, restorable_until = NULL,"
                      " last_state_change_at = now() WHERE id = $1::uuid",
                      1, p, e);
}

int store_ca_set_revocation(store_t *s, const char *id, const char *json, err_t *e) {
  const char *p[2] = {id, json};
  return store_ca_one(s,
                      "UPDATE certificate_authorities SET revocation_config = $2::jsonb"
                      " WHERE id = $1::uuid",
                      2, p, e);
}

int store_ca_set_certificate(store_t *s, const char *id, const unsigned char *der, size_t len,
                             const char *chain_pem, const char *serial, long long not_before,
                             long long not_after, const char *status, err_t *e) {
  char nb[32], na[32];
  const char *p[7] = {id, (const char *)der, chain_pem, serial, nb, na, status};
  int lens[7] = {0, (int)len, 0, 0, 0, 0, 0}, fmts[7] = {0, 1, 0, 0, 0, 0, 0};
  PGresult *r;
  int rows;
  snprintf(nb, sizeof nb, "%lld", not_before);
  snprintf(na, sizeof na, "%lld", not_after);
  r = store_exec_bin(s,
                     "UPDATE certificate_authorities SET certificate_der = $2,"
                     " certificate_chain_pem = $3, serial = $4, not_before = to_timestamp($5),"
                     " not_after = to_timestamp($6),"
                     " last_state_change_at = CASE WHEN status = $7 THEN last_state_change_at"
                     "   ELSE now() END, status = $7 WHERE id = $1::uuid",
                     7, p, lens, fmts, e);
  if ((rows = store_rows(r)) < 0)
    return -1;
  return rows == 1 ? 0 : err_set(e, ERR_ConcurrentModificationException,
                                 "The certificate authority changed meanwhile; retry.");
}

int store_ca_remove(store_t *s, const char *id, const char *arn, err_t *e) {
  const char *p[2] = {id, arn};
  if (store_ca_exec_n(s,
                      "INSERT INTO key_destroy_pending (key_label, ca_arn) VALUES ($1, $2)"
                      " ON CONFLICT DO NOTHING",
                      2, p, e) < 0)
    return -1;
  return store_ca_one(s, "DELETE FROM certificate_authorities WHERE id = $1::uuid", 1, p, e);
}

int store_ca_claim_creating(store_t *s, store_ca_t *out, err_t *e) {
  return store_ca_select1(
      s,
      "UPDATE certificate_authorities SET keygen_claimed_at = now() WHERE id = ("
      " SELECT id FROM certificate_authorities WHERE status = 'CREATING'"
      " AND (keygen_claimed_at IS NULL OR keygen_claimed_at < now() - interval '5 minutes')"
      " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " STORE_CA_COLUMNS,
      0, NULL, out, e);
}

int store_ca_set_key(store_t *s, const char *id, const unsigned char key_id[16],
                     const char *csr_pem, err_t *e) {
  char hex[33];
  const char *p[3] = {id, hex, csr_pem};
  for (int i = 0; i < 16; i++)
    snprintf(hex + 2 * i, 3, "%02x", key_id[i]);
  return store_ca_exec_n(s,
                         "UPDATE certificate_authorities SET key_id = decode($2, 'hex'),"
                         " csr_pem = $3, status = 'PENDING_CERTIFICATE',"
                         " last_state_change_at = now(), keygen_claimed_at = NULL"
                         " WHERE id = $1::uuid AND status = 'CREATING'",
                         3, p, e);
}

int store_ca_set_failed(store_t *s, const char *id, const char *reason, err_t *e) {
  const char *p[2] = {id, reason};
  return store_ca_exec_n(s,
                         "UPDATE certificate_authorities SET status = 'FAILED',"
                         " failure_reason = $2, last_state_change_at = now()"
                         " WHERE id = $1::uuid AND status = 'CREATING'",
                         2, p, e) < 0
             ? -1
             : 0;
}

int store_ca_keygen_later(store_t *s, const char *id, int give_up_s, err_t *e) {
  char secs[16];
  const char *p[2] = {id, secs};
  snprintf(secs, sizeof secs, "%d", give_up_s);
  return store_ca_exec_n(s,
                         "UPDATE certificate_authorities SET keygen_claimed_at = NULL"
                         " WHERE id = $1::uuid AND status = 'CREATING'"
                         " AND created_at > now() - $2::int * interval '1 second'",
                         2, p, e);
}

int store_ca_key_ids(store_t *s, unsigned char **ids, int *n, err_t *e) {
  PGresult *r = store_exec(s, "SELECT key_id FROM certificate_authorities WHERE key_id IS NOT NULL",
                           0, NULL, e);
  int rows;
  if (!r)
    return -1;
  rows = PQntuples(r);
  *n = 0;
  if (!(*ids = malloc((size_t)rows * 16 + 1))) {
    PQclear(r);
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  for (int i = 0; i < rows; i++)
    *n += store_ca_key_id(r, i, 0, *ids + (size_t)*n * 16);
  PQclear(r);
  return 0;
}

int store_ca_next_purge(store_t *s, store_ca_t *out, err_t *e) {
  return store_ca_select1(s,
                          "SELECT " STORE_CA_COLUMNS " FROM certificate_authorities"
                          " WHERE status = 'DELETED' AND restorable_until <= now()"
                          " ORDER BY restorable_until LIMIT 1 FOR UPDATE SKIP LOCKED",
                          0, NULL, out, e);
}

int store_ca_expire(store_t *s, char ***arns, int *n, err_t *e) {
  return store_exec_strings(s,
                            "UPDATE certificate_authorities SET status = 'EXPIRED',"
                            " last_state_change_at = now() WHERE status IN ('ACTIVE', 'DISABLED')"
                            " AND not_after <= now() RETURNING arn",
                            0, NULL, arns, n, e);
}
