#ifndef PCAD_STORE_BUCKET_H
#define PCAD_STORE_BUCKET_H
/* The bucket_owners and bucket_sharers tables: which account a bucket
 * (the part of an S3BucketName before any '/') belongs to, and which other
 * accounts the configuration lets name it. */
#include "store/store.h"

/* Inside the caller's transaction: claims bucket for account unless it has
 * an owner (INSERT ... ON CONFLICT DO NOTHING; a concurrent claim waits for
 * the other transaction), then reads the owner into owner (12 digits) and
 * whether the configuration shares the bucket with account (*shared). */
MUST_CHECK
int store_bucket_claim(store_t *s, const char *bucket, const char *account, char owner[13],
                       int *shared, err_t *e);
/* 1 when the CA already names bucket: its CRL configuration's
 * S3BucketName, or one of its audit reports; else 0. */
MUST_CHECK
int store_bucket_named_by(store_t *s, const char *ca_id, const char *bucket, err_t *e);

/* Start-up (in one transaction of the caller's): */
/* serializes the start-up work of several instances (transaction-scoped) */
MUST_CHECK
int store_bucket_lock(store_t *s, err_t *e);
/* forgets every sharing (the configuration gives them again) */
MUST_CHECK
int store_bucket_unshare_all(store_t *s, err_t *e);
/* owner owns bucket (whoever did before); sharers (comma-separated, may be
 * empty) may name it too */
MUST_CHECK
int store_bucket_assign(store_t *s, const char *bucket, const char *owner, const char *sharers,
                        err_t *e);

/* A bucket and accounts: what store_bucket_adopt and store_bucket_conflicts
 * report, through fn. */
typedef void (*store_bucket_fn)(const char *bucket, const char *owner, const char *accounts,
                                void *arg);
/* Every bucket named by a CA's CRL configuration or an audit report that
 * has no owner gets the account of the oldest CA naming it (source
 * 'upgrade'); fn(bucket, owner, every account naming it) for each. */
MUST_CHECK
int store_bucket_adopt(store_t *s, store_bucket_fn fn, void *arg, err_t *e);
/* fn(bucket, owner, the other accounts) for each bucket that CAs of
 * accounts other than its owner name (CRL configuration or audit report)
 * without the configuration sharing it with them. */
MUST_CHECK
int store_bucket_conflicts(store_t *s, store_bucket_fn fn, void *arg, err_t *e);

#endif
