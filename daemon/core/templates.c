#include "core/templates.h"

#include <string.h>

const template_t *templates_find(const char *arn) {
  static const char marker[] = ":acm-pca:::template/";
  const char *p = strstr(arn, marker);
  if (strncmp(arn, "arn:", 4) != 0 || !p)
    return NULL;
  p += sizeof marker - 1;
  for (int i = 0; i < templates_count; i++)
    if (strcmp(templates[i].name, p) == 0)
      return &templates[i];
  return NULL;
}
