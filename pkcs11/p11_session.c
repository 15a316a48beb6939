#include <time.h>

#include "p11_priv.h"

int p11_session_open_all(p11_t *p, p11_err_t *e) {
  pthread_mutex_lock(&p->smu);
  for (p->nsess = 0; p->nsess < P11_SESSIONS; p->nsess++) {
    CK_RV rv = p->fl->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                    &p->sess[p->nsess]);
    if (rv != CKR_OK) {
      pthread_mutex_unlock(&p->smu);
      return p11_err_set(e, P11_EFAIL, "C_OpenSession: %s", p11_err_rv_name(rv));
    }
    p->sfree[p->nsess] = p->sess[p->nsess];
  }
  p->nfree = p->nsess;
  pthread_mutex_unlock(&p->smu);
  return 0;
}

/* The sessions die with C_Finalize; a rebuild opens new ones. */
void p11_session_forget_all(p11_t *p) {
  pthread_mutex_lock(&p->smu);
  p->nsess = p->nfree = 0;
  pthread_mutex_unlock(&p->smu);
}

int p11_session_get(p11_t *p, CK_SESSION_HANDLE *h, p11_err_t *e) {
  struct timespec ts = p11_deadline(p->timeout_ms);
  int got = 0;
  pthread_mutex_lock(&p->smu);
  while (p->nsess > 0 && p->nfree == 0)
    if (pthread_cond_timedwait(&p->scv, &p->smu, &ts) != 0)
      break;
  if (p->nfree > 0) {
    *h = p->sfree[--p->nfree];
    got = 1;
  }
  pthread_mutex_unlock(&p->smu);
  return got ? 0 : p11_err_set(e, P11_EDOWN, "no token session free within %ld ms",
                               p->timeout_ms);
}

void p11_session_put(p11_t *p, CK_SESSION_HANDLE h) {
  pthread_mutex_lock(&p->smu);
  if (p->nfree < p->nsess)
    p->sfree[p->nfree++] = h;
  pthread_cond_signal(&p->scv);
  pthread_mutex_unlock(&p->smu);
}
