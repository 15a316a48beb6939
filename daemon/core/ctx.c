#include "core/ctx.h"

#include "store/store.h"

ctx_t ctx_new(const char *rid, const cfg_t *cfg, store_t *store, p11_t *p11) {
  ctx_t c = {.log = {.rid = rid}, .store = store, .p11 = p11};
  if (cfg) {
    c.region = cfg->region;
    c.partition = cfg->partition;
    c.ca_quota = cfg->ca_quota;
    c.pending_deadline = cfg->janitor_pending_deadline;
    c.report_interval = cfg->audit_report_interval;
    c.crl_partition_size = cfg->crl_partition_size;
  }
  return c;
}

int ctx_ready(const ctx_t *c, err_t *e) {
  if (!c->store)
    return err_set(e, ERR_InternalFailure, "worker has no store");
  return store_ready(c->store, e);
}
