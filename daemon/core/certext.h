#ifndef PCAD_CERTEXT_H
#define PCAD_CERTEXT_H
/* The extensions of a certificate being issued, in precedence order:
 * template > CA configuration > API passthrough > CSR passthrough (the
 * first extension of an OID wins). */
#include <openssl/x509.h>

#include "base/err.h"
#include "core/templates.h"
#include "shape/passthrough.h"
#include "shape/revcfg.h"

typedef struct {
  const template_t *t;
  const passthrough_t *api; /* NULL when the template does not honour it */
  X509_REQ *req;
  X509 *issuer; /* NULL for a root's own certificate */
  const revcfg_t *rev;
  const char *crl_name; /* the CRL the CDP names: the CA id, or its partition */
  const char *region;
} certext_in_t;

/* Every extension; InvalidArgsException when one cannot be built. x has
 * its public key already (the SubjectKeyIdentifier is made from it). */
MUST_CHECK
int certext_build(X509 *x, const certext_in_t *b, err_t *e);

#endif
