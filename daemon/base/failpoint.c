#include "base/failpoint.h"

#ifdef PCAD_FAILPOINTS
#include <stdlib.h>
#include <string.h>

long failpoint(const char *name) {
  const char *s = getenv("PCAD_FAILPOINTS");
  size_t n = strlen(name);
  while (s && *s) {
    if (strncmp(s, name, n) == 0 && s[n] == '=')
      return strtol(s + n + 1, NULL, 10);
    s = strchr(s, ',');
    if (s)
      s++;
  }
  return 0;
}
#endif
