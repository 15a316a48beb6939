#include "jobs/reporter.h"

#include <stdlib.h>

#include "base/log.h"
#include "base/ticker.h"
#include "core/report.h"
#include "store/store.h"

struct reporter {
  const cfg_t *cfg;
  const bucket_t *bucket;
  store_t *store;
  ticker_t *ticker;
};

static void reporter_round(void *arg) {
  reporter_t *r = arg;
  ctx_t c = ctx_new("reporter", r->cfg, r->store, NULL);
  err_t e;
  int rc;
  err_clear(&e);
  if (store_ready(r->store, &e) < 0)
    return; /* the database is away; the next round tries again */
  while ((rc = report_build_next(&c, r->bucket, &e)) == 1)
    ;
  if (rc < 0)
    log_err(LOG_AS("reporter"), "audit reports: %s", e.msg);
}

reporter_t *reporter_start(const cfg_t *cfg, const bucket_t *bucket) {
  reporter_t *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->cfg = cfg;
  r->bucket = bucket;
  r->store = store_new(cfg);
  if (!r->store || !(r->ticker = ticker_start(1, reporter_round, r))) {
    store_free(r->store);
    free(r);
    return NULL;
  }
  return r;
}

void reporter_stop(reporter_t *r) {
  if (!r)
    return;
  ticker_stop(r->ticker);
  store_free(r->store);
  free(r);
}
