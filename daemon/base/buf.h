#ifndef PCAD_BUF_H
#define PCAD_BUF_H
#include <stddef.h>

/* A growable byte buffer, always NUL-terminated. */
typedef struct {
  char *data;
  size_t len;
  size_t cap;
} buf_t;

int buf_append(buf_t *b, const void *p, size_t n);
int buf_puts(buf_t *b, const char *s);
int buf_putc(buf_t *b, char c);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wipes the contents (they may be secret) and frees. */
void buf_free(buf_t *b);
/* Hands the data over to the caller (who frees it) and empties b. */
char *buf_take(buf_t *b);

#endif
