/* The front: the signer made and freed, and the public calls that take
 * several of its parts at once. The files stack (tests/check_calls), each
 * using only those below it: p11_err, p11_alg -> p11_state -> p11_session
 * -> p11_key -> p11_cache, p11_keygen -> p11_sign -> p11_token ->
 * p11_health -> this file. */
#include "p11.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11_priv.h"

p11_t *p11_open(const p11_opts_t *o, p11_err_t *e) {
  p11_t *p = calloc(1, sizeof *p);
  int rc;
  if (!p) {
    p11_err_set(e, P11_EFAIL, "out of memory");
    return NULL;
  }
  pthread_rwlock_init(&p->life, NULL);
  pthread_rwlock_init(&p->cache.mu, NULL);
  pthread_mutex_init(&p->obj_mu, NULL);
  pthread_mutex_init(&p->ses.mu, NULL);
  {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->ses.cv, &ca);
    pthread_condattr_destroy(&ca);
  }
  pthread_mutex_init(&p->q.mu, NULL);
  pthread_cond_init(&p->q.cv, NULL);
  pthread_mutex_init(&p->st.mu, NULL);
  snprintf(p->label, sizeof p->label, "%s", o->label);
  p->module = strdup(o->module);
  p->pin_file = strdup(o->pin_file);
  p->timeout_ms = o->timeout_ms;
  p->q.max = o->queue_max;
  ENGINE_load_dynamic();
  if (!p->module || !p->pin_file) {
    p11_err_set(e, P11_EFAIL, "out of memory");
    goto fail;
  }
  /* the PIN file first: a bad one must not cost a module load */
  if (p11_pin_file_check(p->pin_file, e) < 0)
    goto fail;
  pthread_rwlock_wrlock(&p->life);
  rc = p11_token_load(p, e) < 0 ? -1 : p11_token_up(p, e);
  pthread_rwlock_unlock(&p->life);
  if (rc < 0 || p11_sign_start(p, o->sign_threads, e) < 0)
    goto fail;
  return p;
fail:
  p11_close(p);
  return NULL;
}

void p11_close(p11_t *p) {
  if (!p)
    return;
  if (p11_sign_stop(p) < 0)
    return; /* a signing thread is stuck in the token: the exit frees all */
  pthread_rwlock_wrlock(&p->life);
  if (p->fl)
    p11_token_down(p);
  pthread_rwlock_unlock(&p->life);
  /* the module stays mapped: the engine may still reference it */
  pthread_rwlock_destroy(&p->life);
  pthread_rwlock_destroy(&p->cache.mu);
  pthread_mutex_destroy(&p->obj_mu);
  pthread_mutex_destroy(&p->ses.mu);
  pthread_cond_destroy(&p->ses.cv);
  pthread_mutex_destroy(&p->q.mu);
  pthread_cond_destroy(&p->q.cv);
  pthread_mutex_destroy(&p->st.mu);
  free(p->module);
  free(p->pin_file);
  free(p);
}

static int p11_destroy_on(p11_t *p, CK_SESSION_HANDLE s, const void *label, p11_err_t *e) {
  return p11_key_destroy_on(p, s, label, p11_cache_drop, e);
}

int p11_key_destroy(p11_t *p, const char *label, p11_err_t *e) {
  return p11_session_locked(p, p11_destroy_on, label, e);
}
