#include "base/workq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  workq_t *q;
  int idx;
  workq_job_t *job; /* handed over by workq_submit while on the idle stack */
  int idle;         /* on the idle stack */
  pthread_cond_t cv;
  pthread_t tid;
} workq_thread_t;

/* A job goes to the worker that went idle last (a stack of idle workers,
 * each waiting on its own condition): under a light load the same few
 * workers run everything, so only they open a database connection and
 * keep it warm (with one shared condition every worker took its turn, and
 * each of the 16 opened a connection for a few sequential calls).
 * The job is handed to that worker (t->job), never left for whichever
 * thread looks first: a worker that took a job meant for another left the
 * woken one to go idle again on top of the stack, so the next job went
 * elsewhere. Invariant (under mu): the pending list is empty while any
 * worker is idle, because submit hands over whenever one is. */
struct workq {
  pthread_mutex_t mu;
  workq_thread_t **idle; /* the idle stack: idle[nidle - 1] waited last */
  int nidle;
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

/* Under q->mu: t goes on top of the idle stack (if not there yet). */
static void workq_idle(workq_t *q, workq_thread_t *t) {
  if (!t->idle) {
    q->idle[q->nidle++] = t;
    t->idle = 1;
  }
}

/* Under q->mu: t's next job. The one handed to it, else the oldest
 * pending; else t waits on the idle stack for one. NULL once the queue
 * stops with nothing left for t (workq_free drains the pending list). */
static workq_job_t *workq_next(workq_t *q, workq_thread_t *t) {
  workq_job_t *job;
  if (!t->job && q->head) {
    t->job = q->head;
    q->head = t->job->next;
    if (!q->head)
      q->tail = NULL;
    q->queued--;
  }
  while (!t->job && !q->stop) {
    workq_idle(q, t);
    pthread_cond_wait(&t->cv, &q->mu);
  }
  if (t->idle) { /* stopping: off the stack */
    for (int i = 0; i < q->nidle; i++)
      if (q->idle[i] == t)
        q->idle[i] = q->idle[--q->nidle];
    t->idle = 0;
  }
  if ((job = t->job)) {
    t->job = NULL;
    q->busy++;
  }
  return job;
}

static void *workq_main(void *p) {
  workq_thread_t *t = p;
  workq_t *q = t->q;
  void *state = q->init ? q->init(q->arg, t->idx) : NULL;
  for (;;) {
    workq_job_t *job;
    pthread_mutex_lock(&q->mu);
    job = workq_next(q, t);
    pthread_mutex_unlock(&q->mu);
    if (!job)
      break;
    job->run(job, state);
    pthread_mutex_lock(&q->mu);
    q->busy--;
    job->next = NULL;
    if (q->done_tail)
      q->done_tail->next = job;
    else
      q->done_head = job;
    q->done_tail = job;
    /* idle before the loop hears of the completion: the next job of the
     * same client is handed to this worker */
    if (!q->head)
      workq_idle(q, t);
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
  q->qmax = qmax;
  q->init = init;
  q->fini = fini;
  q->arg = arg;
  q->done_ev = event_new(base, -1, 0, workq_on_done, q);
  q->threads = calloc((size_t)nthreads, sizeof *q->threads);
  q->idle = calloc((size_t)nthreads, sizeof *q->idle);
  if (!q->done_ev || !q->threads || !q->idle) {
    workq_free(q);
    return NULL;
  }
  for (int i = 0; i < nthreads; i++) {
    q->threads[i].q = q;
    q->threads[i].idx = i;
    pthread_cond_init(&q->threads[i].cv, NULL);
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
  if (q->stop) {
    /* refused */
  } else if (q->nidle > 0) { /* handed to the worker that went idle last */
    workq_thread_t *t = q->idle[--q->nidle];
    t->idle = 0;
    t->job = job;
    pthread_cond_signal(&t->cv);
    rc = 0;
  } else if (q->queued < q->qmax) {
    job->next = NULL;
    if (q->tail)
      q->tail->next = job;
    else
      q->head = job;
    q->tail = job;
    q->queued++;
    rc = 0;
  }
  pthread_mutex_unlock(&q->mu);
  return rc;
}

void workq_free(workq_t *q) {
  if (!q)
    return;
  pthread_mutex_lock(&q->mu);
  q->stop = 1;
  for (int i = 0; i < q->nthreads; i++)
    pthread_cond_signal(&q->threads[i].cv);
  pthread_mutex_unlock(&q->mu);
  for (int i = 0; i < q->nthreads; i++) {
    pthread_join(q->threads[i].tid, NULL);
    pthread_cond_destroy(&q->threads[i].cv);
  }
  /* completions the loop never ran: let them clean up */
  workq_on_done(-1, 0, q);
  if (q->done_ev)
    event_free(q->done_ev);
  free(q->threads);
  free(q->idle);
  pthread_mutex_destroy(&q->mu);
  free(q);
}

void workq_stats(workq_t *q, int *queued, int *busy) {
  pthread_mutex_lock(&q->mu);
  *queued = q->queued;
  *busy = q->busy;
  pthread_mutex_unlock(&q->mu);
}
