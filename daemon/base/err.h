#ifndef PCAD_ERR_H
#define PCAD_ERR_H
#include <stddef.h>

/* On every fallible function (it returns an error indication and takes an
 * error out-parameter): ignoring its result fails the build (-Werror). */
#define MUST_CHECK __attribute__((warn_unused_result))

typedef enum {
#define ERR(name, status) ERR_##name,
#include "base/err.def"
#undef ERR
  ERR__COUNT
} err_code_t;

/* An error as it travels up: the code and a message for the caller. */
typedef struct {
  err_code_t code;
  char msg[512];
} err_t;

const char *err_name(err_code_t code);
int err_status(err_code_t code);
/* Sets e (if non-NULL) and returns -1, so callers can `return err_set(...)`. */
int err_set(err_t *e, err_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void err_clear(err_t *e);
/* A result deliberately not acted on (a best-effort cleanup on a path that
 * already failed, or one whose error the next call reports): each caller
 * says why beside it. */
static inline void err_ignore(int rc) { (void)rc; }

#endif
