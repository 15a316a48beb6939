#ifndef PCAD_BUCKETOWN_H
#define PCAD_BUCKETOWN_H
/* Bucket owners: a bucket (the part of an S3BucketName before any '/')
 * belongs to the account whose CA first named it (CRL configuration or
 * audit report), or to the account the configuration gives it
 * ([publish] bucket_owner, with the accounts it is shared with). A CA of
 * any other account naming it is refused with the error AWS gives when the
 * service may not write to a bucket. */
#include "base/err.h"
#include "core/ctx.h"

/* Inside the caller's transaction: whether the CA ca_id (NULL: one being
 * created) of c->account may name bucket (its part before any '/'). A CA
 * that already names it (its CRL configuration or an audit report) keeps
 * it; else the bucket is claimed for c->account when nobody owns it, and
 * the owner and the accounts it is shared with may name it. 0, or -1 with
 * InvalidArgsException (or the database's error) in e. */
MUST_CHECK
int bucketown_use(const ctx_t *c, const char *ca_id, const char *bucket, err_t *e);

/* At start, after the migrations, in one transaction: the configuration's
 * bucket_owner lines (config: "BUCKET OWNER[,ACCOUNT...]" lines joined by
 * '\n', NULL for none) override the owners and replace the sharing; every
 * bucket CAs named before bucket owners existed gets the oldest such CA's
 * account; each bucket also named by CAs of other accounts is logged as a
 * warning (those CAs keep it). */
MUST_CHECK
int bucketown_start(store_t *s, const char *config, err_t *e);

#endif
