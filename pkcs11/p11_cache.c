/* The CA keys, each found once: keyed by CKA_ID, dropped on a signing
 * failure, on destroy and at a rebuild, and found again on the next use. */
#include <stdlib.h>
#include <string.h>

#include "p11_priv.h"

static unsigned p11_cache_slot(const unsigned char *id) {
  unsigned h = 2166136261u; /* FNV-1a */
  for (int i = 0; i < P11_ID_LEN; i++)
    h = (h ^ id[i]) * 16777619u;
  return h % P11_BUCKETS;
}

static void p11_entry_free(p11_entry_t *en) {
  EVP_PKEY_free(en->priv);
  EVP_PKEY_free(en->pub);
  free(en);
}

/* The entry's keys, up-ref'ed; 0 when id is cached. */
static int p11_cache_find(p11_t *p, const unsigned char *id, EVP_PKEY **priv, EVP_PKEY **pub) {
  int found = -1;
  pthread_rwlock_rdlock(&p->cache.mu);
  for (p11_entry_t *en = p->cache.bucket[p11_cache_slot(id)]; en; en = en->next)
    if (memcmp(en->id, id, P11_ID_LEN) == 0) {
      if (priv && EVP_PKEY_up_ref(en->priv))
        *priv = en->priv;
      if (pub && EVP_PKEY_up_ref(en->pub))
        *pub = en->pub;
      found = 0;
      break;
    }
  pthread_rwlock_unlock(&p->cache.mu);
  return found;
}

/* Finds the key in the token: attributes checked (custody rules), the
 * public key read, the engine's private key loaded. */
static p11_entry_t *p11_cache_load(p11_t *p, const unsigned char *id, p11_err_t *e) {
  p11_entry_t *en = calloc(1, sizeof *en);
  CK_SESSION_HANDLE s;
  int ok;
  if (!en) {
    p11_err_set(e, P11_EFAIL, "out of memory");
    return NULL;
  }
  memcpy(en->id, id, P11_ID_LEN);
  if (p11_session_get(p, &s, e) < 0) {
    free(en);
    return NULL;
  }
  ok = p11_key_check_on(p, s, id, e) == 0;
  p11_session_put(p, s);
  if (!ok || !(en->pub = p11_key_read_public(p, id, e)) ||
      !(en->priv = p11_key_load_private(p, id, e))) {
    p11_entry_free(en);
    return NULL;
  }
  return en;
}

int p11_cache_get(p11_t *p, const unsigned char id[P11_ID_LEN], EVP_PKEY **priv,
                  EVP_PKEY **pub, p11_err_t *e) {
  p11_entry_t *en, **head;
  int rc;
  if (p11_cache_find(p, id, priv, pub) == 0)
    return 0;
  /* loads one at a time (obj_mu), so a key is loaded once: the thread
   * that waited finds it cached */
  pthread_mutex_lock(&p->obj_mu);
  if ((rc = p11_cache_find(p, id, priv, pub)) != 0 && (en = p11_cache_load(p, id, e))) {
    pthread_rwlock_wrlock(&p->cache.mu);
    head = &p->cache.bucket[p11_cache_slot(id)];
    en->next = *head;
    *head = en;
    pthread_rwlock_unlock(&p->cache.mu);
    rc = p11_cache_find(p, id, priv, pub);
  }
  pthread_mutex_unlock(&p->obj_mu);
  return rc;
}

int p11_cache_get_public(p11_t *p, const unsigned char id[P11_ID_LEN], EVP_PKEY **pub) {
  return p11_cache_find(p, id, NULL, pub);
}

/* Frees the entries of buckets [from, to) that keep() refuses; how many
 * stay. */
static int p11_cache_sweep(p11_t *p, unsigned from, unsigned to,
                           int (*keep)(const p11_t *p, const unsigned char *id, const void *arg),
                           const void *arg) {
  int kept = 0;
  pthread_rwlock_wrlock(&p->cache.mu);
  for (unsigned b = from; b < to; b++) {
    p11_entry_t **pp = &p->cache.bucket[b];
    while (*pp) {
      p11_entry_t *en = *pp;
      if (keep(p, en->id, arg)) {
        kept++;
        pp = &en->next;
        continue;
      }
      *pp = en->next;
      p11_entry_free(en);
    }
  }
  pthread_rwlock_unlock(&p->cache.mu);
  return kept;
}

typedef struct {
  const unsigned char *ids;
  int n;
} p11_idset_t;

static int p11_keep_listed(const p11_t *p, const unsigned char *id, const void *arg) {
  const p11_idset_t *set = arg;
  if (memcmp(id, p->probe_id, P11_ID_LEN) == 0)
    return 1;
  for (int i = 0; i < set->n; i++)
    if (memcmp(id, set->ids + (size_t)i * P11_ID_LEN, P11_ID_LEN) == 0)
      return 1;
  return 0;
}

/* arg: the id to drop, or NULL to drop every key */
static int p11_keep_other(const p11_t *p, const unsigned char *id, const void *arg) {
  (void)p;
  return arg && memcmp(id, arg, P11_ID_LEN) != 0;
}

int p11_forget_others(p11_t *p, const unsigned char *ids, int n) {
  p11_idset_t set = {ids, n};
  return p11_cache_sweep(p, 0, P11_BUCKETS, p11_keep_listed, &set);
}

void p11_cache_drop(p11_t *p, const unsigned char *id) {
  unsigned b = id ? p11_cache_slot(id) : 0;
  p11_cache_sweep(p, b, id ? b + 1 : P11_BUCKETS, p11_keep_other, id);
}
