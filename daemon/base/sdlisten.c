#include "base/sdlisten.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SDLISTEN_FIRST 3

int sdlisten_fd(const char *name) {
  const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS"),
             *names = getenv("LISTEN_FDNAMES");
  long n = fds ? strtol(fds, NULL, 10) : 0;
  size_t len = strlen(name);
  if (!pid || strtol(pid, NULL, 10) != (long)getpid() || n < 1 || n > 64)
    return -1;
  if (!names || !*names)
    return n == 1 && strcmp(name, "api") == 0 ? SDLISTEN_FIRST : -1;
  for (long i = 0; i < n && names; i++) {
    const char *end = strchr(names, ':');
    size_t l = end ? (size_t)(end - names) : strlen(names);
    if (l == len && strncmp(names, name, len) == 0)
      return (int)(SDLISTEN_FIRST + i);
    names = end ? end + 1 : NULL;
  }
  return -1;
}
