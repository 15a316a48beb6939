#include "store/store_tag.h"

#include <stdlib.h>

#include "store/store_priv.h"

int store_tag_count(store_t *s, const char *ca_id, long *n, err_t *e) {
  const char *p[1] = {ca_id};
  PGresult *r = store_exec(s, "SELECT count(*) FROM ca_tags WHERE ca_id = $1::uuid", 1, p, e);
  if (!r)
    return -1;
  *n = atol(PQgetvalue(r, 0, 0));
  PQclear(r);
  return 0;
}

int store_tag_put(store_t *s, const char *ca_id, const char *key, const char *value, err_t *e) {
  const char *p[3] = {ca_id, key, value};
  return store_rows(store_exec(s,
                         "INSERT INTO ca_tags (ca_id, key, value) VALUES ($1::uuid, $2, $3)"
                         " ON CONFLICT (ca_id, key) DO UPDATE SET value = EXCLUDED.value",
                         3, p, e)) < 0
             ? -1
             : 0;
}

int store_tag_remove(store_t *s, const char *ca_id, const char *key, const char *value,
                     err_t *e) {
  const char *p[3] = {ca_id, key, value};
  return store_rows(store_exec(s,
                         value ? "DELETE FROM ca_tags WHERE ca_id = $1::uuid AND key = $2"
                                 " AND coalesce(value, '') = $3"
                               : "DELETE FROM ca_tags WHERE ca_id = $1::uuid AND key = $2",
                         value ? 3 : 2, p, e)) < 0
             ? -1
             : 0;
}

int store_tag_list(store_t *s, const char *ca_id, const char *cursor, int limit,
                   store_tag_t **tags, int *n, char **next, err_t *e) {
  PGresult *r;
  int rows;
  *tags = NULL;
  *n = 0;
  r = store_exec_page(s,
                      "SELECT key, value, seq::text FROM ca_tags WHERE ca_id = $1::uuid"
                      " AND ($2::text IS NULL OR seq > $2::bigint) ORDER BY ca_tags.seq LIMIT $3",
                      ca_id, cursor, limit, next, e);
  if (!r)
    return -1;
  rows = store_page(r, limit, 2, next);
  *tags = calloc((size_t)(rows ? rows : 1), sizeof **tags);
  for (int i = 0; *tags && i < rows; i++) {
    (*tags)[i].key = store_col(r, i, 0);
    (*tags)[i].value = store_col(r, i, 1);
  }
  *n = *tags ? rows : 0;
  PQclear(r);
  return *tags ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

void store_tag_free(store_tag_t *tags, int n) {
  for (int i = 0; tags && i < n; i++) {
    free(tags[i].key);
    free(tags[i].value);
  }
  free(tags);
}
