#include "core/cacache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACACHE_SLOTS 256 /* direct-mapped by the CA id: 200 CAs per account */

typedef struct {
  char id[40];
  unsigned char *der;
  size_t len;
  X509 *x;
} cacache_slot_t;

static pthread_mutex_t cacache_mu = PTHREAD_MUTEX_INITIALIZER;
static cacache_slot_t cacache_slots[CACACHE_SLOTS];

static cacache_slot_t *cacache_slot(const char *id) {
  unsigned h = 2166136261u; /* FNV-1a */
  for (const char *p = id; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  return &cacache_slots[h % CACACHE_SLOTS];
}

static void cacache_drop(cacache_slot_t *s) {
  X509_free(s->x);
  free(s->der);
  memset(s, 0, sizeof *s);
}

/* Under the lock: the slot's certificate when it is id's and of der. */
static X509 *cacache_hit(const cacache_slot_t *s, const char *id, const unsigned char *der,
                         size_t len) {
  if (!s->x || strcmp(s->id, id) != 0 || s->len != len || memcmp(s->der, der, len) != 0)
    return NULL;
  return X509_up_ref(s->x) ? s->x : NULL;
}

X509 *cacache_get(const char *ca_id, const unsigned char *der, size_t len) {
  cacache_slot_t *s = cacache_slot(ca_id);
  const unsigned char *q = der;
  X509 *x;
  unsigned char *copy;
  pthread_mutex_lock(&cacache_mu);
  x = cacache_hit(s, ca_id, der, len);
  pthread_mutex_unlock(&cacache_mu);
  if (x || !der)
    return x;
  /* parsed outside the lock; a concurrent miss just parses twice */
  if (!(x = d2i_X509(NULL, &q, (long)len)) || q != der + len) {
    X509_free(x);
    return NULL;
  }
  if (strlen(ca_id) >= sizeof s->id)
    return x;
  copy = malloc(len);
  if (!copy || !X509_up_ref(x)) {
    free(copy);
    return x;
  }
  memcpy(copy, der, len);
  pthread_mutex_lock(&cacache_mu);
  cacache_drop(s);
  snprintf(s->id, sizeof s->id, "%s", ca_id);
  s->der = copy;
  s->len = len;
  s->x = x;
  pthread_mutex_unlock(&cacache_mu);
  return x;
}

void cacache_flush(void) {
  pthread_mutex_lock(&cacache_mu);
  for (int i = 0; i < CACACHE_SLOTS; i++)
    cacache_drop(&cacache_slots[i]);
  pthread_mutex_unlock(&cacache_mu);
}
