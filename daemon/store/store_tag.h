#ifndef PCAD_STORE_TAG_H
#define PCAD_STORE_TAG_H
/* A CA's tags (ca_tags), in the caller's transaction where they change. */
#include "store/store.h"

typedef struct {
  char *key;
  char *value; /* NULL: no value */
} store_tag_t;

MUST_CHECK
int store_tag_count(store_t *s, const char *ca_id, long *n, err_t *e);
MUST_CHECK
int store_tag_put(store_t *s, const char *ca_id, const char *key, const char *value, err_t *e);
/* value NULL: whatever the value; else only on a match. */
MUST_CHECK
int store_tag_remove(store_t *s, const char *ca_id, const char *key, const char *value, err_t *e);
MUST_CHECK
int store_tag_list(store_t *s, const char *ca_id, const char *cursor, int limit,
                   store_tag_t **tags, int *n, char **next, err_t *e);
void store_tag_free(store_tag_t *tags, int n);

#endif
