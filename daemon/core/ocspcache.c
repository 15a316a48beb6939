#include "core/ocspcache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

/* Longer CertIDs (unusual digests) are not kept. */
#define OCSPCACHE_KEY_MAX 192

typedef struct {
  unsigned char key[OCSPCACHE_KEY_MAX];
  size_t klen;
  ocspcache_says_t says;
  long long made_ms;
  unsigned char *der;
  int len;
} ocspcache_slot_t;

struct ocspcache {
  pthread_mutex_t mu;
  size_t mask;
  long long max_age_ms;
  ocspcache_slot_t *slots;
};

ocspcache_t *ocspcache_new(long slots, long max_age_s) {
  ocspcache_t *c = calloc(1, sizeof *c);
  size_t n = 1;
  if (!c)
    return NULL;
  while (slots > 0 && n < (size_t)slots)
    n <<= 1;
  c->mask = slots > 0 ? n - 1 : 0;
  c->max_age_ms = max_age_s * 1000;
  if (slots > 0 && !(c->slots = calloc(n, sizeof *c->slots))) {
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void ocspcache_free(ocspcache_t *c) {
  if (!c)
    return;
  for (size_t i = 0; c->slots && i <= c->mask; i++)
    OPENSSL_free(c->slots[i].der);
  free(c->slots);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

/* FNV-1a */
static ocspcache_slot_t *ocspcache_slot(ocspcache_t *c, const unsigned char *key, size_t klen) {
  unsigned long long h = 1469598103934665603ULL;
  for (size_t i = 0; i < klen; i++)
    h = (h ^ key[i]) * 1099511628211ULL;
  return &c->slots[h & c->mask];
}

static int ocspcache_same(const ocspcache_says_t *a, const ocspcache_says_t *b) {
  return a->status == b->status && a->revoked_at == b->revoked_at && a->reason == b->reason &&
         strcmp(a->ca_sha256, b->ca_sha256) == 0;
}

unsigned char *ocspcache_get(ocspcache_t *c, const unsigned char *key, size_t klen,
                             const ocspcache_says_t *says, int *len) {
  ocspcache_slot_t *s;
  unsigned char *out = NULL;
  if (!c || !c->slots || klen > OCSPCACHE_KEY_MAX)
    return NULL;
  s = ocspcache_slot(c, key, klen);
  pthread_mutex_lock(&c->mu);
  if (s->der && s->klen == klen && memcmp(s->key, key, klen) == 0 &&
      ocspcache_same(&s->says, says) && clock_now_ms() - s->made_ms < c->max_age_ms &&
      (out = OPENSSL_malloc((size_t)s->len)) != NULL) {
    memcpy(out, s->der, (size_t)s->len);
    *len = s->len;
  }
  pthread_mutex_unlock(&c->mu);
  return out;
}

void ocspcache_put(ocspcache_t *c, const unsigned char *key, size_t klen,
                   const ocspcache_says_t *says, const unsigned char *der, int len) {
  ocspcache_slot_t *s;
  unsigned char *copy, *old;
  if (!c || !c->slots || klen > OCSPCACHE_KEY_MAX || len <= 0 ||
      !(copy = OPENSSL_malloc((size_t)len)))
    return;
  memcpy(copy, der, (size_t)len);
  s = ocspcache_slot(c, key, klen);
  pthread_mutex_lock(&c->mu);
  old = s->der;
  memcpy(s->key, key, klen);
  s->klen = klen;
  s->says = *says;
  s->made_ms = clock_now_ms();
  s->der = copy;
  s->len = len;
  pthread_mutex_unlock(&c->mu);
  OPENSSL_free(old);
}
