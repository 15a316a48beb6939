#include "shape/policy.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The condition operators understood, all on acm-pca:TemplateArn. */
static const struct {
  const char *name;
  policy_cond_t cond;
} policy_ops[] = {{"StringEquals", POLICY_COND_EQUALS},
                  {"ArnEquals", POLICY_COND_EQUALS},
                  {"StringLike", POLICY_COND_LIKE},
                  {"ArnLike", POLICY_COND_LIKE}};

static const char *const policy_top_keys[] = {"Version", "Id", "Statement", NULL};
static const char *const policy_stmt_keys[] = {"Sid",      "Effect",    "Principal", "Action",
                                               "Resource", "Condition", NULL};

static int policy_bad(err_t *e, const char *what) {
  return err_set(e, ERR_InvalidPolicyException, "The policy is not valid: %s", what);
}

static int policy_known_keys(const json_t *o, const char *const *keys, const char *where,
                             err_t *e) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)o, k, v) {
    size_t i = 0;
    while (keys[i] && strcmp(keys[i], k) != 0)
      i++;
    if (!keys[i])
      return err_set(e, ERR_InvalidPolicyException,
                     "The policy is not valid: %s has an unsupported key '%s'", where, k);
  }
  return 0;
}

/* A string or a non-empty list of strings, copied. */
static int policy_strings(const json_t *v, const char *what, char ***out, size_t *n, err_t *e) {
  size_t count = json_is_string(v) ? 1 : json_is_array(v) ? json_array_size(v) : 0;
  *out = count ? calloc(count, sizeof **out) : NULL;
  *n = 0;
  if (!count)
    return err_set(e, ERR_InvalidPolicyException,
                   "The policy is not valid: %s must be a string or a list of strings", what);
  if (!*out)
    return err_set(e, ERR_InternalFailure, "out of memory");
  for (size_t i = 0; i < count; i++) {
    const json_t *s = json_is_string(v) ? v : json_array_get(v, i);
    if (!json_is_string(s))
      return err_set(e, ERR_InvalidPolicyException,
                     "The policy is not valid: %s must be a string or a list of strings", what);
    if (!((*out)[i] = strdup(json_string_value(s))))
      return err_set(e, ERR_InternalFailure, "out of memory");
    (*n)++;
  }
  return 0;
}

/* An account id, or arn:<partition>:iam::<account>:root, made the id. */
static int policy_account(char *a, err_t *e) {
  const char *acct = a, *iam = strstr(a, ":iam::");
  int ok;
  if (strncmp(a, "arn:", 4) == 0 && iam && strchr(a + 4, ':') == iam) {
    acct = iam + 6;
    ok = strlen(acct) == 17 && strcmp(acct + 12, ":root") == 0;
  } else {
    ok = strlen(a) == 12;
  }
  if (!ok || strspn(acct, "0123456789") < 12)
    return err_set(e, ERR_InvalidPolicyException,
                   "The policy is not valid: principal '%s' is not an account id or "
                   "arn:aws:iam::<account>:root",
                   a);
  memmove(a, acct, 12);
  a[12] = '\0';
  return 0;
}

/* Principal {"AWS": ...}: every entry as a 12-digit account id. */
static int policy_principals(const json_t *p, policy_stmt_t *st, err_t *e) {
  if (!json_is_object(p) || json_object_size(p) != 1 || !json_object_get(p, "AWS"))
    return policy_bad(e, "Principal must be {\"AWS\": account ids}");
  if (policy_strings(json_object_get(p, "AWS"), "Principal.AWS", &st->principals,
                     &st->nprincipals, e) < 0)
    return -1;
  for (size_t i = 0; i < st->nprincipals; i++)
    if (policy_account(st->principals[i], e) < 0)
      return -1;
  return 0;
}

/* Condition {Operator: {"acm-pca:TemplateArn": ...}}. */
static int policy_condition(const json_t *c, policy_stmt_t *st, err_t *e) {
  const char *op;
  json_t *v;
  if (!json_is_object(c) || json_object_size(c) != 1)
    return policy_bad(e, "Condition must hold one operator");
  json_object_foreach((json_t *)c, op, v) {
    for (size_t i = 0; i < sizeof policy_ops / sizeof policy_ops[0]; i++)
      if (strcmp(op, policy_ops[i].name) == 0)
        st->cond = policy_ops[i].cond;
    if (st->cond == POLICY_COND_NONE)
      return err_set(e, ERR_InvalidPolicyException,
                     "The policy is not valid: the condition operator %s is not supported "
                     "(StringEquals, StringLike, ArnEquals, ArnLike)",
                     op);
    if (!json_is_object(v) || json_object_size(v) != 1 ||
        !json_object_get(v, "acm-pca:TemplateArn"))
      return policy_bad(e, "the only condition key is acm-pca:TemplateArn");
    return policy_strings(json_object_get(v, "acm-pca:TemplateArn"), "acm-pca:TemplateArn",
                          &st->templates, &st->ntemplates, e);
  }
  return 0;
}

/* Actions of acm-pca only; a resource policy's Resource is its CA. */
static int policy_targets(const policy_stmt_t *st, const char *ca_arn, err_t *e) {
  for (size_t i = 0; i < st->nactions; i++) {
    const char *a = st->actions[i];
    if (strncasecmp(a, "acm-pca:", 8) != 0 || !a[8] ||
        strspn(a + 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*?") != strlen(a + 8))
      return err_set(e, ERR_InvalidPolicyException,
                     "The policy is not valid: action '%s' is not an acm-pca action", a);
  }
  for (size_t i = 0; i < st->nresources; i++) {
    const char *r = st->resources[i];
    if (ca_arn ? strcmp(r, ca_arn) != 0 : strcmp(r, "*") != 0 && strncmp(r, "arn:", 4) != 0)
      return err_set(e, ERR_InvalidPolicyException,
                     ca_arn ? "The policy is not valid: resource '%s' is not this certificate "
                              "authority"
                            : "The policy is not valid: resource '%s' is not an ARN",
                     r);
  }
  return 0;
}

static int policy_stmt(const json_t *j, const char *ca_arn, policy_stmt_t *st, err_t *e) {
  const char *effect = json_string_value(json_object_get(j, "Effect"));
  const json_t *principal = json_object_get(j, "Principal"), *cond = json_object_get(j, "Condition");
  if (!json_is_object(j))
    return policy_bad(e, "every Statement must be an object");
  if (policy_known_keys(j, policy_stmt_keys, "a Statement", e) < 0)
    return -1;
  if (!effect || (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0))
    return policy_bad(e, "Effect must be Allow or Deny");
  st->deny = strcmp(effect, "Deny") == 0;
  if (ca_arn && !principal)
    return policy_bad(e, "a resource policy's statements need a Principal");
  if (!ca_arn && principal)
    return policy_bad(e, "a key's policy names no Principal");
  if ((principal && policy_principals(principal, st, e) < 0) ||
      policy_strings(json_object_get(j, "Action"), "Action", &st->actions, &st->nactions, e) <
          0 ||
      policy_strings(json_object_get(j, "Resource"), "Resource", &st->resources,
                     &st->nresources, e) < 0 ||
      (cond && policy_condition(cond, st, e) < 0))
    return -1;
  return policy_targets(st, ca_arn, e);
}

int policy_parse(const char *text, const char *ca_arn, policy_t *out, err_t *e) {
  json_error_t je;
  json_t *j, *stmts;
  const char *version;
  int rc = 0;
  memset(out, 0, sizeof *out);
  if (strlen(text) > POLICY_MAX_CHARS)
    return err_set(e, ERR_InvalidPolicyException,
                   "The policy is not valid: it is longer than %d characters", POLICY_MAX_CHARS);
  if (!(j = json_loads(text, JSON_REJECT_DUPLICATES, &je)) || !json_is_object(j)) {
    json_decref(j);
    return policy_bad(e, "it is not a JSON object");
  }
  stmts = json_object_get(j, "Statement");
  version = json_string_value(json_object_get(j, "Version"));
  if (policy_known_keys(j, policy_top_keys, "the policy", e) < 0)
    rc = -1;
  else if (json_object_get(j, "Version") &&
           (!version || (strcmp(version, "2012-10-17") && strcmp(version, "2008-10-17"))))
    rc = policy_bad(e, "Version must be 2012-10-17");
  else if (!json_is_object(stmts) && !(json_is_array(stmts) && json_array_size(stmts) > 0))
    rc = policy_bad(e, "Statement must be an object or a non-empty list");
  else if (!(out->st = calloc(json_is_array(stmts) ? json_array_size(stmts) : 1,
                              sizeof *out->st)))
    rc = err_set(e, ERR_InternalFailure, "out of memory");
  for (size_t i = 0; rc == 0 && i < (json_is_array(stmts) ? json_array_size(stmts) : 1); i++) {
    out->n++;
    rc = policy_stmt(json_is_array(stmts) ? json_array_get(stmts, i) : stmts, ca_arn,
                     &out->st[i], e);
  }
  json_decref(j);
  if (rc < 0)
    policy_clear(out);
  return rc;
}

static void policy_strv_free(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    free(v[i]);
  free(v);
}

void policy_clear(policy_t *p) {
  for (size_t i = 0; p->st && i < p->n; i++) {
    policy_strv_free(p->st[i].principals, p->st[i].nprincipals);
    policy_strv_free(p->st[i].actions, p->st[i].nactions);
    policy_strv_free(p->st[i].resources, p->st[i].nresources);
    policy_strv_free(p->st[i].templates, p->st[i].ntemplates);
  }
  free(p->st);
  memset(p, 0, sizeof *p);
}
