#include "core/ca_row.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "core/arn.h"
#include "core/cacache.h"
#include "core/castate.h"

int ca_get(const ctx_t *c, const char *arn, int lock, store_ca_t *row, err_t *e) {
  char id[37];
  int rc;
  if (arn_ca_parse(arn, id, e) < 0)
    return -1;
  if (lock == STORE_LOCK_UPDATE)
    cacache_forget(arn); /* it is about to change */
  rc = store_ca_get(c->store, c->account, arn, lock, row, e);
  if (rc == 0)
    return err_set(e, ERR_ResourceNotFoundException,
                   "Could not find certificate authority %s", arn);
  return rc < 0 ? -1 : 0;
}

typedef struct {
  const ctx_t *c;
  const char *arn, *what;
  ca_live_fn step;
  void *arg;
  store_ca_t row;
} ca_live_t;

static int ca_live_tx(void *arg, err_t *e) {
  ca_live_t *t = arg;
  if (ca_get(t->c, t->arn, STORE_LOCK_UPDATE, &t->row, e) < 0)
    return -1;
  if (!castate_allows(CA_OP_CHANGE, castate_of(&t->row)))
    return err_set(e, ERR_InvalidStateException,
                   "The certificate authority %s is DELETED; its %s cannot change.", t->arn,
                   t->what);
  return t->step(t->c, &t->row, t->arg, e);
}

int ca_change_live(const ctx_t *c, const char *arn, const char *what, ca_live_fn step,
                   void *arg, err_t *e) {
  ca_live_t t = {c, arn, what, step, arg, {0}};
  int rc = store_tx(c->store, ca_live_tx, &t, 0, e);
  store_ca_clear(&t.row);
  return rc;
}

int ca_resolve(const ctx_t *c, const char *arn, int lock, char id[37], err_t *e) {
  store_ca_t row;
  if (ca_get(c, arn, lock, &row, e) < 0)
    return -1;
  snprintf(id, 37, "%s", row.id);
  store_ca_clear(&row);
  return 0;
}

int ca_row_cached(const ctx_t *c, const char *arn, store_ca_t *row, int *cached, err_t *e) {
  long long read_ms = clock_now_ms();
  *cached = cacache_row_get(arn, c->account, row) == 0;
  if (*cached)
    return 0;
  if (ca_get(c, arn, STORE_LOCK_NONE, row, e) < 0)
    return -1;
  cacache_row_put(arn, c->account, read_ms, row);
  return 0;
}
