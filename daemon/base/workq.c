#include "base/workq.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct {
  workq_t *q;
  int idx;
  pthread_t tid;
} workq_thread_t;

struct workq {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  workq_job_t *head, *tail; /* pending */
  int queued, qmax, stop;
  int busy; /* jobs running */
  workq_job_t *done_head, *done_tail; /* finished, for the loop */
  struct event *done_ev;
  workq_init_fn init;
  workq_fini_fn fini;
  void *arg;
  int nthreads;
  workq_thread_t *threads;
};

static void *workq_main(void *p) {
  workq_thread_t *t = p;
  workq_t *q = t->q;
  void *state = q->init ? q->init(q->arg, t->idx) : NULL;
  for (;;) {
    workq_job_t *job;
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->stop)
      pthread_cond_wait(&q->cv, &q->mu);
    job = q->head;
    if (!job) {
      pthread_mutex_unlock(&q->mu);
      break;
    }
    q->head = job->next;
    if (!q->head)
      q->tail = NULL;
    q->queued--;
    q->busy++;
    pthread_mutex_unlock(&q->mu);

    job->run(job, state);

    pthread_mutex_lock(&q->mu);
    q->busy--;
    job->next = NULL;
    if (q->done_tail)
      q->done_tail->next = job;
    else
      q->done_head = job;
    q->done_tail = job;
    pthread_mutex_unlock(&q->mu);
    event_active(q->done_ev, EV_READ, 0);
  }
  if (q->fini)
    q->fini(state);
  return NULL;
}

static void workq_on_done(evutil_socket_t fd, short what, void *arg) {
  workq_t *q = arg;
  workq_job_t *job;
  (void)fd;
  (void)what;
  pthread_mutex_lock(&q->mu);
  job = q->done_head;
  q->done_head = q->done_tail = NULL;
  pthread_mutex_unlock(&q->mu);
  while (job) {
    workq_job_t *next = job->next;
    job->done(job);
    job = next;
  }
}

workq_t *workq_new(struct event_base *base, int nthreads, int qmax, workq_init_fn init,
                   workq_fini_fn fini, void *arg) {
  workq_t *q = calloc(1, sizeof *q);
  if (!q)
    return NULL;
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->cv, NULL);
  q->qmax = qmax;
  q->init = init;
  q->fini = fini;
  q->arg = arg;
  q->done_ev = event_new(base, -1, 0, workq_on_done, q);
  q->threads = calloc((size_t)nthreads, sizeof *q->threads);
  if (!q->done_ev || !q->threads) {
    workq_free(q);
    return NULL;
  }
  for (int i = 0; i < nthreads; i++) {
    q->threads[i].q = q;
    q->threads[i].idx = i;
    if (pthread_create(&q->threads[i].tid, NULL, workq_main, &q->threads[i]) != 0) {
      workq_free(q);
      return NULL;
    }
    q->nthreads++;
  }
  return q;
}

int workq_submit(workq_t *q, workq_job_t *job) {
  int rc = -1;
  pthread_mutex_lock(&q->mu);
  if (!q->stop && q->queued < q->qmax) {
    job->next = NULL;
    if (q->tail)
      q->tail->next = job;
    else
      q->head = job;
    q->tail = job;
    q->queued++;
    rc = 0;
    pthread_cond_signal(&q->cv);
  }
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void workq_free(workq_t *q) {
  if (!q)
    return;
  pthread_mutex_lock(&q->mu);
  q->stop = 1;
  pthread_cond_broadcast(&q->cv);
  pthread_mutex_unlock(&q->mu);
  for (int i = 0; i < q->nthreads; i++)
    pthread_join(q->threads[i].tid, NULL);
  /* completions the loop never ran: let them clean up */
  workq_on_done(-1, 0, q);
  if (q->done_ev)
    event_free(q->done_ev);
  free(q->threads);
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->cv);
  free(q);
}

void workq_stats(workq_t *q, int *queued, int *busy) {
  pthread_mutex_lock(&q->mu);
  *queued = q->queued;
  *busy = q->busy;
  pthread_mutex_unlock(&q->mu);
}
