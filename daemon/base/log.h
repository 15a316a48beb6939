#ifndef PCAD_LOG_H
#define PCAD_LOG_H

/* syslog levels; lines go to stderr with a "<N>" prefix that journald reads */
typedef enum {
  LOG_LVL_ERR = 3,
  LOG_LVL_WARNING = 4,
  LOG_LVL_NOTICE = 5,
  LOG_LVL_INFO = 6,
  LOG_LVL_DEBUG = 7
} log_level_t;

void log_set_level(log_level_t lvl);
int log_level_parse(const char *s, log_level_t *out);
/* [log] format ("text": "<N>pcad: req=RID message", or "json": "<N>{...}")
 * and timestamps ("on", "off", "auto": on unless journald, which stamps
 * its own, holds stderr) -> the style: 0, or -1 for an unknown value. */
int log_style_parse(const char *format, const char *timestamps, int *json, int *stamps);
void log_set_style(int json, int timestamps);
/* rid names the request ("-" for none): every line carries it. */
void log_msg(log_level_t lvl, const char *rid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One entry of named fields (kv: n/2 name, value pairs; an empty or NULL
 * value is "-"): "name=value ..." in text, members in JSON. */
void log_fields(log_level_t lvl, const char *rid, const char *const *kv, int n);

#define log_err(rid, ...) log_msg(LOG_LVL_ERR, rid, __VA_ARGS__)
#define log_warn(rid, ...) log_msg(LOG_LVL_WARNING, rid, __VA_ARGS__)
#define log_notice(rid, ...) log_msg(LOG_LVL_NOTICE, rid, __VA_ARGS__)
#define log_info(rid, ...) log_msg(LOG_LVL_INFO, rid, __VA_ARGS__)
#define log_debug(rid, ...) log_msg(LOG_LVL_DEBUG, rid, __VA_ARGS__)

#endif
