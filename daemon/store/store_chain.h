#ifndef PCAD_STORE_CHAIN_H
#define PCAD_STORE_CHAIN_H
/* The audit trail's hash chains (sql/0008_audit_chain.sql), checked from
 * outside the database: every hash recomputed here, every link and every
 * chain's head compared, for `pcad audit verify`. */
#include "store/store.h"

typedef struct {
  long events, chains;
  char report[1200]; /* the first broken link, when there is one */
} store_chain_result_t;

/* 0 when every chain verifies, 1 when one is broken (out->report says
 * where first), -1 when it could not be read (e set). */
int store_chain_verify(store_t *s, store_chain_result_t *out, err_t *e);

#endif
