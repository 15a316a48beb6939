#ifndef PCAD_STORE_CHAIN_H
#define PCAD_STORE_CHAIN_H
/* The audit trail's hash chains (sql/0008_audit_chain.sql), checked from
 * outside the database: every hash recomputed here, every link and every
 * chain's head compared, for `pcad audit verify`. */
#include "store/store.h"

typedef struct {
  long events, chains;
  char report[8192]; /* a line per broken chain (as many as fit) */
} store_chain_result_t;

/* Where a chain was: its head, or what a checkpoint says of it. */
typedef struct {
  char chain[256];
  long long seq;
  unsigned char hash[32];
} store_chain_head_t;

/* A signed checkpoint's word on one chain, for store_chain_verify. */
typedef struct {
  store_chain_head_t at;
  const char *from;    /* the checkpoint's name */
  int chain_seen;      /* set by the walk: the chain has events */
  int matched;         /* set by the walk: the event at at.seq has at.hash */
} store_chain_mark_t;

/* Every chain's head, in one statement (*out malloc'ed). */
MUST_CHECK
int store_chain_heads(store_t *s, store_chain_head_t **out, int *n, err_t *e);
/* 0 when every chain verifies, 1 when one is broken (out->report says
 * where each broken chain breaks first), -1 when it could not be read. Broken also: a CA
 * with no chain, and a chain that does not have what one of the n marks
 * (sorted by store_chain_marks_sort) says: it vanished, was cut below the
 * mark's seq, or has another event there. */
MUST_CHECK
int store_chain_verify(store_t *s, store_chain_mark_t *marks, int n,
                       store_chain_result_t *out, err_t *e);
void store_chain_marks_sort(store_chain_mark_t *marks, int n);

#endif
