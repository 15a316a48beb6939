#include "jobs/janitor.h"

#include <stdlib.h>

#include "base/ticker.h"
#include "core/auditq.h"
#include "core/ca.h"
#include "core/issue.h"
#include "core/key.h"
#include "core/ocspcount.h"
#include "base/log.h"
#include "store/store.h"

struct janitor {
  const cfg_t *cfg;
  p11_t *p11;
  store_t *store;
  ticker_t *ticker;
  ocspcount_t *ocsp; /* not the janitor's: flushed each round */
  auditq_t *audit;   /* events handed over by other threads */
};

typedef int (*janitor_job_fn)(const ctx_t *c, err_t *e);

static const struct {
  const char *name;
  janitor_job_fn fn;
} janitor_jobs[] = {
    {"keygen", ca_keygen_next},
    {"destroy", ca_destroy_next},
    {"purge", ca_purge_next},
    {"expire", ca_expire_due},
    {"pending-issuance", issue_finish_stale},
    {"forget-keys", key_forget_unused},
};

/* The deferred audit events: the access key changes queued, the OCSP
 * signatures counted. Kept for the next round when the database fails. */
static void janitor_audit_flush(janitor_t *j) {
  ctx_t c = ctx_new("janitor", j->cfg, j->store, j->p11);
  err_t e;
  err_clear(&e);
  if (store_ready(j->store, &e) < 0)
    return;
  if (auditq_flush(j->audit, &c, &e) < 0)
    log_err(LOG_AS("janitor"), "audit events: %s: %s", err_name(e.code), e.msg);
  err_clear(&e);
  if (ocspcount_flush(j->ocsp, &c, &e) < 0)
    log_err(LOG_AS("janitor"), "OCSP signature counts: %s: %s", err_name(e.code), e.msg);
}

/* Runs every job until none has work left (bounded per round). */
static void janitor_round(janitor_t *j) {
  ctx_t c = ctx_new("janitor", j->cfg, j->store, j->p11);
  err_t e;
  err_clear(&e);
  janitor_audit_flush(j);
  if (store_ready(j->store, &e) < 0)
    return; /* the database is away; the next round tries again */
  for (size_t k = 0; k < sizeof janitor_jobs / sizeof janitor_jobs[0]; k++) {
    for (int n = 0; n < 100; n++) {
      int rc;
      err_clear(&e);
      rc = janitor_jobs[k].fn(&c, &e);
      if (rc < 0)
        log_err(LOG_AS("janitor"), "%s: %s: %s", janitor_jobs[k].name, err_name(e.code), e.msg);
      if (rc <= 0)
        break;
    }
  }
}

static void janitor_tick(void *arg) { janitor_round(arg); }

janitor_t *janitor_start(const cfg_t *cfg, p11_t *p11, ocspcount_t *ocsp) {
  janitor_t *j = calloc(1, sizeof *j);
  if (!j)
    return NULL;
  j->cfg = cfg;
  j->p11 = p11;
  j->ocsp = ocsp;
  j->store = store_new(cfg);
  j->audit = auditq_new();
  if (!j->store || !j->audit ||
      !(j->ticker = ticker_start(cfg->janitor_interval, janitor_tick, j))) {
    auditq_free(j->audit);
    store_free(j->store);
    free(j);
    return NULL;
  }
  return j;
}

void janitor_kick(void *arg) {
  janitor_t *j = arg;
  ticker_kick(j->ticker);
}

int janitor_audit(janitor_t *j, const char *rid, audit_event_t event, const char *account,
                  const char *actor, const char *note) {
  if (auditq_push(j->audit, rid, event, account, actor, note) < 0)
    return -1;
  ticker_kick(j->ticker);
  return 0;
}

void janitor_stop(janitor_t *j) {
  if (!j)
    return;
  ticker_stop(j->ticker);
  janitor_audit_flush(j); /* the last counts and events, when the database takes them */
  auditq_free(j->audit);
  store_free(j->store);
  free(j);
}
