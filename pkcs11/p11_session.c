#include <time.h>

#include "p11_priv.h"

int p11_session_open_all(p11_t *p, p11_err_t *e) {
  pthread_mutex_lock(&p->ses.mu);
  for (p->ses.n = 0; p->ses.n < P11_SESSIONS; p->ses.n++) {
    CK_RV rv = p->fl->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                    &p->ses.h[p->ses.n]);
    if (rv != CKR_OK) {
      pthread_mutex_unlock(&p->ses.mu);
      return p11_err_set(e, P11_EFAIL, "C_OpenSession: %s", p11_err_rv_name(rv));
    }
    p->ses.free[p->ses.n] = p->ses.h[p->ses.n];
  }
  p->ses.nfree = p->ses.n;
  pthread_mutex_unlock(&p->ses.mu);
  return 0;
}

/* The sessions die with C_Finalize; a rebuild opens new ones. */
void p11_session_forget_all(p11_t *p) {
  pthread_mutex_lock(&p->ses.mu);
  p->ses.n = p->ses.nfree = 0;
  pthread_mutex_unlock(&p->ses.mu);
}

int p11_session_get(p11_t *p, CK_SESSION_HANDLE *h, p11_err_t *e) {
  struct timespec ts = p11_deadline(p->timeout_ms);
  int got = 0;
  pthread_mutex_lock(&p->ses.mu);
  while (p->ses.n > 0 && p->ses.nfree == 0)
    if (pthread_cond_timedwait(&p->ses.cv, &p->ses.mu, &ts) != 0)
      break;
  if (p->ses.nfree > 0) {
    *h = p->ses.free[--p->ses.nfree];
    got = 1;
  }
  pthread_mutex_unlock(&p->ses.mu);
  return got ? 0 : p11_err_set(e, P11_EDOWN, "no token session free within %ld ms",
                               p->timeout_ms);
}

void p11_session_put(p11_t *p, CK_SESSION_HANDLE h) {
  pthread_mutex_lock(&p->ses.mu);
  if (p->ses.nfree < p->ses.n)
    p->ses.free[p->ses.nfree++] = h;
  pthread_cond_signal(&p->ses.cv);
  pthread_mutex_unlock(&p->ses.mu);
}

int p11_session_locked(p11_t *p, p11_session_fn fn, const void *arg, p11_err_t *e) {
  CK_SESSION_HANDLE s;
  int rc = -1;
  if (atomic_load(&p->st.broken))
    return p11_down_err(p, e);
  pthread_rwlock_rdlock(&p->life);
  pthread_mutex_lock(&p->obj_mu);
  if (p11_session_get(p, &s, e) == 0) {
    rc = fn(p, s, arg, e);
    p11_session_put(p, s);
  }
  pthread_mutex_unlock(&p->obj_mu);
  pthread_rwlock_unlock(&p->life);
  return rc;
}
