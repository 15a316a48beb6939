#ifndef PCAD_CRL_H
#define PCAD_CRL_H
/* CRLs: built from the database, signed in the token, stored in the
 * database (the source of truth for every instance). */
#include "base/err.h"
#include "core/ctx.h"

/* Builds, signs and stores a new CRL for each CA that is due: CRL enabled
 * and none yet, its RevocationConfiguration changed, past half its life,
 * or a revocation it has not seen, the CRL before being older than
 * delay_s (revocations arriving together share one CRL). One writer per
 * CA across instances. How many were made, or -1. */
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
