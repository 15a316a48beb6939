#ifndef PCAD_STORE_CRL_H
#define PCAD_STORE_CRL_H
/* The crls table, and the revocations a CRL lists. */
#include <stddef.h>

#include "store/store.h"

/* A CA whose CRL is due, with what building one needs. */
typedef struct {
  char *id, *arn, *account, *revocation_config;
  long long revocations; /* the counter as read: the CRL has seen these */
} store_crl_due_t;

/* One entry of a CRL. */
typedef struct {
  char *serial; /* lower-case hex */
  long long revoked_at;
  char *reason;
} store_crl_entry_t;

/* The newest CRL of a CA, for the writer. */
typedef struct {
  char *ca_id, *number, *target;
} store_crl_head_t;

/* CAs with the CRL enabled (ACTIVE or DISABLED, with a certificate) whose
 * newest CRL is missing, belongs at another target than `bucket/key` of
 * the configuration, is past half its life, or has not seen a revocation
 * made more than delay_s ago. At most 16. */
int store_crl_due(store_t *s, long delay_s, store_crl_due_t **out, int *n, err_t *e);
void store_crl_due_free(store_crl_due_t *v, int n);
/* Inside a transaction: 1 when this session is the CA's only CRL writer
 * until commit (a transaction-level advisory lock), 0 when another is. */
int store_crl_lock(store_t *s, const char *ca_id, err_t *e);
/* The CA's revoked certificates that have not expired more than
 * grace_s ago, by serial. */
int store_crl_entries(store_t *s, const char *ca_id, long grace_s, store_crl_entry_t **out,
                      int *n, err_t *e);
void store_crl_entries_free(store_crl_entry_t *v, int n);
/* The CA's next CRL number: above its newest, at least now in epoch ms. */
int store_crl_next_number(store_t *s, const char *ca_id, char num[32], err_t *e);
/* Stores a CRL; older ones than the newest two are dropped. */
int store_crl_insert(store_t *s, const char *ca_id, const char *number, long long this_update,
                     long long next_update, long long revocations, const char *target,
                     const unsigned char *der, size_t len, err_t *e);
/* The newest CRL of every CA whose CRL is enabled. */
int store_crl_heads(store_t *s, store_crl_head_t **out, int *n, err_t *e);
void store_crl_heads_free(store_crl_head_t *v, int n);
/* One CRL's DER (malloc'ed). 0, or 1 when there is none. */
int store_crl_der(store_t *s, const char *ca_id, const char *number, unsigned char **der,
                  size_t *len, err_t *e);
/* The revoking transaction counts itself (the CA row, FOR UPDATE). */
int store_crl_count_revocation(store_t *s, const char *ca_id, err_t *e);

#endif
