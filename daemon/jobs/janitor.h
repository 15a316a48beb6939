#ifndef PCAD_JANITOR_H
#define PCAD_JANITOR_H
/* Background jobs on one thread of their own: key generation for CAs in
 * CREATING, destroying released keys, purging CAs whose restoration window
 * has ended, marking expired CAs. Token work is serialized here. Several
 * pcad instances may run janitors on one database: rows are claimed with
 * SKIP LOCKED. */
#include "base/cfg.h"
typedef struct p11 p11_t; /* pkcs11/p11.h */

typedef struct janitor janitor_t;

janitor_t *janitor_start(const cfg_t *cfg, p11_t *p11);
/* Wakes the janitor now (e.g. a CA waits for its key). Any thread. */
void janitor_kick(void *janitor);
void janitor_stop(janitor_t *j);

#endif
