#ifndef PCAD_ISSUE_H
#define PCAD_ISSUE_H
/* IssueCertificate: prepare (validate and build the to-be-signed
 * certificate), reserve (T1: serial reserved, PENDING), sign in the token,
 * record (T2: ISSUED). */
#include <stddef.h>

#include "base/err.h"
#include "core/ctx.h"
#include "core/templates.h"
#include "shape/passthrough.h"

/* The request, decoded by the handler. */
typedef struct {
  const char *ca_arn;
  const template_t *tmpl;        /* NULL: EndEntityCertificate/V1 */
  const char *signing_algorithm;
  const char *token;             /* IdempotencyToken, or NULL */
  const unsigned char *csr;      /* the Csr blob; NULL when it is not base64 */
  size_t csr_len;
  const char *validity_type;     /* Validity */
  long long validity_value;
  const char *not_before_type;   /* ValidityNotBefore; NULL when not given */
  long long not_before_value;
  const passthrough_t *api;      /* ApiPassthrough (NULL or present == 0: none) */
} issue_req_t;

/* *arn is malloc'ed. A 200 follows only the durable commit of the ISSUED
 * row, or an IdempotencyToken's earlier ARN. */
MUST_CHECK
int issue_certificate(const ctx_t *c, const issue_req_t *r, char **arn, err_t *e);
/* Janitor: finishes PENDING certificates older than c->pending_deadline
 * (their requests are over): signed from the kept certificate and ISSUED
 * while the CA can sign, else FAILED. 0, or -1 on a database error. */
MUST_CHECK
int issue_finish_stale(const ctx_t *c, err_t *e);

#endif
