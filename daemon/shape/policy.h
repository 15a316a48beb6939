#ifndef PCAD_POLICY_H
#define PCAD_POLICY_H
/* IAM-style policy documents: a CA's resource policy (PutPolicy) and an
 * access key's own policy, decoded and checked. The language: Version,
 * Statement (one or a list) of Sid, Effect Allow|Deny, Principal {"AWS":
 * account id | arn:aws:iam::<account>:root, or a list} (resource policies
 * only), Action (acm-pca:<name>, * and ? as wildcards), Resource (ARNs,
 * wildcards), and Condition {StringEquals|StringLike|ArnEquals|ArnLike:
 * {"acm-pca:TemplateArn": value or list}}. */
#include <stddef.h>

#include "base/err.h"

#define POLICY_MAX_CHARS 20480

typedef enum { POLICY_COND_NONE, POLICY_COND_EQUALS, POLICY_COND_LIKE } policy_cond_t;

typedef struct {
  int deny;
  char **principals; /* account ids (resource policies) */
  size_t nprincipals;
  char **actions; /* patterns, "acm-pca:" included */
  size_t nactions;
  char **resources; /* patterns */
  size_t nresources;
  policy_cond_t cond; /* on acm-pca:TemplateArn */
  char **templates;
  size_t ntemplates;
} policy_stmt_t;

typedef struct policy {
  policy_stmt_t *st;
  size_t n;
} policy_t;

/* Decodes text. ca_arn non-NULL: a resource policy of that CA (Principal
 * required, Resource must be the CA); NULL: a key's policy (no
 * Principal). InvalidPolicyException saying what is wrong. */
MUST_CHECK
int policy_parse(const char *text, const char *ca_arn, policy_t *out, err_t *e);
void policy_clear(policy_t *p);

#endif
