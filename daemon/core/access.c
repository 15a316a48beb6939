#include "core/access.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arn.h"
#include "core/templates.h"
#include "store/store_ca.h"

/* The operations a CA's resource policy can share with other accounts. */
static const char *const access_shared_ops[] = {
    "IssueCertificate",  "GetCertificate", "DescribeCertificateAuthority",
    "GetCertificateAuthorityCertificate", "ListPermissions", "ListTags", NULL};

/* The templates a cross-account issuer may use (pca-behavior.md 1). */
static const char *const access_shared_templates[] = {
    "EndEntityCertificate/V1",
    "EndEntityClientAuthCertificate/V1",
    "EndEntityServerAuthCertificate/V1",
    "BlankEndEntityCertificate_APIPassthrough/V1",
    "BlankEndEntityCertificate_APICSRPassthrough/V1",
    "SubordinateCACertificate_PathLen0/V1",
    NULL};

int access_glob(const char *p, const char *s, int nocase) {
  const char *star = NULL, *resume = NULL;
  while (*s) {
    if (*p == '*') {
      star = p++;
      resume = s;
    } else if (*p == '?' || (nocase ? tolower((unsigned char)*p) == tolower((unsigned char)*s)
                                     : *p == *s)) {
      p++;
      s++;
    } else if (star) {
      p = star + 1;
      s = ++resume;
    } else {
      return 0;
    }
  }
  while (*p == '*')
    p++;
  return *p == '\0';
}

static int access_any(char *const *pats, size_t n, const char *s, int nocase) {
  for (size_t i = 0; i < n; i++)
    if (access_glob(pats[i], s, nocase))
      return 1;
  return 0;
}

static int access_stmt_matches(const policy_stmt_t *st, const access_req_t *r) {
  if (!access_any(st->actions, st->nactions, r->action, 1) ||
      !access_any(st->resources, st->nresources, r->resource, 0))
    return 0;
  if (st->nprincipals) {
    size_t i = 0;
    while (i < st->nprincipals && strcmp(st->principals[i], r->account ? r->account : "") != 0)
      i++;
    if (i == st->nprincipals)
      return 0;
  }
  if (st->cond == POLICY_COND_NONE)
    return 1;
  if (!r->template_arn) /* the key is absent: the condition does not hold */
    return 0;
  for (size_t i = 0; i < st->ntemplates; i++)
    if (st->cond == POLICY_COND_EQUALS ? strcmp(st->templates[i], r->template_arn) == 0
                                       : access_glob(st->templates[i], r->template_arn, 0))
      return 1;
  return 0;
}

access_effect_t access_eval(const policy_t *p, const access_req_t *r) {
  access_effect_t out = ACCESS_NONE;
  for (size_t i = 0; p && i < p->n; i++)
    if (access_stmt_matches(&p->st[i], r)) {
      if (p->st[i].deny)
        return ACCESS_DENY;
      out = ACCESS_ALLOW;
    }
  return out;
}

static int access_denied(const ctx_t *c, const access_req_t *r, const char *why, err_t *e) {
  return err_set(e, ERR_AccessDeniedException,
                 "The access key %s is not authorized to perform: %s on resource: %s%s",
                 c->actor ? c->actor : "-", r->action, r->resource, why);
}

static int access_listed(const char *const *list, const char *s) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(list[i], s) == 0)
      return 1;
  return 0;
}

/* Whether p allows account at least one request on arn: an operation AWS
 * shares, with (for IssueCertificate) one of the cross-account templates.
 * Only then is the CA shared with that account. */
static int access_allows_any(const ctx_t *c, const policy_t *p, const char *account,
                             const char *arn) {
  char action[96], tmpl[256];
  for (size_t i = 0; access_shared_ops[i]; i++) {
    access_req_t r = {account, action, arn, NULL};
    snprintf(action, sizeof action, "acm-pca:%s", access_shared_ops[i]);
    if (strcmp(access_shared_ops[i], "IssueCertificate") != 0) {
      if (access_eval(p, &r) == ACCESS_ALLOW)
        return 1;
      continue;
    }
    r.template_arn = tmpl;
    for (size_t t = 0; access_shared_templates[t]; t++) {
      snprintf(tmpl, sizeof tmpl, "arn:%s:acm-pca:::template/%s", c->partition,
               access_shared_templates[t]);
      if (access_eval(p, &r) == ACCESS_ALLOW)
        return 1;
    }
  }
  return 0;
}

int access_shared_with(const ctx_t *c, const char *arn, err_t *e) {
  char *text = NULL, owner[13];
  policy_t p;
  int rc = store_ca_policy(c->store, arn, &text, owner, e), shared = 0;
  err_t ignore;
  if (rc < 0)
    return -1;
  if (rc == 0 && text && policy_parse(text, arn, &p, &ignore) == 0) {
    shared = access_allows_any(c, &p, c->account, arn);
    policy_clear(&p);
  }
  free(text);
  return shared;
}

/* Another account's CA: its resource policy decides (see access.h). */
static int access_shared(const ctx_t *c, const char *op, const access_req_t *r, char owner[13],
                         err_t *e) {
  char *text = NULL, real[13];
  const char *tmpl = r->template_arn ? strstr(r->template_arn, ":template/") : NULL;
  policy_t p;
  access_effect_t key;
  int rc = store_ca_policy(c->store, r->resource, &text, real, e), ret = -1;
  memset(&p, 0, sizeof p);
  if (rc < 0)
    return -1;
  if (rc == 1 || !text || policy_parse(text, r->resource, &p, e) < 0 ||
      !access_allows_any(c, &p, c->account, r->resource)) {
    ret = err_set(e, ERR_ResourceNotFoundException, "Could not find certificate authority %s",
                  r->resource);
  } else if (!access_listed(access_shared_ops, op)) {
    ret = access_denied(c, r, " (not an operation shared across accounts)", e);
  } else if (r->template_arn && (!tmpl || !access_listed(access_shared_templates, tmpl + 10))) {
    ret = access_denied(c, r, " (the template is not one for cross-account issuers)", e);
  } else if (access_eval(&p, r) != ACCESS_ALLOW ||
             (key = c->key_policy ? access_eval(c->key_policy, r) : ACCESS_ALLOW) !=
                 ACCESS_ALLOW) {
    ret = access_denied(c, r, "", e);
  } else {
    memcpy(owner, real, 13);
    ret = 0;
  }
  free(text);
  policy_clear(&p);
  return ret;
}

int access_authorize(const ctx_t *c, const char *op, const char *ca_arn, const template_t *t,
                     char owner[13], err_t *e) {
  char action[96], tmpl[256], arn_owner[13];
  access_req_t r = {c->account, action, ca_arn ? ca_arn : "*", NULL};
  snprintf(action, sizeof action, "acm-pca:%s", op);
  snprintf(owner, 13, "%s", c->account);
  if (strcmp(op, "IssueCertificate") == 0) { /* without one, the default template */
    if (templates_arn(c->partition, t ? t : templates_default(), tmpl, sizeof tmpl) < 0)
      return err_set(e, ERR_InternalFailure, "a template ARN does not fit");
    r.template_arn = tmpl;
  }
  if (ca_arn && arn_ca_account(ca_arn, arn_owner) == 0 && strcmp(arn_owner, c->account) != 0)
    return access_shared(c, op, &r, owner, e);
  if (c->key_policy && access_eval(c->key_policy, &r) != ACCESS_ALLOW)
    return access_denied(c, &r, "", e);
  return 0;
}
