#ifndef PCAD_ACCESS_H
#define PCAD_ACCESS_H
/* Who may do what: a key's own policy within its account, a CA's resource
 * policy across accounts, evaluated as IAM does (an explicit Deny wins,
 * then an Allow, else no). */
#include "base/err.h"
#include "core/ctx.h"
#include "core/templates.h"
#include "shape/policy.h"

typedef enum { ACCESS_NONE, ACCESS_ALLOW, ACCESS_DENY } access_effect_t;

/* One request as a policy sees it. */
typedef struct {
  const char *account;      /* the caller's: matched against Principal */
  const char *action;       /* acm-pca:<Operation> */
  const char *resource;     /* the CA's ARN, or "*" for an operation on none */
  const char *template_arn; /* IssueCertificate's, else NULL */
} access_req_t;

/* IAM wildcards: * any run, ? one character; nocase for actions. */
int access_glob(const char *pattern, const char *s, int nocase);
/* What p says of r: the statements whose action, resource, principal
 * (when they name one) and condition match. */
access_effect_t access_eval(const policy_t *p, const access_req_t *r);
/* 1 when the CA arn is shared with the caller's account: its resource
 * policy allows that account at least one request (an operation AWS
 * shares, with a cross-account template for IssueCertificate); 0 when
 * not (or it has none). */
MUST_CHECK
int access_shared_with(const ctx_t *c, const char *arn, err_t *e);
/* Before a handler runs: whether the caller (c->account, with its key's
 * policy c->key_policy) may run op on ca_arn (canonical; NULL: the
 * operation names none, the resource "*") with template t (IssueCertificate;
 * NULL: the default), which policy conditions see as its canonical ARN. A
 * CA of another account exists for the caller only when it is shared with
 * it (access_shared_with); then only the operations AWS shares, with the
 * cross-account templates, as far as that policy allows; *owner is then
 * that account (the handler runs on its behalf), else the caller's own.
 * ResourceNotFoundException or AccessDeniedException (naming the action
 * and the resource). */
MUST_CHECK
int access_authorize(const ctx_t *c, const char *op, const char *ca_arn, const template_t *t,
                     char owner[13], err_t *e);

#endif
