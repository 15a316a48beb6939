#ifndef PCAD_STORE_CRL_H
#define PCAD_STORE_CRL_H
/* The crls table, and the revocations a CRL lists. */
#include <stddef.h>

#include "store/store.h"

/* A CA whose CRL is due, with what building one needs. */
typedef struct {
  char *id, *arn, *account, *revocation_config;
  long long revocations; /* the counter as read: the CRL has seen these */
  char *partition;       /* NULL: the complete CRL */
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
  char *acl; /* S3ObjectAcl of the configuration it was built for */
} store_crl_head_t;

/* CRLs to make: of CAs with the CRL enabled (ACTIVE or DISABLED, with a
 * certificate), the complete CRL and each partition's, whose newest CRL is
 * missing, belongs at another target than `bucket/key` of
 * the configuration, is past half its life, or has not seen a revocation
 * made more than delay_s ago. At most 16. */
MUST_CHECK
int store_crl_due(store_t *s, long delay_s, store_crl_due_t **out, int *n, err_t *e);
void store_crl_due_free(store_crl_due_t *v, int n);
/* Inside a transaction: 1 when this session is the CA's only CRL writer
 * until commit (a transaction-level advisory lock), 0 when another is. */
MUST_CHECK
int store_crl_lock(store_t *s, const char *ca_id, err_t *e);
/* The CA's revoked certificates (of one partition, unless NULL) that have
 * not expired more than grace_s ago, by serial. */
MUST_CHECK
int store_crl_entries(store_t *s, const char *ca_id, const char *partition, long grace_s,
                      store_crl_entry_t **out, int *n, err_t *e);
void store_crl_entries_free(store_crl_entry_t *v, int n);
/* The CA's next CRL number: above its newest, at least now in epoch ms. */
MUST_CHECK
int store_crl_next_number(store_t *s, const char *ca_id, char num[32], err_t *e);
/* A CRL to store. */
typedef struct {
  const char *ca_id, *partition, *number, *target;
  long long this_update, next_update, revocations;
  const unsigned char *der;
  size_t len;
} store_crl_new_t;
/* Stores a CRL; older ones (of its CA and partition) than the newest two
 * are dropped. */
MUST_CHECK
int store_crl_insert(store_t *s, const store_crl_new_t *c, err_t *e);
/* The newest CRL (complete and of each partition) of every CA whose CRL
 * is enabled. */
MUST_CHECK
int store_crl_heads(store_t *s, store_crl_head_t **out, int *n, err_t *e);
void store_crl_heads_free(store_crl_head_t *v, int n);
/* One CRL's DER (malloc'ed). 0, or 1 when there is none. */
MUST_CHECK
int store_crl_der(store_t *s, const char *ca_id, const char *number, unsigned char **der,
                  size_t *len, err_t *e);
/* The revoking transaction counts itself (the CA row, FOR UPDATE), and in
 * the certificate's partition when it has one. */
MUST_CHECK
int store_crl_count_revocation(store_t *s, const char *ca_id, const char *serial, err_t *e);
/* The partition a new certificate of the CA goes to (see
 * sql/0005_crl_partitions.sql): out[37], a UUID. */
MUST_CHECK
int store_crl_partition_next(store_t *s, const char *ca_id, long size, char out[37], err_t *e);

#endif
