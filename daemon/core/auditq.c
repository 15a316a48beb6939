#include "core/auditq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/audit.h"
#include "store/store.h"

typedef struct {
  char *rid;
  audit_event_t event;
  char *account, *actor, *note;
} auditq_item_t;

struct auditq {
  pthread_mutex_t mu;
  auditq_item_t *items;
  int n;
};

static void auditq_item_free(auditq_item_t *it) {
  free(it->rid);
  free(it->account);
  free(it->actor);
  free(it->note);
}

auditq_t *auditq_new(void) {
  auditq_t *q = calloc(1, sizeof *q);
  if (!q || !(q->items = calloc(AUDITQ_MAX, sizeof *q->items))) {
    free(q);
    return NULL;
  }
  pthread_mutex_init(&q->mu, NULL);
  return q;
}

void auditq_free(auditq_t *q) {
  if (!q)
    return;
  for (int i = 0; i < q->n; i++) {
    log_err(LOG_AS(q->items[i].rid), "audit: %s actor=%s %s: lost at shutdown (the database did not take it)",
            audit_name(q->items[i].event), q->items[i].actor ? q->items[i].actor : "-", q->items[i].note);
    auditq_item_free(&q->items[i]);
  }
  pthread_mutex_destroy(&q->mu);
  free(q->items);
  free(q);
}

static char *auditq_dup(const char *s) { return s ? strdup(s) : NULL; }

int auditq_push(auditq_t *q, const char *rid, audit_event_t event, const char *account,
                const char *actor, const char *note) {
  auditq_item_t it = {auditq_dup(rid), event, auditq_dup(account), auditq_dup(actor),
                      strdup(note)};
  int rc = -1;
  if ((rid && !it.rid) || !it.note || (account && !it.account) || (actor && !it.actor)) {
    log_err(LOG_AS(rid), "audit: %s %s: not recorded: out of memory", audit_name(event), note);
    goto out;
  }
  pthread_mutex_lock(&q->mu);
  if (q->n < AUDITQ_MAX) {
    q->items[q->n++] = it;
    rc = 0;
  }
  pthread_mutex_unlock(&q->mu);
  if (rc < 0)
    log_err(LOG_AS(rid), "audit: %s %s: not recorded: %d events wait for the database", audit_name(event), note,
            AUDITQ_MAX);
out:
  if (rc < 0)
    auditq_item_free(&it);
  return rc;
}

typedef struct {
  const auditq_item_t *items;
  int n;
  const ctx_t *c;
} auditq_tx_t;

/* The first n queued events written in one transaction (a store_tx body). */
static int auditq_write(void *arg, err_t *e) {
  const auditq_tx_t *t = arg;
  const auditq_item_t *items = t->items;
  const ctx_t *c = t->c;
  for (int i = 0; i < t->n; i++) {
    ctx_t one = *c;
    one.account = items[i].account;
    one.actor = items[i].actor;
    one.log.rid = items[i].rid ? items[i].rid : c->log.rid;
    if (audit_event(&one, e, items[i].event, NULL, NULL, "%s", items[i].note) < 0)
      return -1;
  }
  return 0;
}

int auditq_flush(auditq_t *q, const ctx_t *c, err_t *e) {
  int n;
  pthread_mutex_lock(&q->mu);
  n = q->n; /* only this thread removes: these n stay at the front */
  pthread_mutex_unlock(&q->mu);
  if (n == 0)
    return 0;
  if (store_tx(c->store, auditq_write, &(auditq_tx_t){q->items, n, c}, 0, e) < 0)
    return -1;
  pthread_mutex_lock(&q->mu);
  for (int i = 0; i < n; i++)
    auditq_item_free(&q->items[i]);
  memmove(q->items, q->items + n, (size_t)(q->n - n) * sizeof *q->items);
  q->n -= n;
  pthread_mutex_unlock(&q->mu);
  return 0;
}
