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

/* The RFC 5280 CRLReason code of an AWS RevocationReason (0 when unknown). */
int crl_reason_code(const char *name);

#endif
