#ifndef PCAD_TAG_H
#define PCAD_TAG_H
/* Tags of certificate authorities: at most 50 a CA. */
#include <jansson.h>

#include "ctx.h"
#include "err.h"

#define TAG_MAX 50

int tag_add(const ctx_t *c, const char *arn, const json_t *tags, err_t *e);
int tag_remove(const ctx_t *c, const char *arn, const json_t *tags, err_t *e);
/* Tags after cursor (NULL: from the start) as API Tag objects. */
int tag_list(const ctx_t *c, const char *arn, const char *cursor, int limit, json_t **tags,
             char **next, err_t *e);

#endif
