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

int ca_lock_live(const ctx_t *c, const char *arn, const char *what, store_ca_t *row, err_t *e) {
  memset(row, 0, sizeof *row);
  if (store_begin(c->store, e) == 0 && ca_get(c, arn, STORE_LOCK_UPDATE, row, e) == 0) {
    if (castate_allows(CA_OP_CHANGE, castate_of(row)))
      return 0;
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is DELETED; its %s cannot change.", arn, what);
  }
  store_rollback(c->store);
  store_ca_clear(row);
  return -1;
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
