/* The signing threads: every use of a CA key runs here, so that a token
 * that hangs costs the caller its deadline, not its thread. */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11_priv.h"

enum { P11_JOB_QUEUED, P11_JOB_RUNNING, P11_JOB_DONE };

struct p11_job {
  p11_job_t *next;
  unsigned char id[P11_ID_LEN];
  p11_sign_fn fn; /* NULL: only the public key is wanted */
  void *arg;
  void (*drop)(void *arg);
  EVP_PKEY *pub;
  int state, abandoned, rc;
  p11_err_t err;
  pthread_cond_t cv; /* with p->q.mu */
};

static void p11_job_free(p11_job_t *j) {
  if (j->abandoned && j->drop)
    j->drop(j->arg);
  EVP_PKEY_free(j->pub);
  pthread_cond_destroy(&j->cv);
  free(j);
}

static void p11_job_run(p11_t *p, p11_job_t *j) {
  EVP_PKEY *priv = NULL;
  unsigned long rv;
  j->rc = -1;
  ERR_clear_error();
  if (atomic_load(&p->st.broken)) {
    p11_down_err(p, &j->err);
    return;
  }
  pthread_rwlock_rdlock(&p->life);
  if (p11_cache_get(p, j->id, j->fn ? &priv : NULL, j->fn ? NULL : &j->pub, &j->err) == 0) {
    if (!j->fn || j->fn(j->arg, priv) > 0) {
      j->rc = 0;
    } else {
      rv = p11_err_engine_rv();
      p11_cache_drop(p, j->id); /* found again on the next use */
      p11_err_set(&j->err, P11_EFAIL, "the token did not sign: %s",
                  rv ? p11_err_rv_name(rv) : "engine error");
      if (p11_err_rv_broken(rv))
        p11_quarantine(p, j->err.msg);
    }
  }
  EVP_PKEY_free(priv);
  pthread_rwlock_unlock(&p->life);
}

static void *p11_sign_main(void *arg) {
  p11_t *p = arg;
  pthread_mutex_lock(&p->q.mu);
  while (!p->q.stop) {
    p11_job_t *j = p->q.head;
    if (!j) {
      pthread_cond_wait(&p->q.cv, &p->q.mu);
      continue;
    }
    p->q.head = j->next;
    if (!p->q.head)
      p->q.tail = NULL;
    p->q.len--;
    if (j->abandoned) {
      p11_job_free(j);
      continue;
    }
    j->state = P11_JOB_RUNNING;
    pthread_mutex_unlock(&p->q.mu);
    p11_job_run(p, j);
    pthread_mutex_lock(&p->q.mu);
    j->state = P11_JOB_DONE;
    if (j->abandoned)
      p11_job_free(j);
    else
      pthread_cond_signal(&j->cv);
  }
  pthread_mutex_unlock(&p->q.mu);
  return NULL;
}

static p11_job_t *p11_job_new(const unsigned char *id, p11_sign_fn fn, void *arg,
                              void (*drop)(void *)) {
  pthread_condattr_t ca;
  p11_job_t *j = calloc(1, sizeof *j);
  if (!j)
    return NULL;
  memcpy(j->id, id, P11_ID_LEN);
  j->fn = fn;
  j->arg = arg;
  j->drop = drop;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&j->cv, &ca);
  pthread_condattr_destroy(&ca);
  return j;
}

/* Queues j and waits for it until the deadline. 0 when it ran (its own
 * rc and err tell how); -1 when it was refused (j is still the caller's);
 * -2 when the deadline passed (j is the signing thread's: never touch it
 * again). */
static int p11_job_wait(p11_t *p, p11_job_t *j, p11_err_t *e) {
  struct timespec ts = p11_deadline(p->timeout_ms);
  pthread_mutex_lock(&p->q.mu);
  if (p->q.len >= p->q.max) {
    pthread_mutex_unlock(&p->q.mu);
    return p11_err_set(e, P11_EBUSY, "%d signatures are waiting for the token", p->q.len);
  }
  if (p->q.tail)
    p->q.tail->next = j;
  else
    p->q.head = j;
  p->q.tail = j;
  p->q.len++;
  pthread_cond_signal(&p->q.cv);
  while (j->state != P11_JOB_DONE)
    if (pthread_cond_timedwait(&j->cv, &p->q.mu, &ts) == ETIMEDOUT)
      break;
  if (j->state == P11_JOB_DONE) {
    pthread_mutex_unlock(&p->q.mu);
    return 0;
  }
  j->abandoned = 1; /* the signing thread frees it */
  pthread_mutex_unlock(&p->q.mu);
  p11_err_set(e, P11_ETIME, "the token did not answer within %ld ms", p->timeout_ms);
  return -2;
}

/* A job for id, run on a signing thread within the deadline: its rc, its
 * public key in *pub when fn is NULL. */
static int p11_run(p11_t *p, const unsigned char *id, p11_sign_fn fn, void *arg,
                   void (*drop)(void *arg), EVP_PKEY **pub, p11_err_t *e) {
  p11_job_t *j;
  int rc;
  if (atomic_load(&p->st.broken))
    return p11_down_err(p, e);
  if (!(j = p11_job_new(id, fn, arg, drop)))
    return p11_err_set(e, P11_EFAIL, "out of memory");
  if ((rc = p11_job_wait(p, j, e)) < 0) {
    if (rc == -1)
      p11_job_free(j);
    return -1;
  }
  rc = j->rc;
  if (rc < 0 && e)
    *e = j->err;
  if (pub) {
    *pub = j->pub;
    j->pub = NULL;
  }
  p11_job_free(j);
  return rc;
}

int p11_sign(p11_t *p, const unsigned char id[P11_ID_LEN], p11_sign_fn fn, void *arg,
             void (*drop)(void *arg), p11_err_t *e) {
  return p11_run(p, id, fn, arg, drop, NULL, e);
}

EVP_PKEY *p11_key_public(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e) {
  EVP_PKEY *pub = NULL;
  if (p11_cache_get_public(p, id, &pub) == 0)
    return pub;
  if (p11_run(p, id, NULL, NULL, NULL, &pub, e) < 0) {
    EVP_PKEY_free(pub);
    return NULL;
  }
  return pub;
}

int p11_sign_start(p11_t *p, int threads, p11_err_t *e) {
  p->q.threads = calloc((size_t)threads, sizeof *p->q.threads);
  if (!p->q.threads)
    return p11_err_set(e, P11_EFAIL, "out of memory");
  for (; p->q.nthreads < threads; p->q.nthreads++)
    if (pthread_create(&p->q.threads[p->q.nthreads], NULL, p11_sign_main, p) != 0)
      return p11_err_set(e, P11_EFAIL, "cannot start the signing threads");
  return 0;
}

int p11_sign_stop(p11_t *p) {
  int stuck = 0;
  pthread_mutex_lock(&p->q.mu);
  p->q.stop = 1;
  pthread_cond_broadcast(&p->q.cv);
  pthread_mutex_unlock(&p->q.mu);
  for (int i = 0; i < p->q.nthreads; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    if (pthread_timedjoin_np(p->q.threads[i], NULL, &ts) != 0) {
      pthread_detach(p->q.threads[i]); /* inside a hung token: left to the exit */
      stuck = 1;
    }
  }
  if (stuck)
    return -1;
  pthread_mutex_lock(&p->q.mu);
  while (p->q.head) { /* never run: abandoned ones go, waiting callers are told */
    p11_job_t *j = p->q.head;
    p->q.head = j->next;
    j->state = P11_JOB_DONE;
    j->rc = -1;
    p11_err_set(&j->err, P11_EDOWN, "pcad is stopping");
    if (j->abandoned)
      p11_job_free(j);
    else
      pthread_cond_signal(&j->cv);
  }
  p->q.tail = NULL;
  pthread_mutex_unlock(&p->q.mu);
  free(p->q.threads);
  p->q.threads = NULL;
  p->q.nthreads = 0;
  return 0;
}
