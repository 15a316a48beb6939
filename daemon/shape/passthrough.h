#ifndef PCAD_PASSTHROUGH_H
#define PCAD_PASSTHROUGH_H
/* ApiPassthrough: the API document -> a subject and extensions. */
#include <openssl/x509v3.h>

#include "base/err.h"

struct json_t; /* jansson's json_t: only shape/ and api/ look inside */

typedef struct {
  int present;
  X509_NAME *subject;           /* Subject, NULL when not given */
  STACK_OF(X509_EXTENSION) *ext; /* Extensions in the model's order: KeyUsage,
                                   ExtendedKeyUsage, SubjectAlternativeNames,
                                   CertificatePolicies, CustomExtensions */
  err_t err;                    /* why it does not decode (ERR_OK: it does) */
} passthrough_t;

/* Decodes api (NULL: none given). A document that does not decode keeps
 * its error in out->err: it counts only where the template honours the
 * passthrough. */
void passthrough_from_json(const struct json_t *api, passthrough_t *out);
void passthrough_clear(passthrough_t *p);

#endif
