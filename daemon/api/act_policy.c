#include <stdlib.h>

#include "api/act.h"
#include "core/capolicy.h"

static const char *act_policy_arn(const json_t *in) {
  return json_string_value(json_object_get(in, "ResourceArn"));
}

int act_put_policy(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return capolicy_put(c, act_policy_arn(in), json_string_value(json_object_get(in, "Policy")),
                      e);
}

int act_get_policy(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  char *text = NULL;
  if (capolicy_get(c, act_policy_arn(in), &text, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Policy", text);
  free(text);
  return 0;
}

int act_delete_policy(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return capolicy_delete(c, act_policy_arn(in), e);
}
