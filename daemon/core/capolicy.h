#ifndef PCAD_CAPOLICY_H
#define PCAD_CAPOLICY_H
/* A CA's resource policy: PutPolicy, GetPolicy, DeletePolicy. */
#include "base/err.h"
#include "core/ctx.h"

/* Checks text (shape/policy.h, as a resource policy of arn) and stores it. */
MUST_CHECK
int capolicy_put(const ctx_t *c, const char *arn, const char *text, err_t *e);
/* *text malloc'ed; ResourceNotFoundException when the CA has none. */
MUST_CHECK
int capolicy_get(const ctx_t *c, const char *arn, char **text, err_t *e);
/* Succeeds also when the CA has none. */
MUST_CHECK
int capolicy_delete(const ctx_t *c, const char *arn, err_t *e);

#endif
