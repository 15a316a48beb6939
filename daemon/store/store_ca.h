#ifndef PCAD_STORE_CA_H
#define PCAD_STORE_CA_H
/* The certificate_authorities table, its tags and the key destroy queue. */
#include <stddef.h>

#include "store/store.h"

/* One CA row (text columns NULL where NULL). Timestamps are epoch seconds
 * with a fraction. */
typedef struct store_ca {
  char *id, *arn, *account_id, *type, *status, *status_before_deletion, *failure_reason;
  char *usage_mode, *key_storage_security_standard, *ca_config, *revocation_config;
  char *csr_pem, *chain_pem, *serial;
  char *created_at, *last_state_change_at, *not_before, *not_after, *restorable_until;
  unsigned char *cert_der;
  size_t cert_len;
  unsigned char key_id[16];
  int has_key;
  int restorable; /* DELETED and restorable_until still ahead */
} store_ca_t;

typedef struct {
  const char *id, *arn, *account_id, *region, *type, *usage_mode;
  const char *key_storage_security_standard, *ca_config, *revocation_config;
} store_ca_new_t;

typedef struct {
  char *key;
  char *value; /* NULL: no value */
} store_tag_t;

void store_ca_clear(store_ca_t *c);
/* A deep copy (store_ca_clear it): 0, or -1 out of memory (to cleared). */
int store_ca_dup(const store_ca_t *from, store_ca_t *to);
void store_ca_free(store_ca_t *rows, int n);

/* The account's CAs in creation order after cursor (NULL: from the start),
 * at most limit. *next is a cursor for the rest, or NULL when none is left.
 * shared: instead the other accounts' CAs whose resource policy mentions
 * the account (the caller checks that it names it). */
int store_ca_list(store_t *s, const char *account, int shared, const char *cursor, int limit,
                  store_ca_t **rows, int *nrows, char **next, err_t *e);
#define STORE_LOCK_NONE 0
#define STORE_LOCK_UPDATE 1 /* state changes */
#define STORE_LOCK_SHARE 2  /* issuance: the state must hold until commit */
/* The CA with this ARN owned by account: 0 found, 1 not found, -1 error.
 * lock: STORE_LOCK_* (inside the caller's transaction). */
int store_ca_get(store_t *s, const char *account, const char *arn, int lock, store_ca_t *out,
                 err_t *e);
/* Every CA (any account) whose OCSP is enabled and that has a certificate
 * and a key, for the OCSP responder to find an issuer among. */
int store_ca_ocsp(store_t *s, store_ca_t **rows, int *nrows, err_t *e);
/* fn for each CA with a certificate (not DELETED): its id and notAfter. */
int store_ca_expiries(store_t *s, void (*fn)(const char *ca_id, long long not_after, void *arg),
                      void *arg, err_t *e);
/* What one OCSP answer needs, in one round trip whatever the number of
 * serials: whether the CA still answers OCSP (as store_ca_ocsp selects
 * them), the SHA-256 of its certificate (lower-case hex), and the row of
 * each serial asked for. */
typedef struct {
  int found;            /* the serial has a row */
  char status[16];      /* PENDING, ISSUED, FAILED */
  long long revoked_at; /* epoch seconds, -1 when not revoked */
  char reason[40];
} store_ocsp_cert_t;
typedef struct {
  int answers;
  char cert_sha256[65];
} store_ocsp_t;
/* serials: n of them (lower-case hex, as certificates.serial holds them;
 * no commas), n >= 1; certs[i] is what the database says of serials[i].
 * 0, or 1 when there is no such CA. */
int store_ca_ocsp_check(store_t *s, const char *ca_id, const char *const *serials, int n,
                        store_ocsp_t *out, store_ocsp_cert_t *certs, err_t *e);
/* A CA's resource policy by ARN, whoever owns it: 0 (*policy malloc'ed,
 * NULL when it has none; *owner its account), or 1 when there is no such
 * CA. */
int store_ca_policy(store_t *s, const char *arn, char **policy, char owner[13], err_t *e);
/* Sets (text) or removes (NULL) the CA's resource policy. */
int store_ca_set_policy(store_t *s, const char *id, const char *text, err_t *e);
/* CAs of the account that still exist (any status). */
int store_ca_count(store_t *s, const char *account, long *n, err_t *e);
/* Serializes creations of one account (transaction-scoped). */
int store_ca_lock_account(store_t *s, const char *account, err_t *e);
int store_ca_insert(store_t *s, const store_ca_new_t *n, err_t *e);

int store_ca_set_status(store_t *s, const char *id, const char *status, err_t *e);
int store_ca_mark_deleted(store_t *s, const char *id, int days, err_t *e);
int store_ca_restore(store_t *s, const char *id, err_t *e);
int store_ca_set_revocation(store_t *s, const char *id, const char *json, err_t *e);
int store_ca_set_certificate(store_t *s, const char *id, const unsigned char *der, size_t len,
                             const char *chain_pem, const char *serial, long long not_before,
                             long long not_after, const char *status, err_t *e);
/* Removes the row (tags go with it) and queues its key for destruction. */
int store_ca_remove(store_t *s, const char *id, const char *arn, err_t *e);

/* Janitor: claims one CA in CREATING whose key nobody is making (or whose
 * maker went quiet); 1 claimed, 0 none. Commits the claim. */
int store_ca_claim_creating(store_t *s, store_ca_t *out, err_t *e);
/* CREATING -> PENDING_CERTIFICATE with the key and CSR. 1 done, 0 when the
 * CA is no longer CREATING (deleted meanwhile). */
int store_ca_set_key(store_t *s, const char *id, const unsigned char key_id[16],
                     const char *csr_pem, err_t *e);
int store_ca_set_failed(store_t *s, const char *id, const char *reason, err_t *e);
/* A key that could not be made yet: the claim released for the next round,
 * 1, unless the CA was created more than give_up_s ago (or is no longer
 * CREATING): 0, nothing changed. */
int store_ca_keygen_later(store_t *s, const char *id, int give_up_s, err_t *e);
/* The token key (CKA_ID) of every CA that has one, any state: *ids holds
 * *n times 16 bytes (free it). 0, or -1. */
int store_ca_key_ids(store_t *s, unsigned char **ids, int *n, err_t *e);
/* Inside a transaction: locks one DELETED CA past its window; 1, or 0. */
int store_ca_next_purge(store_t *s, store_ca_t *out, err_t *e);
/* ACTIVE/DISABLED CAs whose certificate has run out become EXPIRED; their
 * ARNs are returned (malloc'ed array of malloc'ed strings). */
int store_ca_expire(store_t *s, char ***arns, int *n, err_t *e);
/* Inside a transaction: the oldest key waiting to be destroyed, taken off
 * the queue (row-locked: other transactions skip it); 1, or 0 when none. */
int store_key_destroy_claim(store_t *s, char **label, char **arn, err_t *e);

/* Tags (in the caller's transaction where they change). */
int store_tag_count(store_t *s, const char *ca_id, long *n, err_t *e);
int store_tag_put(store_t *s, const char *ca_id, const char *key, const char *value, err_t *e);
/* value NULL: whatever the value; else only on a match. */
int store_tag_remove(store_t *s, const char *ca_id, const char *key, const char *value, err_t *e);
int store_tag_list(store_t *s, const char *ca_id, const char *cursor, int limit,
                   store_tag_t **tags, int *n, char **next, err_t *e);
void store_tag_free(store_tag_t *tags, int n);

#endif
