#ifndef PCAD_ISSUE_H
#define PCAD_ISSUE_H
/* Issuance: CSR checks, templates, validity, serials, the two-phase write
 * (serial reserved PENDING -> signed in the token -> ISSUED), GetCertificate
 * and RevokeCertificate. */
#include <jansson.h>

#include "ctx.h"
#include "err.h"

/* IssueCertificate; *arn is malloc'ed. A 200 follows only the durable
 * commit of the ISSUED row, or an IdempotencyToken's earlier ARN. */
int issue_certificate(const ctx_t *c, const json_t *in, char **arn, err_t *e);
/* GetCertificate: PEM certificate and chain (issuing CA first, root last;
 * NULL when the CA has no certificate yet). */
int issue_get(const ctx_t *c, const char *ca_arn, const char *cert_arn, char **cert,
              char **chain, err_t *e);
int issue_revoke(const ctx_t *c, const char *ca_arn, const char *serial, const char *reason,
                 err_t *e);
/* Janitor: PENDING certificates whose signing never finished become FAILED. */
int issue_fail_stale(const ctx_t *c, err_t *e);

/* Normalizes a serial given as hex (colons allowed, any case, leading zeros)
 * into lower-case hex without leading zeros; -1 when it is no serial. */
int issue_serial_normalize(const char *in, char *out, size_t outlen);

#endif
