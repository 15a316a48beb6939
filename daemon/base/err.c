#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
  const char *name;
  int status;
} err_table[ERR__COUNT] = {
#define ERR(name, status) [ERR_##name] = {#name, status},
#include "base/err.def"
#undef ERR
};

const char *err_name(err_code_t code) {
  return code < ERR__COUNT ? err_table[code].name : "InternalFailure";
}

int err_status(err_code_t code) {
  return code < ERR__COUNT ? err_table[code].status : 500;
}

int err_set(err_t *e, err_code_t code, const char *fmt, ...) {
  if (e) {
    va_list ap;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
  }
  return -1;
}

void err_clear(err_t *e) {
  e->code = ERR_OK;
  e->msg[0] = '\0';
}
