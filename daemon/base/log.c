#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static atomic_int log_level = LOG_LVL_INFO;

static const struct {
  const char *name;
  log_level_t lvl;
} log_levels[] = {
    {"err", LOG_LVL_ERR},       {"error", LOG_LVL_ERR},  {"warning", LOG_LVL_WARNING},
    {"notice", LOG_LVL_NOTICE}, {"info", LOG_LVL_INFO},  {"debug", LOG_LVL_DEBUG},
};

void log_set_level(log_level_t lvl) { atomic_store(&log_level, (int)lvl); }

int log_level_parse(const char *s, log_level_t *out) {
  for (size_t i = 0; i < sizeof log_levels / sizeof log_levels[0]; i++)
    if (strcmp(s, log_levels[i].name) == 0) {
      *out = log_levels[i].lvl;
      return 0;
    }
  return -1;
}

/* One line whatever the message holds (libpq's errors span several, with
 * tabs; a client's bytes may hold anything): each run of control bytes
 * becomes one space, and trailing ones go. */
static void log_flatten(char *s) {
  char *w = s;
  for (const char *r = s; *r; r++) {
    if ((unsigned char)*r < 0x20 || *r == 0x7f) {
      if (w > s && w[-1] != ' ')
        *w++ = ' ';
    } else {
      *w++ = *r;
    }
  }
  *w = '\0';
  while (w > s && w[-1] == ' ')
    *--w = '\0';
}

void log_msg(log_level_t lvl, const char *rid, const char *fmt, ...) {
  char line[2048];
  va_list ap;
  if ((int)lvl > atomic_load(&log_level))
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  log_flatten(line);
  /* one fprintf per line: stdio locks the stream, so lines never interleave */
  fprintf(stderr, "<%d>pcad: req=%s %s\n", (int)lvl, rid ? rid : "-", line);
}
