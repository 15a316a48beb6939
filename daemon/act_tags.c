#include <stdlib.h>

#include "act.h"
#include "tag.h"

int act_tag_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return tag_add(c, act_ca_arn(in), json_object_get(in, "Tags"), e);
}

int act_untag_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return tag_remove(c, act_ca_arn(in), json_object_get(in, "Tags"), e);
}

int act_list_tags(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  act_page_t p;
  json_t *tags = NULL;
  char *next = NULL;
  int rc;
  if (act_page_begin(c, in, "ListTags", act_ca_arn(in), &p, e) < 0)
    return -1;
  if (tag_list(c, act_ca_arn(in), p.cursor, p.limit, &tags, &next, e) < 0) {
    free(p.cursor);
    return -1;
  }
  *out = json_pack("{s:o}", "Tags", tags);
  rc = act_page_end(c, &p, next, *out, e);
  free(next);
  return rc;
}
