#include "tag.h"

#include <string.h>

#include "ca.h"
#include "store_ca.h"

int tag_add(const ctx_t *c, const char *arn, const json_t *tags, err_t *e) {
  char id[37];
  long n = 0;
  size_t i;
  const json_t *t;
  json_array_foreach(tags, i, t) {
    const char *k = json_string_value(json_object_get(t, "Key"));
    if (k && strncmp(k, "aws:", 4) == 0)
      return err_set(e, ERR_InvalidTagException, "Tag keys beginning with 'aws:' are reserved");
  }
  if (store_begin(c->store, e) < 0 || ca_resolve(c, arn, STORE_LOCK_UPDATE, id, e) < 0)
    goto fail;
  json_array_foreach(tags, i, t) {
    if (store_tag_put(c->store, id, json_string_value(json_object_get(t, "Key")),
                      json_string_value(json_object_get(t, "Value")), e) < 0)
      goto fail;
  }
  if (store_tag_count(c->store, id, &n, e) < 0)
    goto fail;
  if (n > TAG_MAX) {
    err_set(e, ERR_TooManyTagsException,
            "A certificate authority can have at most %d tags; this would make %ld", TAG_MAX, n);
    goto fail;
  }
  if (store_commit(c->store, e) < 0)
    goto fail;
  return 0;
fail:
  store_rollback(c->store);
  return -1;
}

int tag_remove(const ctx_t *c, const char *arn, const json_t *tags, err_t *e) {
  char id[37];
  size_t i;
  const json_t *t;
  if (store_begin(c->store, e) < 0 || ca_resolve(c, arn, STORE_LOCK_UPDATE, id, e) < 0)
    goto fail;
  json_array_foreach(tags, i, t) {
    if (store_tag_remove(c->store, id, json_string_value(json_object_get(t, "Key")),
                         json_string_value(json_object_get(t, "Value")), e) < 0)
      goto fail;
  }
  if (store_commit(c->store, e) < 0)
    goto fail;
  return 0;
fail:
  store_rollback(c->store);
  return -1;
}

int tag_list(const ctx_t *c, const char *arn, const char *cursor, int limit, json_t **tags,
             char **next, err_t *e) {
  char id[37];
  store_tag_t *rows = NULL;
  int n = 0;
  *tags = NULL;
  if (ca_resolve(c, arn, STORE_LOCK_NONE, id, e) < 0 ||
      store_tag_list(c->store, id, cursor, limit, &rows, &n, next, e) < 0)
    return -1;
  *tags = json_array();
  for (int i = 0; i < n; i++) {
    json_t *t = json_pack("{s:s}", "Key", rows[i].key);
    if (rows[i].value)
      json_object_set_new(t, "Value", json_string(rows[i].value));
    json_array_append_new(*tags, t);
  }
  store_tag_free(rows, n);
  return 0;
}
