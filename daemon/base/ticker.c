#include "base/ticker.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct ticker {
  long interval_s;
  void (*fn)(void *arg);
  void *arg;
  pthread_t tid;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int kicked, stop;
};

static void *ticker_main(void *arg) {
  ticker_t *t = arg;
  pthread_mutex_lock(&t->mu);
  while (!t->stop) {
    struct timespec ts;
    t->kicked = 0;
    pthread_mutex_unlock(&t->mu);
    t->fn(t->arg);
    pthread_mutex_lock(&t->mu);
    if (t->stop || t->kicked)
      continue;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += t->interval_s;
    pthread_cond_timedwait(&t->cv, &t->mu, &ts);
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

ticker_t *ticker_start(long interval_s, void (*fn)(void *arg), void *arg) {
  ticker_t *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->interval_s = interval_s;
  t->fn = fn;
  t->arg = arg;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  if (pthread_create(&t->tid, NULL, ticker_main, t) != 0) {
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    return NULL;
  }
  return t;
}

void ticker_kick(ticker_t *t) {
  pthread_mutex_lock(&t->mu);
  t->kicked = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

void ticker_stop(ticker_t *t) {
  if (!t)
    return;
  pthread_mutex_lock(&t->mu);
  t->stop = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->tid, NULL);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t);
}
