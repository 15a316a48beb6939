#include "store/store_crl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

int store_crl_due(store_t *s, long delay_s, store_crl_due_t **out, int *n, err_t *e) {
  char delay[24];
  const char *p[1] = {delay};
  PGresult *r;
  snprintf(delay, sizeof delay, "%ld", delay_s);
  *out = NULL;
  *n = 0;
  /* the complete CRL of each CA (partition NULL), and one per partition:
   * the CA's or the partition's revocation counter against the one its
   * newest CRL saw */
  r = store_exec(s,
                 "SELECT ca.id::text, ca.arn, ca.account_id, ca.revocation_config::text,"
                 " x.revocations, x.partition::text FROM certificate_authorities ca"
                 " CROSS JOIN LATERAL (SELECT NULL::uuid AS partition, ca.revocations UNION ALL"
                 "  SELECT id, revocations FROM crl_partitions WHERE ca_id = ca.id) x"
                 " LEFT JOIN LATERAL"
                 " (SELECT created_at, this_update, next_update, revocations, config FROM crls"
                 "  WHERE crls.ca_id = ca.id AND crls.partition IS NOT DISTINCT FROM x.partition"
                 "  ORDER BY number DESC LIMIT 1) l ON true"
                 " WHERE ca.status IN ('ACTIVE', 'DISABLED') AND ca.certificate_der IS NOT NULL"
                 " AND ca.revocation_config #>> '{CrlConfiguration,Enabled}' = 'true'"
                 " AND (l.config IS NULL OR l.config <> ca.revocation_config"
                 "  OR now() > l.this_update + (l.next_update - l.this_update) / 2"
                 "  OR (x.revocations > l.revocations"
                 "      AND l.created_at < now() - $1::int * interval '1 second'))"
                 " ORDER BY ca.id, x.partition NULLS FIRST LIMIT 16",
                 1, p, e);
  if (!r)
    return -1;
  *out = calloc((size_t)PQntuples(r) + 1, sizeof **out);
  for (int i = 0; *out && i < PQntuples(r); i++, (*n)++) {
    store_crl_due_t *d = &(*out)[i];
    d->id = store_col(r, i, 0);
    d->arn = store_col(r, i, 1);
    d->account = store_col(r, i, 2);
    d->revocation_config = store_col(r, i, 3);
    d->revocations = atoll(PQgetvalue(r, i, 4));
    d->partition = store_col(r, i, 5);
  }
  PQclear(r);
  return *out ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

void store_crl_due_free(store_crl_due_t *v, int n) {
  for (int i = 0; i < n; i++) {
    free(v[i].id);
    free(v[i].arn);
    free(v[i].account);
    free(v[i].revocation_config);
    free(v[i].partition);
  }
  free(v);
}

int store_crl_lock(store_t *s, const char *ca_id, err_t *e) {
  const char *p[1] = {ca_id};
  PGresult *r = store_exec(s,
                           "SELECT pg_try_advisory_xact_lock(hashtext('pcad:crl'),"
                           " hashtext($1))",
                           1, p, e);
  int got;
  if (!r)
    return -1;
  got = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  return got;
}

int store_crl_entries(store_t *s, const char *ca_id, const char *partition, long grace_s,
                      store_crl_entry_t **out, int *n, err_t *e) {
  char grace[24];
  const char *p[3] = {ca_id, grace, partition};
  PGresult *r;
  snprintf(grace, sizeof grace, "%ld", grace_s);
  *out = NULL;
  *n = 0;
  r = store_exec(s,
                 "SELECT serial, extract(epoch from revoked_at)::bigint, revocation_reason"
                 " FROM certificates WHERE ca_id = $1::uuid AND revoked_at IS NOT NULL"
                 " AND not_after > now() - $2::int * interval '1 second'"
                 " AND ($3::uuid IS NULL OR crl_partition = $3::uuid) ORDER BY serial",
                 3, p, e);
  if (!r)
    return -1;
  *out = calloc((size_t)PQntuples(r) + 1, sizeof **out);
  for (int i = 0; *out && i < PQntuples(r); i++, (*n)++) {
    (*out)[i].serial = store_col(r, i, 0);
    (*out)[i].revoked_at = atoll(PQgetvalue(r, i, 1));
    (*out)[i].reason = store_col(r, i, 2);
  }
  PQclear(r);
  return *out ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

void store_crl_entries_free(store_crl_entry_t *v, int n) {
  for (int i = 0; i < n; i++) {
    free(v[i].serial);
    free(v[i].reason);
  }
  free(v);
}

int store_crl_next_number(store_t *s, const char *ca_id, char num[32], err_t *e) {
  const char *p[1] = {ca_id};
  PGresult *r = store_exec(s,
                           "SELECT greatest(coalesce(max(number) + 1, 1),"
                           " floor(extract(epoch from clock_timestamp()) * 1000))::text"
                           " FROM crls WHERE ca_id = $1::uuid",
                           1, p, e);
  if (!r)
    return -1;
  snprintf(num, 32, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  return 0;
}

int store_crl_insert(store_t *s, const store_crl_new_t *c, err_t *e) {
  char tu[24], nu[24], rv[24];
  const char *p[8] = {c->ca_id, c->number, tu, nu, rv, c->target, (const char *)c->der,
                      c->partition};
  const char *q[2] = {c->ca_id, c->partition};
  int lens[8] = {0, 0, 0, 0, 0, 0, (int)c->len, 0}, fmts[8] = {0, 0, 0, 0, 0, 0, 1, 0};
  snprintf(tu, sizeof tu, "%lld", c->this_update);
  snprintf(nu, sizeof nu, "%lld", c->next_update);
  snprintf(rv, sizeof rv, "%lld", c->revocations);
  if (store_rows(store_exec_bin(
          s,
          "INSERT INTO crls (ca_id, number, this_update, next_update, revocations, config,"
          " target, der, partition) SELECT $1::uuid, $2::numeric, to_timestamp($3),"
          " to_timestamp($4), $5, revocation_config, $6, $7, $8::uuid"
          " FROM certificate_authorities WHERE id = $1::uuid",
          8, p, lens, fmts, e)) != 1)
    return -1;
  /* the newest two stay: a writer may still be writing the one before */
  return store_rows(store_exec(s,
                               "DELETE FROM crls WHERE ca_id = $1::uuid"
                               " AND partition IS NOT DISTINCT FROM $2::uuid AND number <"
                               " (SELECT min(number) FROM (SELECT number FROM crls WHERE"
                               " ca_id = $1::uuid AND partition IS NOT DISTINCT FROM $2::uuid"
                               " ORDER BY number DESC LIMIT 2) newest)",
                               2, q, e)) < 0
             ? -1
             : 0;
}

int store_crl_heads(store_t *s, store_crl_head_t **out, int *n, err_t *e) {
  PGresult *r = store_exec(s,
                           "SELECT DISTINCT ON (c.ca_id, c.partition) c.ca_id::text, c.number::text, c.target,"
                           " coalesce(c.config #>> '{CrlConfiguration,S3ObjectAcl}', 'PUBLIC_READ')"
                           " FROM crls c JOIN certificate_authorities ca ON ca.id = c.ca_id"
                           " WHERE ca.revocation_config #>> '{CrlConfiguration,Enabled}' = 'true'"
                           " ORDER BY c.ca_id, c.partition, c.number DESC",
                           0, NULL, e);
  *out = NULL;
  *n = 0;
  if (!r)
    return -1;
  *out = calloc((size_t)PQntuples(r) + 1, sizeof **out);
  for (int i = 0; *out && i < PQntuples(r); i++, (*n)++) {
    (*out)[i].ca_id = store_col(r, i, 0);
    (*out)[i].number = store_col(r, i, 1);
    (*out)[i].target = store_col(r, i, 2);
    (*out)[i].acl = store_col(r, i, 3);
  }
  PQclear(r);
  return *out ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

void store_crl_heads_free(store_crl_head_t *v, int n) {
  for (int i = 0; i < n; i++) {
    free(v[i].ca_id);
    free(v[i].number);
    free(v[i].target);
    free(v[i].acl);
  }
  free(v);
}

int store_crl_der(store_t *s, const char *ca_id, const char *number, unsigned char **der,
                  size_t *len, err_t *e) {
  const char *p[2] = {ca_id, number};
  PGresult *r = store_exec(s,
                           "SELECT der FROM crls WHERE ca_id = $1::uuid AND number = $2::numeric",
                           2, p, e);
  int rc = 1;
  if (!r)
    return -1;
  if (PQntuples(r) == 1) {
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), len);
    *der = raw ? malloc(*len ? *len : 1) : NULL;
    if (*der)
      memcpy(*der, raw, *len);
    PQfreemem(raw);
    rc = *der ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
  }
  PQclear(r);
  return rc;
}

int store_crl_count_revocation(store_t *s, const char *ca_id, const char *serial, err_t *e) {
  const char *p[2] = {ca_id, serial};
  if (store_rows(store_exec(s,
                            "UPDATE certificate_authorities SET revocations = revocations + 1"
                            " WHERE id = $1::uuid",
                            1, p, e)) != 1)
    return -1;
  return store_rows(store_exec(s,
                               "UPDATE crl_partitions SET revocations = revocations + 1"
                               " WHERE ca_id = $1::uuid AND id = (SELECT crl_partition FROM"
                               " certificates WHERE ca_id = $1::uuid AND serial = $2)",
                               2, p, e)) < 0
             ? -1
             : 0;
}

int store_crl_partition_next(store_t *s, const char *ca_id, long size, char out[37], err_t *e) {
  char sz[24];
  const char *p[2] = {ca_id, sz};
  PGresult *r;
  snprintf(sz, sizeof sz, "%ld", size);
  r = store_exec(s,
                 "SELECT md5($1 || ':' || (nextval('crl_partition_seq') / $2::bigint))::uuid::text",
                 2, p, e);
  if (!r)
    return -1;
  snprintf(out, 37, "%s", PQgetvalue(r, 0, 0));
  PQclear(r);
  return 0;
}
