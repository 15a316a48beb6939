#include "base/sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SDNOTIFY_MAX 1024

/* $NOTIFY_SOCKET as an address: its length, or 0 when unset or unusable. */
static socklen_t sdnotify_addr(struct sockaddr_un *sa) {
  const char *path = getenv("NOTIFY_SOCKET");
  size_t n = path ? strlen(path) : 0;
  if (n < 2 || n >= sizeof sa->sun_path || (path[0] != '/' && path[0] != '@'))
    return 0;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, n);
  if (path[0] == '@') { /* abstract: a leading NUL, and no terminating one counted */
    sa->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  }
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

int sdnotify(const char *fmt, ...) {
  struct sockaddr_un sa;
  socklen_t len = sdnotify_addr(&sa);
  char msg[SDNOTIFY_MAX];
  va_list ap;
  int fd, n, rc = -1;
  if (len == 0)
    return 0;
  va_start(ap, fmt);
  n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof msg)
    return -1;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len) == n)
    rc = 1;
  close(fd);
  return rc;
}

long long sdnotify_watchdog_usec(void) {
  const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
  char *end;
  long long v;
  if (!usec || (pid && strtol(pid, NULL, 10) != (long)getpid()))
    return 0;
  errno = 0;
  v = strtoll(usec, &end, 10);
  return errno || end == usec || *end || v <= 0 ? 0 : v;
}
