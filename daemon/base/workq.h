#ifndef PCAD_WORKQ_H
#define PCAD_WORKQ_H
/* A fixed pool of worker threads with a bounded queue. Jobs run on a worker
 * (where blocking on PostgreSQL or the token is fine); their completion
 * runs back on the event-loop thread. */
#include <event2/event.h>

typedef struct workq workq_t;

typedef struct workq_job {
  /* on a worker; state is what worker_init returned for that thread */
  void (*run)(struct workq_job *job, void *state);
  /* on the loop thread, after run */
  void (*done)(struct workq_job *job);
  struct workq_job *next;
} workq_job_t;

typedef void *(*workq_init_fn)(void *arg, int idx);
typedef void (*workq_fini_fn)(void *state);

workq_t *workq_new(struct event_base *base, int nthreads, int qmax, workq_init_fn init,
                   workq_fini_fn fini, void *arg);
/* 0, or -1 when the queue is full (the caller answers ThrottlingException). */
int workq_submit(workq_t *q, workq_job_t *job);
/* Stops accepting, finishes queued jobs, joins the workers. */
void workq_free(workq_t *q);
/* Jobs waiting for a worker, and jobs running. */
void workq_stats(workq_t *q, int *queued, int *busy);

#endif
