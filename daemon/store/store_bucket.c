#include "store/store_bucket.h"

#include <stdio.h>
#include <string.h>

#include "store/store_priv.h"

/* Every (bucket, account) a CA names: its CRL configuration's bucket part
 * and its audit reports' buckets, with the CA's age to find the oldest. */
#define STORE_BUCKET_NAMED                                                                 \
  "WITH named AS ("                                                                        \
  " SELECT split_part(revocation_config #>> '{CrlConfiguration,S3BucketName}', '/', 1)"    \
  "  AS bucket, account_id, created_at, id FROM certificate_authorities"                   \
  "  WHERE revocation_config #>> '{CrlConfiguration,S3BucketName}' IS NOT NULL"            \
  " UNION ALL SELECT split_part(r.bucket, '/', 1), c.account_id, c.created_at, c.id"       \
  "  FROM audit_reports r JOIN certificate_authorities c ON c.id = r.ca_id)"

int store_bucket_claim(store_t *s, const char *bucket, const char *account, char owner[13],
                       int *shared, err_t *e) {
  const char *p[2] = {bucket, account};
  PGresult *r;
  int ret = -1;
  *shared = 0;
  owner[0] = 0;
  /* two statements: the SELECT's snapshot is taken after the INSERT has
   * waited for a concurrent claim of the same bucket to commit */
  if (store_rows(store_exec(s,
                            "INSERT INTO bucket_owners (bucket, account_id, source)"
                            " VALUES ($1, $2, 'claim') ON CONFLICT (bucket) DO NOTHING",
                            2, p, e)) < 0 ||
      !(r = store_exec(s,
                       "SELECT o.account_id, EXISTS (SELECT 1 FROM bucket_sharers h"
                       " WHERE h.bucket = o.bucket AND h.account_id = $2)"
                       " FROM bucket_owners o WHERE o.bucket = $1",
                       2, p, e)))
    return -1;
  if (PQntuples(r) == 1) {
    snprintf(owner, 13, "%s", PQgetvalue(r, 0, 0));
    *shared = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
    ret = 0;
  } else {
    err_set(e, ERR_InternalFailure, "bucket %s has no owner after its claim", bucket);
  }
  PQclear(r);
  return ret;
}

int store_bucket_named_by(store_t *s, const char *ca_id, const char *bucket, err_t *e) {
  const char *p[2] = {ca_id, bucket};
  PGresult *r = store_exec(
      s,
      "SELECT EXISTS (SELECT 1 FROM certificate_authorities WHERE id = $1::uuid AND"
      "  split_part(revocation_config #>> '{CrlConfiguration,S3BucketName}', '/', 1) = $2)"
      " OR EXISTS (SELECT 1 FROM audit_reports WHERE ca_id = $1::uuid"
      "  AND split_part(bucket, '/', 1) = $2)",
      2, p, e);
  int yes;
  if (!r)
    return -1;
  yes = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  return yes;
}

int store_bucket_lock(store_t *s, err_t *e) {
  return store_cmd(s, "SELECT pg_advisory_xact_lock(hashtext('pcad:bucket_owners'))", e);
}

int store_bucket_unshare_all(store_t *s, err_t *e) {
  return store_cmd(s, "DELETE FROM bucket_sharers", e);
}

int store_bucket_assign(store_t *s, const char *bucket, const char *owner, const char *sharers,
                        err_t *e) {
  const char *p[3] = {bucket, owner, sharers};
  if (store_rows(store_exec(s,
                            "INSERT INTO bucket_owners (bucket, account_id, source)"
                            " VALUES ($1, $2, 'config') ON CONFLICT (bucket) DO UPDATE"
                            " SET account_id = EXCLUDED.account_id, source = 'config'",
                            2, p, e)) < 0)
    return -1;
  return store_rows(store_exec(s,
                               "INSERT INTO bucket_sharers (bucket, account_id)"
                               " SELECT DISTINCT $1::text, a"
                               " FROM unnest(string_to_array($3::text, ',')) a"
                               " WHERE a <> '' AND a <> $2::text ON CONFLICT DO NOTHING",
                               3, p, e)) < 0
             ? -1
             : 0;
}

/* fn for each row (bucket, owner, accounts) of a statement's result. */
static int store_bucket_each(store_t *s, const char *sql, store_bucket_fn fn, void *arg,
                             err_t *e) {
  PGresult *r = store_exec(s, sql, 0, NULL, e);
  if (!r)
    return -1;
  for (int i = 0; i < PQntuples(r); i++)
    fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), arg);
  PQclear(r);
  return 0;
}

int store_bucket_adopt(store_t *s, store_bucket_fn fn, void *arg, err_t *e) {
  return store_bucket_each(
      s,
      STORE_BUCKET_NAMED
      ", oldest AS (SELECT DISTINCT ON (bucket) bucket, account_id FROM named"
      "  WHERE bucket <> '' ORDER BY bucket, created_at, id),"
      " adopted AS (INSERT INTO bucket_owners (bucket, account_id, source)"
      "  SELECT bucket, account_id, 'upgrade' FROM oldest ON CONFLICT (bucket) DO NOTHING"
      "  RETURNING bucket, account_id)"
      " SELECT a.bucket, a.account_id, (SELECT string_agg(DISTINCT n.account_id, ','"
      "  ORDER BY n.account_id) FROM named n WHERE n.bucket = a.bucket)"
      " FROM adopted a ORDER BY a.bucket",
      fn, arg, e);
}

int store_bucket_conflicts(store_t *s, store_bucket_fn fn, void *arg, err_t *e) {
  return store_bucket_each(
      s,
      STORE_BUCKET_NAMED
      " SELECT o.bucket, o.account_id, string_agg(DISTINCT n.account_id, ','"
      "  ORDER BY n.account_id)"
      " FROM named n JOIN bucket_owners o ON o.bucket = n.bucket"
      " WHERE n.account_id <> o.account_id AND NOT EXISTS (SELECT 1 FROM bucket_sharers h"
      "  WHERE h.bucket = o.bucket AND h.account_id = n.account_id)"
      " GROUP BY o.bucket, o.account_id ORDER BY o.bucket",
      fn, arg, e);
}
