#ifndef PCAD_P11_PRIV_H
#define PCAD_P11_PRIV_H
/* Inside pkcs11/ only: the context, its parts and the key-algorithm table.
 *
 * Locks, outermost first: life (read: any use of the token; write: a
 * rebuild), then obj_mu, then the session pool's mu, the cache's mu and
 * the sign queue's mu, each held only for a moment. No lock is held
 * across a PKCS#11 call except life (read) and obj_mu. */
#include <p11-kit/pkcs11.h>
#include <openssl/engine.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "p11.h"

#define P11_SESSIONS 4     /* our own sessions: key generation, reads, destroy */
#define P11_BUCKETS 256    /* key cache hash buckets */
#define P11_PROBE_LABEL "pcad-probe"

/* One CA key, found once: the engine's handle and a software public key. */
typedef struct p11_entry {
  struct p11_entry *next;
  unsigned char id[P11_ID_LEN];
  EVP_PKEY *priv;
  EVP_PKEY *pub;
} p11_entry_t;

typedef struct p11_job p11_job_t;

/* p11_state.c: quarantine and recovery (mu guards why and the backoff). */
typedef struct {
  pthread_mutex_t mu;
  atomic_int broken;      /* quarantined: every use fails fast until rebuilt */
  atomic_int pin_refused; /* a login failed with a PIN error: never again */
  long long next_try_ms;
  long backoff_ms;
  char why[256];
} p11_state_t;

/* p11_session.c: our own sessions (mu, cv guard the free list). */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  CK_SESSION_HANDLE h[P11_SESSIONS];
  int n, nfree;
  CK_SESSION_HANDLE free[P11_SESSIONS];
} p11_sessions_t;

/* p11_cache.c: the keys found, by CKA_ID. */
typedef struct {
  pthread_rwlock_t mu;
  p11_entry_t *bucket[P11_BUCKETS];
} p11_cache_t;

/* p11_sign.c: the signing threads and their queue. */
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  p11_job_t *head, *tail;
  int len, max, stop, nthreads;
  pthread_t *threads;
} p11_queue_t;

struct p11 {
  /* fixed at open */
  char *module;
  char *pin_file;
  char label[33];
  void *dl;
  CK_FUNCTION_LIST_PTR fl;
  long timeout_ms;
  /* the token's life (p11_token.c): what a rebuild replaces */
  pthread_rwlock_t life;
  int initialized;
  CK_SLOT_ID slot;
  ENGINE *engine;
  unsigned char probe_id[P11_ID_LEN];
  /* One object operation at a time: a key found and loaded, generated or
   * destroyed (signatures are not object operations). libp11 0.4.12
   * caches each key's EVP_PKEY without a lock, so two loads of one key at
   * once lose one of them (leaked); SoftHSM 2.6.1 fails a key generation
   * (CKR_GENERAL_ERROR, CKR_FUNCTION_FAILED), or a search misses the new
   * key, when another thread searches the token's objects meanwhile. */
  pthread_mutex_t obj_mu;
  p11_state_t st;
  p11_sessions_t ses;
  p11_cache_t cache;
  p11_queue_t q;
};

typedef struct {
  const char *name; /* AWS KeyAlgorithm */
  CK_KEY_TYPE type;
  CK_ULONG bits;             /* RSA */
  const unsigned char *oid;  /* EC: DER of the curve OID */
  size_t oid_len;
  const char *group;         /* EC: OpenSSL group name */
} p11_alg_t;

extern const p11_alg_t p11_alg_table[];
extern const size_t p11_alg_count;
/* The AWS KeyAlgorithm's entry, or NULL. */
const p11_alg_t *p11_alg_find(const char *name);

/* p11_err.c: the CKR_* value the engine left on OpenSSL's error queue
 * (0 when none), the queue cleared. */
unsigned long p11_err_engine_rv(void);
/* 1 when rv says the token, its sessions or the login are gone. */
int p11_err_rv_broken(unsigned long rv);

/* p11_state.c: the clock, and the quarantine. */
#define P11_BACKOFF_MIN_MS 500
#define P11_BACKOFF_MAX_MS 4000
long long p11_now_ms(void);
/* The CLOCK_MONOTONIC time ms from now, for timed waits. */
struct timespec p11_deadline(long ms);
/* P11_EDOWN with why the signer is quarantined; -1. */
int p11_down_err(p11_t *p, p11_err_t *e);
/* Quarantines the signer (first why kept); the next p11_check rebuilds. */
void p11_quarantine(p11_t *p, const char *why);

/* p11_session.c: one of our sessions, waiting at most timeout_ms. */
P11_MUST_CHECK
int p11_session_get(p11_t *p, CK_SESSION_HANDLE *h, p11_err_t *e);
void p11_session_put(p11_t *p, CK_SESSION_HANDLE h);
P11_MUST_CHECK
int p11_session_open_all(p11_t *p, p11_err_t *e);
void p11_session_forget_all(p11_t *p);
/* fn(p, s, arg, e) on one of our sessions, with life (read) and obj_mu held
 * (one object operation at a time, SoftHSM's rule); fn's result, or -1
 * when the signer is quarantined or no session is free. */
typedef int (*p11_session_fn)(p11_t *p, CK_SESSION_HANDLE s, const void *arg, p11_err_t *e);
P11_MUST_CHECK
int p11_session_locked(p11_t *p, p11_session_fn fn, const void *arg, p11_err_t *e);

/* p11_key.c: the one object of class cls with CKA_ID id (or with label,
 * id NULL) on session s; CK_INVALID_HANDLE when none, or when the token
 * failed (*rv not CKR_OK; a token that is gone is quarantined). */
CK_OBJECT_HANDLE p11_key_find(p11_t *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                              const unsigned char *id, const char *label, CK_RV *rv);
/* The private key's attributes as the custody rules want them: 0, or -1. */
P11_MUST_CHECK
int p11_key_check_on(p11_t *p, CK_SESSION_HANDLE s, const unsigned char id[P11_ID_LEN],
                     p11_err_t *e);
/* The public key read from the token, the engine's private key. */
P11_MUST_CHECK
EVP_PKEY *p11_key_read_public(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e);
P11_MUST_CHECK
EVP_PKEY *p11_key_load_private(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e);
/* Destroys the objects labelled label on session s, calling gone(p, id)
 * for each key as its object goes (by its CKA_ID). How many, or -1. */
P11_MUST_CHECK
int p11_key_destroy_on(p11_t *p, CK_SESSION_HANDLE s, const char *label,
                       void (*gone)(p11_t *p, const unsigned char *id), p11_err_t *e);

/* p11_cache.c: the entry for id, loaded on a miss; its keys up-ref'ed
 * into *priv and *pub (either may be NULL). Caller holds life (read). */
P11_MUST_CHECK
int p11_cache_get(p11_t *p, const unsigned char id[P11_ID_LEN], EVP_PKEY **priv,
                  EVP_PKEY **pub, p11_err_t *e);
void p11_cache_drop(p11_t *p, const unsigned char *id); /* id NULL: all */
/* The public key of id when it is cached (no token call): 0, else -1. */
int p11_cache_get_public(p11_t *p, const unsigned char id[P11_ID_LEN], EVP_PKEY **pub);

/* p11_keygen.c: generates on session s; caller holds obj_mu or life
 * for writing. */
P11_MUST_CHECK
int p11_keygen_on(p11_t *p, CK_SESSION_HANDLE s, const char *key_algorithm, const char *label,
                  unsigned char id[P11_ID_LEN], p11_err_t *e);
/* The CKA_ID of the private key labelled label: 1, 0 when there is
 * none, -1 (e set) on a token error or an ID that is not 16 bytes. */
P11_MUST_CHECK
int p11_key_labelled_on(p11_t *p, CK_SESSION_HANDLE s, const char *label,
                        unsigned char id[P11_ID_LEN], p11_err_t *e);

/* p11_sign.c: the signing threads. */
P11_MUST_CHECK
int p11_sign_start(p11_t *p, int threads, p11_err_t *e);
/* Stops them; -1 when one is still inside the token after 2 s (a hung
 * token): then nothing of the token may be freed. */
int p11_sign_stop(p11_t *p);

/* p11_token.c: loads the module (once, at open); brings the token up
 * (initialize, find, sessions, one login, the engine, the probe key) and
 * down again. Callers hold life for writing. */
P11_MUST_CHECK
int p11_token_load(p11_t *p, p11_err_t *e);
P11_MUST_CHECK
int p11_token_up(p11_t *p, p11_err_t *e);
void p11_token_down(p11_t *p);

#endif
