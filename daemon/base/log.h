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
/* Who a line is about: a request (its id, and once known its operation,
 * account, access key and CA) or a background job (rid: the job's name).
 * Every log call takes one: a request's travels in its ctx_t (core/ctx.h)
 * from the router to every line logged on its behalf; NULL is "req=-"
 * (start-up, signals, configuration). */
typedef struct {
  const char *rid;
  const char *op;
  const char *account;
  const char *key_id;
  const char *ca_arn;
} log_ctx_t;

/* "req=RID [op=OP] [account=A] [key=K] [ca=ARN] message": the context's
 * fields that are set, then the message (JSON: the same as members). */
void log_msg(log_level_t lvl, const log_ctx_t *lc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One entry of named fields: the context's four (op, account, key, ca;
 * "-" when unset), then kv (n/2 name, value pairs; an empty or NULL value
 * is "-"): "name=value ..." in text, members in JSON. */
void log_fields(log_level_t lvl, const log_ctx_t *lc, const char *const *kv, int n);

#define log_err(lc, ...) log_msg(LOG_LVL_ERR, lc, __VA_ARGS__)
#define log_warn(lc, ...) log_msg(LOG_LVL_WARNING, lc, __VA_ARGS__)
#define log_notice(lc, ...) log_msg(LOG_LVL_NOTICE, lc, __VA_ARGS__)
#define log_info(lc, ...) log_msg(LOG_LVL_INFO, lc, __VA_ARGS__)
#define log_debug(lc, ...) log_msg(LOG_LVL_DEBUG, lc, __VA_ARGS__)
/* A context of a name alone (a job's, or an id carried as text). */
#define LOG_AS(name) (&(log_ctx_t){.rid = (name)})

#endif
