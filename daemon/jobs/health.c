#include "jobs/health.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "base/ticker.h"
#include "core/audit.h"
#include "p11.h"
#include "store/store.h"
#include "store/store_ca.h"

#define HEALTH_EXPIRY_EVERY 30 /* seconds between two reads of the CAs' notAfter (metrics) */

struct health {
  p11_t *p11;
  int ticks;
  store_t *store;         /* the database check, and the signer's audit events */
  atomic_int db_ok, token_ok;
  int audit_due;          /* a change of the signer's health not yet audited */
  char token_why[256];
  pthread_mutex_t mu;     /* token_why */
  ticker_t *ticker;
};

/* "signer unhealthy" / "signer recovered": once per change, written when
 * the database takes it. */
static void health_audit(health_t *h, int tok, const char *why) {
  ctx_t c = ctx_new("health", NULL, h->store, h->p11);
  char note[300];
  err_t e;
  err_clear(&e);
  snprintf(note, sizeof note, tok ? "signer recovered" : "signer unhealthy: %s", why);
  if (audit_alone(&c, tok ? AUDIT_SignerRecovered : AUDIT_SignerUnhealthy, note, &e) == 0)
    h->audit_due = 0;
}

static void health_expiry(const char *ca_id, long long not_after, void *arg) {
  (void)arg;
  metrics_ca_expiry(ca_id, (time_t)not_after);
}

static void health_check(void *arg) {
  health_t *h = arg;
  char why[256];
  int db = store_ping(h->store);
  int tok = p11_check(h->p11, why, sizeof why);
  if (db != atomic_exchange(&h->db_ok, db))
    log_msg(db ? LOG_LVL_NOTICE : LOG_LVL_ERR, NULL, "database is %s",
            db ? "reachable again" : "unreachable");
  pthread_mutex_lock(&h->mu);
  snprintf(h->token_why, sizeof h->token_why, "%s", why);
  pthread_mutex_unlock(&h->mu);
  if (tok != atomic_exchange(&h->token_ok, tok)) {
    log_msg(tok ? LOG_LVL_NOTICE : LOG_LVL_ERR, LOG_AS("health"), "signer %s%s%s",
            tok ? "recovered" : "unhealthy", tok ? "" : ": ", tok ? "" : why);
    h->audit_due = !h->audit_due; /* two changes before a write cancel out */
  }
  if (h->audit_due && db)
    health_audit(h, tok, why);
  if (db && h->ticks++ % HEALTH_EXPIRY_EVERY == 0) {
    err_t e;
    metrics_cas_begin();
    if (store_ca_expiries(h->store, health_expiry, NULL, &e) < 0)
      h->ticks = 0; /* again next second */
    else
      metrics_cas_end();
  }
}

void health_gauges(health_t *h, int *db_up, int *token_up) {
  *db_up = atomic_load(&h->db_ok);
  *token_up = atomic_load(&h->token_ok);
}

health_t *health_start(const cfg_t *cfg, p11_t *p11) {
  health_t *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->p11 = p11;
  h->store = store_new(cfg);
  pthread_mutex_init(&h->mu, NULL);
  atomic_store(&h->db_ok, 1);
  atomic_store(&h->token_ok, 1);
  if (h->store)
    health_check(h); /* /readyz is right from the first request */
  if (!h->store || !(h->ticker = ticker_start(1, health_check, h))) {
    store_free(h->store);
    pthread_mutex_destroy(&h->mu);
    free(h);
    return NULL;
  }
  return h;
}

void health_stop(health_t *h) {
  if (!h)
    return;
  ticker_stop(h->ticker);
  pthread_mutex_destroy(&h->mu);
  store_free(h->store);
  free(h);
}

int health_ready(health_t *h, char *why, size_t n) {
  int db = atomic_load(&h->db_ok), tok = atomic_load(&h->token_ok);
  if (db && tok) {
    snprintf(why, n, "ok");
    return 1;
  }
  pthread_mutex_lock(&h->mu);
  snprintf(why, n, "%s%s%s%s", db ? "" : "database unreachable", !db && !tok ? "; " : "",
           tok ? "" : "signer: ", tok ? "" : h->token_why);
  pthread_mutex_unlock(&h->mu);
  return 0;
}
