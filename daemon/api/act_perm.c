#include <stdlib.h>
#include <string.h>

#include "api/act.h"
#include "api/awsjson.h"
#include "core/perm.h"

static const char *act_perm_str(const json_t *in, const char *name) {
  return json_string_value(json_object_get(in, name));
}

int act_create_permission(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                          err_t *e) {
  const json_t *list = json_object_get(in, "Actions");
  const char *actions[3];
  int n = 0;
  (void)out;
  for (size_t i = 0; i < json_array_size(list) && n < 3; i++) /* the model allows 1..3 */
    actions[n++] = json_string_value(json_array_get(list, i));
  return perm_create(c, res->ca_arn, act_perm_str(in, "Principal"),
                     act_perm_str(in, "SourceAccount"), actions, n, e);
}

int act_delete_permission(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                          err_t *e) {
  (void)out;
  return perm_delete(c, res->ca_arn, act_perm_str(in, "Principal"),
                     act_perm_str(in, "SourceAccount"), e);
}

/* One Permission as AWS shows it. */
static json_t *act_perm_encode(const char *arn, const perm_info_t *p) {
  json_t *o = json_pack("{s:s,s:o,s:s}", "CertificateAuthorityArn", arn, "CreatedAt",
                        awsjson_timestamp(p->created_at), "Principal", p->principal);
  json_t *actions = json_array();
  char *policy = perm_policy(arn, p);
  for (const char *a = p->actions; o && actions && *a;) {
    size_t len = strcspn(a, ",");
    json_array_append_new(actions, json_stringn(a, len));
    a += len + (a[len] == ',');
  }
  if (p->source_account)
    json_object_set_new(o, "SourceAccount", json_string(p->source_account));
  json_object_set_new(o, "Actions", actions);
  if (policy)
    json_object_set_new(o, "Policy", json_string(policy));
  free(policy);
  return o;
}

int act_list_permissions(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                         err_t *e) {
  act_page_t p;
  perm_info_t *perms = NULL;
  char *next = NULL;
  json_t *list;
  int n = 0, rc;
  if (act_page_begin(c, in, "ListPermissions", res->ca_arn, &p, e) < 0)
    return -1;
  if (perm_list(c, res->ca_arn, p.cursor, p.limit, &perms, &n, &next, e) < 0) {
    free(p.cursor);
    return -1;
  }
  list = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(list, act_perm_encode(res->ca_arn, &perms[i]));
  perm_info_free(perms, n);
  *out = json_pack("{s:o}", "Permissions", list);
  rc = act_page_end(c, &p, next, *out, e);
  free(next);
  return rc;
}
