#include "core/tag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/ca_row.h"
#include "store/store_ca.h"
#include "store/store_tag.h"

int tag_check(const tag_t *tags, size_t n, err_t *e) {
  for (size_t i = 0; i < n; i++)
    if (tags[i].key && strncmp(tags[i].key, "aws:", 4) == 0)
      return err_set(e, ERR_InvalidTagException, "Tag keys beginning with 'aws:' are reserved");
  return 0;
}

/* The keys of tags, comma-separated, into out (cut short with "..." when
 * they do not fit): what a Tag or Untag event says; never the values. */
static void tag_keys(const tag_t *tags, size_t n, char *out, size_t size) {
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = 0; i < n && len < size; i++)
    len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "",
                            tags[i].key ? tags[i].key : "");
  if (len >= size && size > 4)
    strcpy(out + size - 4, "...");
}

/* A Tag or Untag as a store_tx body (store/store.h). */
typedef struct {
  const ctx_t *c;
  const char *arn;
  const tag_t *tags;
  size_t n;
} tag_change_t;

static int tag_add_tx(void *arg, err_t *e) {
  const tag_change_t *t = arg;
  const ctx_t *c = t->c;
  char id[37], keys[400];
  long count = 0;
  if (ca_resolve(c, t->arn, STORE_LOCK_UPDATE, id, e) < 0)
    return -1;
  for (size_t i = 0; i < t->n; i++)
    if (store_tag_put(c->store, id, t->tags[i].key, t->tags[i].value, e) < 0)
      return -1;
  if (store_tag_count(c->store, id, &count, e) < 0)
    return -1;
  if (count > TAG_MAX)
    return err_set(e, ERR_TooManyTagsException,
                   "A certificate authority can have at most %d tags; this would make %ld",
                   TAG_MAX, count);
  tag_keys(t->tags, t->n, keys, sizeof keys);
  return audit_event(c, e, AUDIT_TagCertificateAuthority, t->arn, NULL, "keys=%s tags=%ld",
                     keys, count);
}

int tag_add(const ctx_t *c, const char *arn, const tag_t *tags, size_t n, err_t *e) {
  tag_change_t t = {c, arn, tags, n};
  if (tag_check(tags, n, e) < 0)
    return -1;
  return store_tx(c->store, tag_add_tx, &t, 0, e);
}

/* An Untag is recorded also when it removed nothing: the event says what
 * was asked (tags= the count left), as a Tag that changed nothing is. */
static int tag_remove_tx(void *arg, err_t *e) {
  const tag_change_t *t = arg;
  const ctx_t *c = t->c;
  char id[37], keys[400];
  long count = 0;
  if (ca_resolve(c, t->arn, STORE_LOCK_UPDATE, id, e) < 0)
    return -1;
  for (size_t i = 0; i < t->n; i++)
    if (store_tag_remove(c->store, id, t->tags[i].key, t->tags[i].value, e) < 0)
      return -1;
  tag_keys(t->tags, t->n, keys, sizeof keys);
  if (store_tag_count(c->store, id, &count, e) < 0)
    return -1;
  return audit_event(c, e, AUDIT_UntagCertificateAuthority, t->arn, NULL, "keys=%s tags=%ld",
                     keys, count);
}

int tag_remove(const ctx_t *c, const char *arn, const tag_t *tags, size_t n, err_t *e) {
  tag_change_t t = {c, arn, tags, n};
  return store_tx(c->store, tag_remove_tx, &t, 0, e);
}

/* The rows as one block: the array, then every string. */
static tag_t *tag_pack(const store_tag_t *rows, int n) {
  size_t size = (size_t)(n ? n : 1) * sizeof(tag_t);
  tag_t *out;
  char *p;
  for (int i = 0; i < n; i++)
    size += strlen(rows[i].key) + 1 + (rows[i].value ? strlen(rows[i].value) + 1 : 0);
  out = malloc(size);
  if (!out)
    return NULL;
  p = (char *)(out + (n ? n : 1));
  for (int i = 0; i < n; i++) {
    out[i].key = strcpy(p, rows[i].key);
    p += strlen(p) + 1;
    out[i].value = rows[i].value ? strcpy(p, rows[i].value) : NULL;
    p += rows[i].value ? strlen(p) + 1 : 0;
  }
  return out;
}

int tag_list(const ctx_t *c, const char *arn, const char *cursor, int limit, tag_t **tags,
             int *n, char **next, err_t *e) {
  char id[37];
  store_tag_t *rows = NULL;
  int nrows = 0, rc = 0;
  *tags = NULL;
  *n = 0;
  if (ca_resolve(c, arn, STORE_LOCK_NONE, id, e) < 0 ||
      store_tag_list(c->store, id, cursor, limit, &rows, &nrows, next, e) < 0)
    return -1;
  *tags = tag_pack(rows, nrows);
  if (!*tags) {
    rc = err_set(e, ERR_InternalFailure, "out of memory");
    free(*next);
    *next = NULL;
  } else {
    *n = nrows;
  }
  store_tag_free(rows, nrows);
  return rc;
}
