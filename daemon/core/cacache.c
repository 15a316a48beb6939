#include "core/cacache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

#define CACACHE_SLOTS 256 /* direct-mapped: 200 CAs per account */

typedef struct {
  char *arn;
  char account[13];
  long long read_ms;
  store_ca_t row;
} cacache_row_t;

static pthread_mutex_t cacache_rows_mu = PTHREAD_MUTEX_INITIALIZER;
static cacache_row_t cacache_rows[CACACHE_SLOTS];

typedef struct {
  char id[40];
  unsigned char *der;
  size_t len;
  X509 *x;
} cacache_slot_t;

static pthread_mutex_t cacache_mu = PTHREAD_MUTEX_INITIALIZER;
static cacache_slot_t cacache_slots[CACACHE_SLOTS];

static unsigned cacache_hash(const char *key) {
  unsigned h = 2166136261u; /* FNV-1a */
  for (const char *p = key; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  return h % CACACHE_SLOTS;
}

static cacache_slot_t *cacache_slot(const char *id) { return &cacache_slots[cacache_hash(id)]; }

static void cacache_row_drop(cacache_row_t *r) {
  free(r->arn);
  store_ca_clear(&r->row);
  memset(r, 0, sizeof *r);
}

/* Under the lock: a copy of the slot's row when it is arn's, read for
 * account, and young enough. 0, or -1. */
static int cacache_row_hit(const cacache_row_t *r, const char *arn, const char *account,
                           store_ca_t *out) {
  if (!r->arn || strcmp(r->arn, arn) != 0 || strcmp(r->account, account) != 0 ||
      clock_now_ms() - r->read_ms >= CACACHE_ROW_TTL_MS)
    return -1;
  return store_ca_dup(&r->row, out);
}

int cacache_row_get(const char *arn, const char *account, store_ca_t *out) {
  cacache_row_t *r = &cacache_rows[cacache_hash(arn)];
  int rc;
  if (strlen(account) >= sizeof r->account)
    return -1;
  pthread_mutex_lock(&cacache_rows_mu);
  rc = cacache_row_hit(r, arn, account, out);
  pthread_mutex_unlock(&cacache_rows_mu);
  return rc;
}

void cacache_row_put(const char *arn, const char *account, long long read_ms,
                     const store_ca_t *row) {
  cacache_row_t *r = &cacache_rows[cacache_hash(arn)], fresh;
  memset(&fresh, 0, sizeof fresh);
  fresh.read_ms = read_ms;
  if (strlen(account) >= sizeof r->account || !(fresh.arn = strdup(arn)) ||
      store_ca_dup(row, &fresh.row) < 0) {
    free(fresh.arn);
    return; /* not kept */
  }
  snprintf(fresh.account, sizeof fresh.account, "%s", account);
  pthread_mutex_lock(&cacache_rows_mu);
  cacache_row_drop(r);
  *r = fresh;
  pthread_mutex_unlock(&cacache_rows_mu);
}

void cacache_forget(const char *arn) {
  cacache_row_t *r = &cacache_rows[cacache_hash(arn)];
  pthread_mutex_lock(&cacache_rows_mu);
  if (r->arn && strcmp(r->arn, arn) == 0)
    cacache_row_drop(r);
  pthread_mutex_unlock(&cacache_rows_mu);
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
  pthread_mutex_lock(&cacache_rows_mu);
  for (int i = 0; i < CACACHE_SLOTS; i++)
    cacache_row_drop(&cacache_rows[i]);
  pthread_mutex_unlock(&cacache_rows_mu);
}
