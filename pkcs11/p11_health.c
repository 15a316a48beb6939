/* Quarantine and rebuild: a token that failed is left alone by every
 * caller (P11_EDOWN at once) until p11_check() has brought it up again,
 * with a backoff between attempts and never a second PIN attempt after a
 * PIN error. Readiness is a real signature with the probe key. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11_priv.h"

#define P11_PROBE_DATA "pcad readiness probe"

typedef struct {
  unsigned char sig[1024];
  size_t len;
} p11_probe_t;

static int p11_probe_sign(void *arg, EVP_PKEY *key) {
  p11_probe_t *pr = arg;
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  int ok;
  pr->len = sizeof pr->sig;
  ok = c && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
       EVP_DigestSign(c, pr->sig, &pr->len, (const unsigned char *)P11_PROBE_DATA,
                      strlen(P11_PROBE_DATA)) == 1;
  EVP_MD_CTX_free(c);
  return ok;
}

static int p11_probe_verify(EVP_PKEY *pub, const p11_probe_t *pr, p11_err_t *e) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  int ok = c && pub && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pub) == 1 &&
           EVP_DigestVerify(c, pr->sig, pr->len, (const unsigned char *)P11_PROBE_DATA,
                            strlen(P11_PROBE_DATA)) == 1;
  EVP_MD_CTX_free(c);
  return ok ? 0 : p11_err_set(e, P11_EFAIL, "the probe signature does not verify");
}

/* The probe on a signing thread, within the deadline. */
static int p11_probe(p11_t *p, p11_err_t *e) {
  p11_probe_t *pr = calloc(1, sizeof *pr);
  EVP_PKEY *pub = NULL;
  int rc = -1;
  if (!pr)
    return p11_err_set(e, P11_EFAIL, "out of memory");
  if (p11_sign(p, p->probe_id, p11_probe_sign, pr, free, e) < 0) {
    if (e->code == P11_ETIME)
      pr = NULL; /* the signing thread owns it now */
    goto out;
  }
  pub = p11_key_public(p, p->probe_id, e);
  rc = pub ? p11_probe_verify(pub, pr, e) : -1;
out:
  EVP_PKEY_free(pub);
  free(pr);
  return rc;
}

/* Everything again, on this thread, once no signature is in flight. */
static int p11_rebuild(p11_t *p, p11_err_t *e) {
  struct timespec ts = p11_deadline(1000);
  p11_probe_t pr;
  EVP_PKEY *priv = NULL, *pub = NULL;
  int rc = -1;
  if (pthread_rwlock_clockwrlock(&p->life, CLOCK_MONOTONIC, &ts) != 0)
    return p11_err_set(e, P11_EDOWN, "signatures still in flight in the old session");
  p11_token_down(p);
  if (p11_token_up(p, e) == 0 &&
      p11_cache_get(p, p->probe_id, &priv, &pub, e) == 0) {
    if (p11_probe_sign(&pr, priv) > 0)
      rc = p11_probe_verify(pub, &pr, e);
    else
      p11_err_set(e, P11_EFAIL, "the probe key does not sign: %s",
                  p11_err_rv_name(p11_err_engine_rv()));
  }
  EVP_PKEY_free(priv);
  EVP_PKEY_free(pub);
  if (rc == 0)
    atomic_store(&p->st.broken, 0);
  pthread_rwlock_unlock(&p->life);
  return rc;
}

/* While quarantined: a rebuild when the backoff has passed. */
static int p11_check_broken(p11_t *p, p11_err_t *e) {
  long long now = p11_now_ms();
  int due;
  pthread_mutex_lock(&p->st.mu);
  due = now >= p->st.next_try_ms;
  pthread_mutex_unlock(&p->st.mu);
  if (!due || p11_rebuild(p, e) < 0) {
    pthread_mutex_lock(&p->st.mu);
    if (due) {
      snprintf(p->st.why, sizeof p->st.why, "%s", e->msg);
      p->st.next_try_ms = now + p->st.backoff_ms;
      p->st.backoff_ms = p->st.backoff_ms * 2 > P11_BACKOFF_MAX_MS ? P11_BACKOFF_MAX_MS
                                                            : p->st.backoff_ms * 2;
    }
    pthread_mutex_unlock(&p->st.mu);
    return -1;
  }
  return 0;
}

int p11_check(p11_t *p, char *why, size_t n) {
  p11_err_t e = {P11_OK, ""};
  int ok;
  if (atomic_load(&p->st.pin_refused))
    ok = 0;
  else if (atomic_load(&p->st.broken))
    ok = p11_check_broken(p, &e) == 0;
  else if (!(ok = p11_probe(p, &e) == 0))
    p11_quarantine(p, e.msg);
  pthread_mutex_lock(&p->st.mu);
  snprintf(why, n, "%s", ok ? "ok" : p->st.why);
  pthread_mutex_unlock(&p->st.mu);
  return ok;
}
