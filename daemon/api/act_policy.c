#include <stdlib.h>

#include "api/act.h"
#include "core/capolicy.h"

int act_put_policy(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e) {
  (void)out;
  return capolicy_put(c, res->ca_arn, json_string_value(json_object_get(in, "Policy")), e);
}

int act_get_policy(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e) {
  char *text = NULL;
  (void)in;
  if (capolicy_get(c, res->ca_arn, &text, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Policy", text);
  free(text);
  return 0;
}

int act_delete_policy(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                      err_t *e) {
  (void)in;
  (void)out;
  return capolicy_delete(c, res->ca_arn, e);
}
