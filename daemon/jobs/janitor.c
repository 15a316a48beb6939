#include "jobs/janitor.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/ca.h"
#include "core/issue.h"
#include "base/log.h"
#include "store/store.h"

struct janitor {
  const cfg_t *cfg;
  p11_t *p11;
  store_t *store;
  pthread_t tid;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int kicked, stop;
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
};

/* Runs every job until none has work left (bounded per round). */
static void janitor_round(janitor_t *j) {
  ctx_t c = {"janitor", NULL, NULL, j->cfg->region, j->cfg->partition, NULL, j->store, j->p11,
             0,         NULL, NULL, j->cfg->janitor_pending_deadline};
  err_t e;
  err_clear(&e);
  if (store_ready(j->store, &e) < 0)
    return; /* the database is away; the next round tries again */
  for (size_t k = 0; k < sizeof janitor_jobs / sizeof janitor_jobs[0]; k++) {
    for (int n = 0; n < 100; n++) {
      int rc;
      err_clear(&e);
      rc = janitor_jobs[k].fn(&c, &e);
      if (rc < 0)
        log_err("janitor", "%s: %s: %s", janitor_jobs[k].name, err_name(e.code), e.msg);
      if (rc <= 0)
        break;
    }
  }
}

static void *janitor_main(void *arg) {
  janitor_t *j = arg;
  pthread_mutex_lock(&j->mu);
  while (!j->stop) {
    struct timespec ts;
    j->kicked = 0;
    pthread_mutex_unlock(&j->mu);
    janitor_round(j);
    pthread_mutex_lock(&j->mu);
    if (j->stop || j->kicked)
      continue;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += j->cfg->janitor_interval;
    pthread_cond_timedwait(&j->cv, &j->mu, &ts);
  }
  pthread_mutex_unlock(&j->mu);
  return NULL;
}

janitor_t *janitor_start(const cfg_t *cfg, p11_t *p11) {
  janitor_t *j = calloc(1, sizeof *j);
  if (!j)
    return NULL;
  j->cfg = cfg;
  j->p11 = p11;
  j->store = store_new(cfg->db_conninfo, cfg->db_connect_timeout);
  pthread_mutex_init(&j->mu, NULL);
  pthread_cond_init(&j->cv, NULL);
  if (!j->store || pthread_create(&j->tid, NULL, janitor_main, j) != 0) {
    store_free(j->store);
    free(j);
    return NULL;
  }
  return j;
}

void janitor_kick(void *arg) {
  janitor_t *j = arg;
  pthread_mutex_lock(&j->mu);
  j->kicked = 1;
  pthread_cond_signal(&j->cv);
  pthread_mutex_unlock(&j->mu);
}

void janitor_stop(janitor_t *j) {
  if (!j)
    return;
  pthread_mutex_lock(&j->mu);
  j->stop = 1;
  pthread_cond_signal(&j->cv);
  pthread_mutex_unlock(&j->mu);
  pthread_join(j->tid, NULL);
  store_free(j->store);
  pthread_mutex_destroy(&j->mu);
  pthread_cond_destroy(&j->cv);
  free(j);
}
