/* The worker queue: a job goes to the worker that went idle last (so a
 * light load keeps to one worker and its one database connection), idle
 * workers are all woken when jobs come together, and a full queue refuses.
 * The first test failed 40 times in 1,000 runs (four at once) while a
 * worker could take the job meant for another: the woken one went idle
 * again on top of the stack. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/workq.h"

#define THREADS 4

typedef struct {
  workq_job_t job;
  int ran_on; /* the worker's index */
  int *done;  /* jobs completed, counted on the loop */
  pthread_barrier_t *together; /* NULL, or wait there for the others */
} job_t;

static void *worker_init(void *arg, int idx) {
  int *ids = arg;
  ids[idx] = idx;
  return &ids[idx];
}

static void job_run(workq_job_t *job, void *state) {
  job_t *j = (job_t *)job;
  j->ran_on = *(int *)state;
  if (j->together)
    pthread_barrier_wait(j->together);
}

static void job_done(workq_job_t *job) { (*((job_t *)job)->done)++; }

static void tick(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
}

/* Runs the loop until want jobs completed. It sleeps in between: a timer
 * keeps it waiting for the workers' wake-ups (with no event pending,
 * event_base_loop returns at once, and a spinning loop thread starves the
 * workers under valgrind, which runs one thread at a time). */
static void run_until(struct event_base *base, const int *done, int want) {
  struct timeval second = {1, 0};
  struct event *t = event_new(base, -1, EV_PERSIST, tick, NULL);
  assert_non_null(t);
  event_add(t, &second);
  while (*done < want)
    event_base_loop(base, EVLOOP_ONCE);
  event_free(t);
}

/* THREADS jobs at once, each waiting until all are running: only possible
 * if every idle worker was woken for its job. */
static void run_together(struct event_base *base, workq_t *q, int *done, job_t jobs[THREADS]) {
  pthread_barrier_t together;
  int want = *done + THREADS;
  pthread_barrier_init(&together, NULL, THREADS);
  for (int i = 0; i < THREADS; i++) {
    jobs[i] = (job_t){.job = {.run = job_run, .done = job_done}, .done = done,
                      .together = &together};
    assert_int_equal(workq_submit(q, &jobs[i].job), 0);
  }
  run_until(base, done, want);
  pthread_barrier_destroy(&together);
}

/* One job at a time, each submitted after the last one completed: every
 * one runs on the same worker (with one shared condition the workers took
 * turns, and each of them connected to the database). */
static void test_sequential_jobs_keep_to_one_worker(void **st) {
  struct event_base *base = event_base_new();
  int ids[THREADS], done = 0;
  workq_t *q = workq_new(base, THREADS, 8, worker_init, NULL, ids);
  job_t all[THREADS], jobs[40];
  (void)st;
  assert_non_null(q);
  run_together(base, q, &done, all); /* every worker started and idle */
  for (int i = 0; i < 40; i++) {
    jobs[i] = (job_t){.job = {.run = job_run, .done = job_done}, .ran_on = -1, .done = &done};
    assert_int_equal(workq_submit(q, &jobs[i].job), 0);
    run_until(base, &done, THREADS + i + 1);
    assert_int_equal(jobs[i].ran_on, jobs[0].ran_on);
  }
  workq_free(q);
  event_base_free(base);
}

/* Twenty rounds of THREADS jobs at once: every idle worker is woken for
 * one, whichever order they went idle in. */
static void test_jobs_together_wake_every_worker(void **st) {
  struct event_base *base = event_base_new();
  int ids[THREADS], done = 0, seen = 0;
  workq_t *q = workq_new(base, THREADS, 8, worker_init, NULL, ids);
  job_t jobs[THREADS];
  (void)st;
  assert_non_null(q);
  for (int round = 0; round < 20; round++)
    run_together(base, q, &done, jobs);
  for (int i = 0; i < THREADS; i++)
    seen |= 1 << jobs[i].ran_on;
  assert_int_equal(seen, (1 << THREADS) - 1);
  workq_free(q);
  event_base_free(base);
}

/* While every worker is held, the queue takes qmax jobs and refuses the
 * next; workq_free runs the queued ones before it returns. */
static void test_full_queue_refuses_and_free_drains(void **st) {
  struct event_base *base = event_base_new();
  int ids[1], done = 0;
  pthread_barrier_t hold;
  workq_t *q = workq_new(base, 1, 2, worker_init, NULL, ids);
  job_t held, queued[3];
  (void)st;
  assert_non_null(q);
  pthread_barrier_init(&hold, NULL, 2);
  held = (job_t){.job = {.run = job_run, .done = job_done}, .done = &done, .together = &hold};
  assert_int_equal(workq_submit(q, &held.job), 0);
  for (int i = 0; i < 3; i++)
    queued[i] = (job_t){.job = {.run = job_run, .done = job_done}, .ran_on = -1, .done = &done};
  /* the worker may not have taken the held job yet: wait until it has */
  for (int n = -1, b = 0; n != 0 || b != 1; workq_stats(q, &n, &b))
    usleep(1000);
  assert_int_equal(workq_submit(q, &queued[0].job), 0);
  assert_int_equal(workq_submit(q, &queued[1].job), 0);
  assert_int_equal(workq_submit(q, &queued[2].job), -1);
  pthread_barrier_wait(&hold);
  workq_free(q);
  assert_int_equal(done, 3);
  assert_int_equal(queued[0].ran_on, 0);
  assert_int_equal(queued[1].ran_on, 0);
  assert_int_equal(queued[2].ran_on, -1);
  pthread_barrier_destroy(&hold);
  event_base_free(base);
}

int main(void) {
  evthread_use_pthreads(); /* the workers wake the loop, as in pcad */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sequential_jobs_keep_to_one_worker),
      cmocka_unit_test(test_jobs_together_wake_every_worker),
      cmocka_unit_test(test_full_queue_refuses_and_free_drains),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
