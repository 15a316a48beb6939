#include "core/capolicy.h"

#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/ca_row.h"
#include "shape/policy.h"
#include "store/store_ca.h"

/* One change of the policy (text NULL: removed), the CA row locked. */
static int capolicy_step(const ctx_t *c, const store_ca_t *row, void *arg, err_t *e) {
  const char *text = arg;
  if (store_ca_set_policy(c->store, row->id, text, e) < 0)
    return -1;
  return audit_event(c, e, text ? AUDIT_PutPolicy : AUDIT_DeletePolicy, row->arn, NULL, "%s",
                     text ? "policy set" : "policy removed");
}

static int capolicy_set(const ctx_t *c, const char *arn, const char *text, err_t *e) {
  return ca_change_live(c, arn, "policy", capolicy_step, (void *)text, e);
}

int capolicy_put(const ctx_t *c, const char *arn, const char *text, err_t *e) {
  policy_t p;
  char id[37];
  if (ca_resolve(c, arn, 0, id, e) < 0 || policy_parse(text, arn, &p, e) < 0)
    return -1;
  policy_clear(&p);
  return capolicy_set(c, arn, text, e);
}

int capolicy_get(const ctx_t *c, const char *arn, char **text, err_t *e) {
  char id[37], owner[13];
  *text = NULL;
  if (ca_resolve(c, arn, 0, id, e) < 0 || store_ca_policy(c->store, arn, text, owner, e) < 0)
    return -1;
  if (!*text)
    return err_set(e, ERR_ResourceNotFoundException,
                   "The certificate authority %s has no resource policy", arn);
  return 0;
}

int capolicy_delete(const ctx_t *c, const char *arn, err_t *e) {
  return capolicy_set(c, arn, NULL, e);
}
