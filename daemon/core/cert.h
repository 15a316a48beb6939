#ifndef PCAD_CERT_H
#define PCAD_CERT_H
/* Issued certificates: GetCertificate, RevokeCertificate. */
#include "base/err.h"
#include "core/ctx.h"

/* PEM certificate and chain (issuing CA first, root last; NULL when the CA
 * has no certificate yet). */
MUST_CHECK
int cert_get(const ctx_t *c, const char *ca_arn, const char *cert_arn, char **cert,
             char **chain, err_t *e);
MUST_CHECK
int cert_revoke(const ctx_t *c, const char *ca_arn, const char *serial, const char *reason,
                err_t *e);

#endif
