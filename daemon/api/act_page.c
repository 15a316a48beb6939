#include <stdio.h>
#include <stdlib.h>

#include "api/act.h"
#include "api/pagetoken.h"

/* AWS returns at most 100 items a page whatever MaxResults says. */
#define ACT_PAGE_MAX 100

int act_page_begin(const ctx_t *c, const json_t *in, const char *op, const char *filter,
                   act_page_t *p, err_t *e) {
  json_t *max = json_object_get(in, "MaxResults");
  const char *token = json_string_value(json_object_get(in, "NextToken"));
  p->limit = ACT_PAGE_MAX;
  p->cursor = NULL;
  if (json_is_integer(max) && json_integer_value(max) < p->limit)
    p->limit = (int)json_integer_value(max);
  snprintf(p->scope, sizeof p->scope, "%s:%s:%s", op, c->account, filter);
  if (token && !(p->cursor = pagetoken_decode(c->page_key, p->scope, token)))
    return err_set(e, ERR_InvalidNextTokenException, "The token is not valid for this request.");
  return 0;
}

int act_page_end(const ctx_t *c, act_page_t *p, const char *next, json_t *out, err_t *e) {
  free(p->cursor);
  p->cursor = NULL;
  if (next) {
    char *t = pagetoken_encode(c->page_key, p->scope, next);
    if (!t)
      return err_set(e, ERR_InternalFailure, "cannot make a NextToken");
    json_object_set_new(out, "NextToken", json_string(t));
    free(t);
  }
  return 0;
}
