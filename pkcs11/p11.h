#ifndef PCAD_P11_H
#define PCAD_P11_H
/* The only door to the token. Nothing outside pkcs11/ sees a PKCS#11 or
 * libp11 type. */
#include "err.h"

typedef struct p11 p11_t;

/* Loads module, finds the token labelled label, logs in once as the user
 * with the PIN from pin_file (one trailing newline stripped, wiped after
 * use), and loads the libp11 engine for signing. Any failure is final for
 * this start: a wrong PIN is never retried (real HSMs lock). */
p11_t *p11_open(const char *module, const char *label, const char *pin_file, err_t *e);
/* 1 when the token session is alive and logged in (asks the token). */
int p11_logged_in(p11_t *p);
void p11_close(p11_t *p);

#endif
