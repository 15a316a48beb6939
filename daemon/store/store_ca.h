#ifndef PCAD_STORE_CA_H
#define PCAD_STORE_CA_H
/* The certificate_authorities table (its tags: store_tag.h; the keys
 * waiting to be destroyed: store_key.h). */
#include <stddef.h>

#include "store/store.h"
#include "store/store_cert.h"

/* The CA row's text columns in SELECT order, X(member, SQL expression):
 * NULL where NULL, timestamps as epoch seconds with a fraction. The
 * struct's members, the column list, fill, clear and dup are made from it
 * (store_ca.c); a new column is a line here, and one in core/ca.h's
 * CA_INFO_FIELDS when DescribeCertificateAuthority shows it. */
#define STORE_CA_TEXTS(X)                                                      \
  X(id, "id::text")                                                            \
  X(arn, "arn")                                                                \
  X(account_id, "account_id")                                                  \
  X(type, "type")                                                              \
  X(status, "status")                                                          \
  X(status_before_deletion, "status_before_deletion")                          \
  X(failure_reason, "failure_reason")                                          \
  X(usage_mode, "usage_mode")                                                  \
  X(key_storage_security_standard, "key_storage_security_standard")            \
  X(ca_config, "ca_config::text")                                              \
  X(revocation_config, "revocation_config::text")                              \
  X(csr_pem, "csr_pem")                                                        \
  X(chain_pem, "certificate_chain_pem")                                        \
  X(serial, "serial")                                                          \
  X(created_at, "extract(epoch from created_at)::text")                        \
  X(last_state_change_at, "extract(epoch from last_state_change_at)::text")    \
  X(not_before, "extract(epoch from not_before)::text")                        \
  X(not_after, "extract(epoch from not_after)::text")                          \
  X(restorable_until, "extract(epoch from restorable_until)::text")

/* One CA row: its text columns, then the binary ones. */
typedef struct store_ca {
#define STORE_CA_MEMBER(member, sql) char *member;
  STORE_CA_TEXTS(STORE_CA_MEMBER)
#undef STORE_CA_MEMBER
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

void store_ca_clear(store_ca_t *c);
/* A deep copy (store_ca_clear it): 0, or -1 out of memory (to cleared). */
int store_ca_dup(const store_ca_t *from, store_ca_t *to);
void store_ca_free(store_ca_t *rows, int n);

/* The account's CAs in creation order after cursor (NULL: from the start),
 * at most limit. *next is a cursor for the rest, or NULL when none is left.
 * shared: instead the other accounts' CAs whose resource policy mentions
 * the account (the caller checks that it names it). */
MUST_CHECK
int store_ca_list(store_t *s, const char *account, int shared, const char *cursor, int limit,
                  store_ca_t **rows, int *nrows, char **next, err_t *e);
#define STORE_LOCK_NONE 0
#define STORE_LOCK_UPDATE 1 /* state changes */
#define STORE_LOCK_SHARE 2  /* issuance: the state must hold until commit */
/* The CA with this ARN owned by account: 1 found, 0 not found, -1 error.
 * lock: STORE_LOCK_* (inside the caller's transaction). */
MUST_CHECK
int store_ca_get(store_t *s, const char *account, const char *arn, int lock, store_ca_t *out,
                 err_t *e);
/* Every CA (any account) whose OCSP is enabled and that has a certificate
 * and a key, for the OCSP responder to find an issuer among. */
MUST_CHECK
int store_ca_ocsp(store_t *s, store_ca_t **rows, int *nrows, err_t *e);
/* fn for each CA with a certificate (not DELETED): its id and notAfter. */
MUST_CHECK
int store_ca_expiries(store_t *s, void (*fn)(const char *ca_id, long long not_after, void *arg),
                      void *arg, err_t *e);
/* What one OCSP answer needs, in one round trip whatever the number of
 * serials: whether the CA still answers OCSP (as store_ca_ocsp selects
 * them), the SHA-256 of its certificate (lower-case hex), and the row of
 * each serial asked for. */
typedef struct {
  int found;            /* the serial has a row */
  cert_state_t status;
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
MUST_CHECK
int store_ca_ocsp_check(store_t *s, const char *ca_id, const char *const *serials, int n,
                        store_ocsp_t *out, store_ocsp_cert_t *certs, err_t *e);
/* A CA's resource policy by ARN, whoever owns it: 0 (*policy malloc'ed,
 * NULL when it has none; *owner its account), or 1 when there is no such
 * CA. */
MUST_CHECK
int store_ca_policy(store_t *s, const char *arn, char **policy, char owner[13], err_t *e);
/* Sets (text) or removes (NULL) the CA's resource policy. */
MUST_CHECK
int store_ca_set_policy(store_t *s, const char *id, const char *text, err_t *e);
/* CAs of the account that still exist (any status). */
MUST_CHECK
int store_ca_count(store_t *s, const char *account, long *n, err_t *e);
/* Serializes creations of one account (transaction-scoped). */
MUST_CHECK
int store_ca_lock_account(store_t *s, const char *account, err_t *e);
MUST_CHECK
int store_ca_insert(store_t *s, const store_ca_new_t *n, err_t *e);

MUST_CHECK
int store_ca_set_status(store_t *s, const char *id, const char *status, err_t *e);
MUST_CHECK
int store_ca_mark_deleted(store_t *s, const char *id, int days, err_t *e);
MUST_CHECK
int store_ca_restore(store_t *s, const char *id, err_t *e);
MUST_CHECK
int store_ca_set_revocation(store_t *s, const char *id, const char *json, err_t *e);
MUST_CHECK
int store_ca_set_certificate(store_t *s, const char *id, const unsigned char *der, size_t len,
                             const char *chain_pem, const char *serial, long long not_before,
                             long long not_after, const char *status, err_t *e);
/* Removes the row (tags go with it) and queues its key for destruction. */
MUST_CHECK
int store_ca_remove(store_t *s, const char *id, const char *arn, err_t *e);

/* Janitor: claims one CA in CREATING whose key nobody is making (or whose
 * maker went quiet); 1 claimed, 0 none. Commits the claim. */
MUST_CHECK
int store_ca_claim_creating(store_t *s, store_ca_t *out, err_t *e);
/* CREATING -> PENDING_CERTIFICATE with the key and CSR. 1 done, 0 when the
 * CA is no longer CREATING (deleted meanwhile). */
MUST_CHECK
int store_ca_set_key(store_t *s, const char *id, const unsigned char key_id[16],
                     const char *csr_pem, err_t *e);
MUST_CHECK
int store_ca_set_failed(store_t *s, const char *id, const char *reason, err_t *e);
/* A key that could not be made yet: the claim released for the next round,
 * 1, unless the CA was created more than give_up_s ago (or is no longer
 * CREATING): 0, nothing changed. */
MUST_CHECK
int store_ca_keygen_later(store_t *s, const char *id, int give_up_s, err_t *e);
/* The token key (CKA_ID) of every CA that has one, any state: *ids holds
 * *n times 16 bytes (free it). 0, or -1. */
MUST_CHECK
int store_ca_key_ids(store_t *s, unsigned char **ids, int *n, err_t *e);
/* Inside a transaction: locks one DELETED CA past its window; 1, or 0. */
MUST_CHECK
int store_ca_next_purge(store_t *s, store_ca_t *out, err_t *e);
/* ACTIVE/DISABLED CAs whose certificate has run out become EXPIRED; their
 * ARNs are returned (malloc'ed array of malloc'ed strings). */
MUST_CHECK
int store_ca_expire(store_t *s, char ***arns, int *n, err_t *e);
#endif
