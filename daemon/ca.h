#ifndef PCAD_CA_H
#define PCAD_CA_H
/* Certificate authorities: the lifecycle rules above the store and the
 * token. Each state change is one transaction with the CA row locked. */
#include <jansson.h>

#include "ctx.h"
#include "err.h"
#include "store_ca.h"

/* CreateCertificateAuthority: validates, records the CA in CREATING (or
 * returns the ARN an IdempotencyToken already got), wakes the janitor to
 * make the key. *arn is malloc'ed. */
int ca_create(const ctx_t *c, const json_t *in, char **arn, err_t *e);
/* The CA as an API CertificateAuthority object. */
int ca_describe(const ctx_t *c, const char *arn, json_t **out, err_t *e);
/* The account's CAs in creation order after cursor; *next for the rest. */
int ca_list(const ctx_t *c, const char *cursor, int limit, json_t **cas, char **next, err_t *e);
int ca_update(const ctx_t *c, const char *arn, const json_t *in, err_t *e);
int ca_delete(const ctx_t *c, const char *arn, int days, err_t *e);
int ca_restore(const ctx_t *c, const char *arn, err_t *e);
int ca_get_csr(const ctx_t *c, const char *arn, char **pem, err_t *e);
/* *chain is NULL for a root. */
int ca_get_certificate(const ctx_t *c, const char *arn, char **cert, char **chain, err_t *e);
int ca_import(const ctx_t *c, const char *arn, const unsigned char *cert, size_t cert_len,
              const unsigned char *chain, size_t chain_len, err_t *e);
/* The caller's CA by ARN: 0, or the errors of a bad (InvalidArnException)
 * or unknown (ResourceNotFoundException) ARN. lock: STORE_LOCK_* inside a
 * transaction. */
int ca_get(const ctx_t *c, const char *arn, int lock, store_ca_t *row, err_t *e);
/* The CA's id (UUID) when arn names an existing CA of the caller's; the
 * errors of a bad or unknown ARN otherwise. lock: inside a transaction,
 * FOR UPDATE. */
int ca_resolve(const ctx_t *c, const char *arn, int lock, char id[37], err_t *e);

/* Janitor work (store and p11 of the janitor thread; account/actor NULL):
 * each returns 1 when it did something, 0 when there was nothing, -1. */
int ca_keygen_next(const ctx_t *c, err_t *e);
int ca_purge_next(const ctx_t *c, err_t *e);
int ca_destroy_next(const ctx_t *c, err_t *e);
int ca_expire_due(const ctx_t *c, err_t *e);

#endif
