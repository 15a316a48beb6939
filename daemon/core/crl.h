#ifndef PCAD_CRL_H
#define PCAD_CRL_H
/* CRLs: built from the database, signed in the token, stored in the
 * database (the source of truth for every instance).
 *
 * One writer per CA across instances: pg_try_advisory_xact_lock, in the
 * transaction that also inserts the crls row and the GenerateCrl audit
 * event. A CRL is v2, issuer the CA's subject, thisUpdate an hour back,
 * nextUpdate ExpirationInDays on (7 when unset), AKI (the CA certificate's
 * SKI), a CRL Number above the previous and at least the time in epoch
 * milliseconds, and an entry (with its reason code) for each revoked
 * certificate not yet expired for a whole CRL period; it is verified in
 * software before it is stored. Its object is <S3BucketName>/<CustomPath
 * or crl>/<CA_ID>.crl (revcfg_crl_key; the CDP from revcfg_crl_url, so
 * both agree). With CrlType PARTITIONED each partition (sql/0005) gets a
 * CRL of its own, due by the same rules, with its revocations only and a
 * critical IDP of its URL; the CRLs of one CA share the lock and one CRL
 * Number series. jobs/publisher.c writes the newest into each bucket. */
#include "base/err.h"
#include "core/ctx.h"

/* Builds, signs and stores a new CRL for each CA that is due: CRL enabled
 * and none yet, its RevocationConfiguration changed, past half its life,
 * or a revocation it has not seen, the CRL before being older than
 * delay_s (revocations arriving together share one CRL). One writer per
 * CA across instances. How many were made, or -1. */
MUST_CHECK
int crl_refresh_due(const ctx_t *c, long delay_s, err_t *e);

/* The nextUpdate of a DER CRL in epoch seconds, read from its first
 * fields only (a CRL can be megabytes): 0, or -1 when it has none or is
 * not a CRL. */
int crl_next_update(const unsigned char *der, size_t len, long long *next);

/* S3's x-amz-acl for an S3ObjectAcl (PUBLIC_READ when unknown). */
const char *crl_s3_acl(const char *s3_object_acl);

/* The RFC 5280 CRLReason code of an AWS RevocationReason (0 when unknown). */
int crl_reason_code(const char *name);

#endif
