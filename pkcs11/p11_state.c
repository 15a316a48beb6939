/* The signer's state, below every other file: the clock, and whether the
 * token is quarantined (and why, and when the next rebuild is due). */
#include <stdio.h>
#include <time.h>

#include "p11_priv.h"

long long p11_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timespec p11_deadline(long ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

void p11_quarantine(p11_t *p, const char *why) {
  pthread_mutex_lock(&p->st.mu);
  if (!atomic_exchange(&p->st.broken, 1)) {
    snprintf(p->st.why, sizeof p->st.why, "%s", why);
    p->st.backoff_ms = P11_BACKOFF_MIN_MS;
    p->st.next_try_ms = 0; /* the next check rebuilds at once */
  }
  pthread_mutex_unlock(&p->st.mu);
}

int p11_down_err(p11_t *p, p11_err_t *e) {
  pthread_mutex_lock(&p->st.mu);
  p11_err_set(e, P11_EDOWN, "the token is unavailable: %s", p->st.why);
  pthread_mutex_unlock(&p->st.mu);
  return -1;
}

