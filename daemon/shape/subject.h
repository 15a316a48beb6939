#ifndef PCAD_SUBJECT_H
#define PCAD_SUBJECT_H
/* ASN1Subject (API JSON) -> X509_NAME, attributes in the model's order. */
#include <openssl/x509.h>

#include "base/err.h"

struct json_t; /* jansson's json_t: only shape/ and api/ look inside */

/* An empty subject, or CustomAttributes mixed with the standard attributes,
 * is InvalidArgsException. */
X509_NAME *subject_to_name(const struct json_t *subject, err_t *e);

#endif
