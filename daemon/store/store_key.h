#ifndef PCAD_STORE_KEY_H
#define PCAD_STORE_KEY_H
/* The keys waiting to be destroyed (key_destroy_pending): a CA removed
 * queues its key's label (store_ca_remove), the janitor destroys it. */
#include "store/store.h"

/* Inside a transaction: the oldest key waiting to be destroyed, taken off
 * the queue (row-locked: other transactions skip it); 1, or 0 when none. */
MUST_CHECK
int store_key_destroy_claim(store_t *s, char **label, char **arn, err_t *e);

#endif
