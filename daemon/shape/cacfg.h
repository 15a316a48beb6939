#ifndef PCAD_CACFG_H
#define PCAD_CACFG_H
/* CertificateAuthorityConfiguration: the API document -> what the domain
 * uses to make and describe a CA. */
#include <openssl/x509v3.h>

#include "base/err.h"

struct json_t; /* jansson's json_t: only shape/ and api/ look inside */

typedef struct {
  char *key_algorithm;               /* KeyAlgorithm */
  char *signing_algorithm;           /* SigningAlgorithm */
  X509_NAME *subject;                /* Subject */
  STACK_OF(X509_EXTENSION) *csr_ext; /* CsrExtensions: KeyUsage, SubjectInformationAccess */
  char *text;                        /* the document as stored: compact JSON */
} cacfg_t;

/* Decodes the document; the subject and extension rules of subject.h and
 * ext.h apply (InvalidArgsException). */
MUST_CHECK
int cacfg_from_json(const struct json_t *cfg, cacfg_t *out, err_t *e);
/* Decodes a stored document. */
MUST_CHECK
int cacfg_from_text(const char *text, cacfg_t *out, err_t *e);
/* Only the algorithms and the text (subject and csr_ext stay NULL): what
 * issuance needs, without building the CSR's parts on every request. */
MUST_CHECK
int cacfg_algorithms_from_text(const char *text, cacfg_t *out, err_t *e);
void cacfg_clear(cacfg_t *c);

#endif
