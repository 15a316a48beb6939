#ifndef PCAD_STORE_GROUP_H
#define PCAD_STORE_GROUP_H
/* Group commit. The workers' connections join one group; a statement run
 * through the group (store_group_exec, store_priv.h) shares a transaction
 * with the statements concurrent workers are waiting to commit: the
 * group's committer thread sends BEGIN, every waiting statement and COMMIT
 * in one pipeline on its own connection, tells each waiter its result, and
 * starts the next batch at once. One durable commit (fsync) then serves
 * the whole batch. When any statement of a batch fails, the batch is rolled back and
 * each statement runs again alone, so that one request's failure never
 * fails its batch-mates. Nothing waits on a timer: under no load a batch
 * is one statement.
 *
 * A batch ends with a guard statement that fails once pcad has stopped
 * waiting for it (clock_timestamp() against the deadline), so a batch a
 * frozen server runs later is rolled back, never committed unanswered.
 * The database's clock and pcad's must agree within a few seconds (NTP);
 * a batch refused by a skewed guard runs again statement by statement, so
 * only speed is lost. */
#include "store/store.h"

typedef struct store_group store_group_t;

/* At most [database] group_commit_max statements per transaction; starts
 * the committer (one more connection). */
store_group_t *store_group_new(const cfg_t *cfg);
void store_group_free(store_group_t *g);
/* s (one worker's connection) batches through g from now on. */
void store_group_join(store_t *s, store_group_t *g);

typedef struct {
  long batches, statements, retried_alone;
} store_group_stats_t;
void store_group_stats(store_group_t *g, store_group_stats_t *out);

#endif
