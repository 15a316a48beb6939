#include "core/ctx.h"

#include "store/store.h"

int ctx_ready(const ctx_t *c, err_t *e) {
  if (!c->store)
    return err_set(e, ERR_InternalFailure, "worker has no store");
  return store_ready(c->store, e);
}
