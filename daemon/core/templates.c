#include "core/templates.h"

#include <stdio.h>
#include <string.h>

static const template_t *templates_named(const char *name) {
  for (int i = 0; i < templates_count; i++)
    if (strcmp(templates[i].name, name) == 0)
      return &templates[i];
  return NULL;
}

const template_t *templates_find(const char *partition, const char *arn) {
  size_t pl = strlen(partition);
  static const char marker[] = ":acm-pca:::template/";
  if (strncmp(arn, "arn:", 4) != 0 || strncmp(arn + 4, partition, pl) != 0 ||
      strncmp(arn + 4 + pl, marker, sizeof marker - 1) != 0)
    return NULL;
  return templates_named(arn + 4 + pl + sizeof marker - 1);
}

const template_t *templates_default(void) { return templates_named(TEMPLATE_DEFAULT); }

int templates_arn(const char *partition, const template_t *t, char *out, size_t n) {
  int len = snprintf(out, n, "arn:%s:acm-pca:::template/%s", partition, t->name);
  return len < 0 || (size_t)len >= n ? -1 : 0;
}
