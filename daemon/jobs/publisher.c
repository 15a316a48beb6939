#include "jobs/publisher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/bucket.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/ticker.h"
#include "core/crl.h"
#include "store/store.h"
#include "store/store_crl.h"

#define PUBLISHER_BACKOFF_MAX_MS 60000

/* What this instance has written, per object (a CA's complete CRL, or a
 * partition's). */
typedef struct {
  char target[512];
  char number[32];
  int failures;
  long long next_ms;
} publisher_seen_t;

struct publisher {
  const cfg_t *cfg;
  const bucket_t *bucket;
  p11_t *p11;
  store_t *store;
  publisher_seen_t *seen;
  int nseen;
  ticker_t *ticker;
};

static publisher_seen_t *publisher_find(publisher_t *p, const char *target) {
  publisher_seen_t *grown;
  for (int i = 0; i < p->nseen; i++)
    if (strcmp(p->seen[i].target, target) == 0)
      return &p->seen[i];
  grown = realloc(p->seen, (size_t)(p->nseen + 1) * sizeof *grown);
  if (!grown)
    return NULL;
  p->seen = grown;
  memset(&p->seen[p->nseen], 0, sizeof *grown);
  snprintf(p->seen[p->nseen].target, sizeof p->seen[p->nseen].target, "%s", target);
  return &p->seen[p->nseen++];
}

/* One newest CRL into its bucket, unless written already. */
static void publisher_write(publisher_t *p, const store_crl_head_t *h) {
  publisher_seen_t *s = publisher_find(p, h->target);
  unsigned char *der = NULL;
  size_t len = 0;
  long long now = clock_now_ms();
  err_t e;
  err_clear(&e);
  if (!s || (strcmp(s->number, h->number) == 0 && s->failures == 0) || now < s->next_ms)
    return;
  if (store_crl_der(p->store, h->ca_id, h->number, &der, &len, &e) == 0 &&
      bucket_write(p->bucket, h->target, "application/pkix-crl", crl_s3_acl(h->acl), der, len,
                   &e) == 0) {
    snprintf(s->number, sizeof s->number, "%s", h->number);
    metrics_crl_written(h->ca_id, clock_now());
    if (s->failures)
      log_notice(LOG_AS("publisher"), "CRL %s written again after %d failures", h->target, s->failures);
    s->failures = 0;
  } else {
    long backoff = 1000L << (s->failures < 6 ? s->failures : 6);
    s->failures++;
    s->next_ms = now + (backoff > PUBLISHER_BACKOFF_MAX_MS ? PUBLISHER_BACKOFF_MAX_MS : backoff);
    log_err(LOG_AS("publisher"), "CRL %s (number %s) not written (failure %d): %s", h->target,
            h->number, s->failures, e.msg);
  }
  free(der);
}

static void publisher_round(void *arg) {
  publisher_t *p = arg;
  ctx_t c = ctx_new("publisher", p->cfg, p->store, p->p11);
  store_crl_head_t *heads = NULL;
  int n = 0;
  err_t e;
  err_clear(&e);
  if (store_ready(p->store, &e) < 0)
    return; /* the database is away; the next round tries again */
  if (crl_refresh_due(&c, p->cfg->crl_publish_delay, &e) < 0)
    log_err(LOG_AS("publisher"), "CRLs: %s", e.msg);
  if (store_crl_heads(p->store, &heads, &n, &e) < 0) {
    log_err(LOG_AS("publisher"), "CRLs: %s", e.msg);
    return;
  }
  for (int i = 0; i < n; i++)
    publisher_write(p, &heads[i]);
  store_crl_heads_free(heads, n);
}

publisher_t *publisher_start(const cfg_t *cfg, const bucket_t *bucket, p11_t *p11) {
  publisher_t *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  p->cfg = cfg;
  p->bucket = bucket;
  p->p11 = p11;
  p->store = store_new(cfg);
  if (!p->store || !(p->ticker = ticker_start(1, publisher_round, p))) {
    store_free(p->store);
    free(p);
    return NULL;
  }
  return p;
}

void publisher_stop(publisher_t *p) {
  if (!p)
    return;
  ticker_stop(p->ticker);
  store_free(p->store);
  free(p->seen);
  free(p);
}
