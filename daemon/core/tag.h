#ifndef PCAD_TAG_H
#define PCAD_TAG_H
/* Tags of certificate authorities: at most 50 a CA. */
#include <stddef.h>

#include "base/err.h"
#include "core/ctx.h"

#define TAG_MAX 50

typedef struct {
  const char *key;
  const char *value; /* NULL: no value */
} tag_t;

/* Keys beginning with "aws:" belong to AWS: InvalidTagException. */
MUST_CHECK
int tag_check(const tag_t *tags, size_t n, err_t *e);
MUST_CHECK
int tag_add(const ctx_t *c, const char *arn, const tag_t *tags, size_t n, err_t *e);
/* A tag with a value is removed only where the value matches. */
MUST_CHECK
int tag_remove(const ctx_t *c, const char *arn, const tag_t *tags, size_t n, err_t *e);
/* Tags after cursor (NULL: from the start); *tags is one allocation with
 * its strings (free() it). *next for the rest, or NULL. */
MUST_CHECK
int tag_list(const ctx_t *c, const char *arn, const char *cursor, int limit, tag_t **tags,
             int *n, char **next, err_t *e);

#endif
