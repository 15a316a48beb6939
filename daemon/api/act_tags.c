#include <stdlib.h>

#include "api/act.h"
#include "core/tag.h"

/* A Tags list as tag_t (pointing into the JSON); *n 0 and NULL when empty. */
int act_tags_decode(const json_t *list, tag_t **tags, size_t *n, err_t *e) {
  size_t i;
  const json_t *t;
  *n = json_array_size(list);
  *tags = *n ? calloc(*n, sizeof **tags) : NULL;
  if (*n && !*tags)
    return err_set(e, ERR_InternalFailure, "out of memory");
  json_array_foreach(list, i, t) {
    (*tags)[i].key = json_string_value(json_object_get(t, "Key"));
    (*tags)[i].value = json_string_value(json_object_get(t, "Value"));
  }
  return 0;
}

static int act_tags_change(const ctx_t *c, const char *ca_arn, const json_t *in, int add,
                           err_t *e) {
  tag_t *tags = NULL;
  size_t n = 0;
  int rc = act_tags_decode(json_object_get(in, "Tags"), &tags, &n, e);
  if (rc == 0)
    rc = add ? tag_add(c, ca_arn, tags, n, e) : tag_remove(c, ca_arn, tags, n, e);
  free(tags);
  return rc;
}

int act_tag_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
               err_t *e) {
  (void)out;
  return act_tags_change(c, res->ca_arn, in, 1, e);
}

int act_untag_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                 err_t *e) {
  (void)out;
  return act_tags_change(c, res->ca_arn, in, 0, e);
}

int act_list_tags(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e) {
  act_page_t p;
  tag_t *tags = NULL;
  char *next = NULL;
  json_t *list;
  int n = 0, rc;
  if (act_page_begin(c, in, "ListTags", res->ca_arn, &p, e) < 0)
    return -1;
  if (tag_list(c, res->ca_arn, p.cursor, p.limit, &tags, &n, &next, e) < 0) {
    free(p.cursor);
    return -1;
  }
  list = json_array();
  for (int i = 0; i < n; i++) {
    json_t *t = json_pack("{s:s}", "Key", tags[i].key);
    if (tags[i].value)
      json_object_set_new(t, "Value", json_string(tags[i].value));
    json_array_append_new(list, t);
  }
  free(tags);
  *out = json_pack("{s:o}", "Tags", list);
  rc = act_page_end(c, &p, next, *out, e);
  free(next);
  return rc;
}
