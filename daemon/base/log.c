#include "base/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"

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

static atomic_int log_json, log_stamps;

void log_set_style(int json, int timestamps) {
  atomic_store(&log_json, json);
  atomic_store(&log_stamps, timestamps);
}

int log_style_parse(const char *format, const char *timestamps, int *json, int *stamps) {
  if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
    return -1;
  *json = strcmp(format, "json") == 0;
  if (strcmp(timestamps, "auto") == 0) /* journald stamps its own entries */
    *stamps = !getenv("JOURNAL_STREAM");
  else if (strcmp(timestamps, "on") == 0 || strcmp(timestamps, "off") == 0)
    *stamps = strcmp(timestamps, "on") == 0;
  else
    return -1;
  return 0;
}

static const char *log_level_name(log_level_t lvl) {
  for (size_t i = 0; i < sizeof log_levels / sizeof log_levels[0]; i++)
    if (log_levels[i].lvl == lvl)
      return log_levels[i].name;
  return "info";
}

/* "2026-12-01T21:30:00.123Z" */
static void log_now(char out[32]) {
  struct timespec ts;
  struct tm tm;
  char day[24];
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, 32, "%.20s.%03dZ", day, (int)(ts.tv_nsec / 1000000));
}

/* s as a JSON string's contents: the line is flat already (no control
 * bytes), so only '"' and '\\' need escaping. */
static void log_json_str(char *out, size_t n, const char *s) {
  size_t w = 0;
  for (; *s && w + 2 < n; s++) {
    if (*s == '"' || *s == '\\')
      out[w++] = '\\';
    out[w++] = *s;
  }
  out[w] = '\0';
}

/* Writes one entry: body is "k=v ... message" text, or JSON members. */
static void log_write(log_level_t lvl, const char *rid, const char *body) {
  char now[32] = "", esc[64];
  if (atomic_load(&log_stamps))
    log_now(now);
  /* one fprintf per line: stdio locks the stream, so lines never interleave */
  if (atomic_load(&log_json)) {
    log_json_str(esc, sizeof esc, rid ? rid : "-");
    fprintf(stderr, "<%d>{%s%s%s\"level\":\"%s\",\"req\":\"%s\",%s}\n", (int)lvl,
            *now ? "\"time\":\"" : "", now, *now ? "\"," : "", log_level_name(lvl), esc, body);
  } else {
    fprintf(stderr, "%s%s<%d>pcad: req=%s %s\n", now, *now ? " " : "", (int)lvl, rid ? rid : "-",
            body);
  }
}

/* kv's pairs into body ("k=v" or JSON members, after what body holds);
 * all: unset values as "-", else unset pairs left out. */
static void log_pairs(buf_t *body, const char *const *kv, int n, int all, int json) {
  char k[64], v[1024], ev[2100];
  for (int i = 0; i + 1 < n; i += 2) {
    if (!all && !(kv[i + 1] && *kv[i + 1]))
      continue;
    snprintf(v, sizeof v, "%s", kv[i + 1] && *kv[i + 1] ? kv[i + 1] : "-");
    log_flatten(v);
    if (json) {
      log_json_str(k, sizeof k, kv[i]);
      log_json_str(ev, sizeof ev, v);
      buf_printf(body, "%s\"%s\":\"%s\"", body->len ? "," : "", k, ev);
    } else {
      buf_printf(body, "%s%s=%s", body->len ? " " : "", kv[i], v);
    }
  }
}

/* The context's fields, as pairs. */
#define LOG_CTX_PAIRS(lc)                                                               \
  {"op", (lc) ? (lc)->op : NULL, "account", (lc) ? (lc)->account : NULL,              \
   "key", (lc) ? (lc)->key_id : NULL, "ca", (lc) ? (lc)->ca_arn : NULL}

void log_msg(log_level_t lvl, const log_ctx_t *lc, const char *fmt, ...) {
  const char *ctx[] = LOG_CTX_PAIRS(lc);
  char line[2048], esc[4100];
  int json = atomic_load(&log_json);
  buf_t body = {0};
  va_list ap;
  if ((int)lvl > atomic_load(&log_level))
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  log_flatten(line);
  log_pairs(&body, ctx, 8, 0, json);
  if (json) {
    log_json_str(esc, sizeof esc, line);
    buf_printf(&body, "%s\"msg\":\"%s\"", body.len ? "," : "", esc);
  } else {
    buf_printf(&body, "%s%s", body.len ? " " : "", line);
  }
  log_write(lvl, lc ? lc->rid : NULL, body.data ? body.data : "");
  buf_free(&body);
}

void log_fields(log_level_t lvl, const log_ctx_t *lc, const char *const *kv, int n) {
  const char *ctx[] = LOG_CTX_PAIRS(lc);
  int json = atomic_load(&log_json);
  buf_t body = {0};
  if ((int)lvl > atomic_load(&log_level))
    return;
  log_pairs(&body, ctx, 8, 1, json);
  log_pairs(&body, kv, n, 1, json);
  log_write(lvl, lc ? lc->rid : NULL, body.data ? body.data : "");
  buf_free(&body);
}
