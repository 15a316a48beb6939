#ifndef PCAD_CA_H
#define PCAD_CA_H
/* Certificate authorities: the lifecycle rules above the store and the
 * token. Each state change is one transaction with the CA row locked. */
#include "base/err.h"
#include "core/ctx.h"
#include "core/tag.h"
#include "shape/cacfg.h"
#include "shape/revcfg.h"

/* CreateCertificateAuthority, decoded. */
typedef struct {
  const char *type;        /* CertificateAuthorityType */
  const char *usage_mode;  /* NULL: GENERAL_PURPOSE */
  const char *kss;         /* KeyStorageSecurityStandard; NULL: FIPS_140_2_LEVEL_3_OR_HIGHER */
  const char *token;       /* IdempotencyToken, or NULL */
  const cacfg_t *cfg;
  const revcfg_t *rev;     /* NULL: none given */
  const tag_t *tags;
  size_t ntags;
} ca_new_t;

/* What DescribeCertificateAuthority shows of a CA, in its order:
 * X(member, the store_ca_t member it comes from, JSON member, kind), kind
 * str (text), time (epoch seconds as text), json (a document as text) or
 * revcfg (the RevocationConfiguration as stored). ca_info_t, its filling
 * and clearing (ca.c) and its JSON (api/act_ca.c) are made from it. */
#define CA_INFO_FIELDS(X)                                                               \
  X(arn, arn, "Arn", str)                                                               \
  X(owner_account, account_id, "OwnerAccount", str)                                     \
  X(created_at, created_at, "CreatedAt", time)                                          \
  X(last_state_change_at, last_state_change_at, "LastStateChangeAt", time)              \
  X(type, type, "Type", str)                                                            \
  X(serial, serial, "Serial", str)                                                      \
  X(status, status, "Status", str)                                                      \
  X(not_before, not_before, "NotBefore", time)                                          \
  X(not_after, not_after, "NotAfter", time)                                             \
  X(failure_reason, failure_reason, "FailureReason", str)                               \
  X(ca_config, ca_config, "CertificateAuthorityConfiguration", json)                    \
  X(revocation_config, revocation_config, "RevocationConfiguration", revcfg)            \
  X(restorable_until, restorable_until, "RestorableUntil", time)                        \
  X(key_storage_security_standard, key_storage_security_standard,                       \
    "KeyStorageSecurityStandard", str)                                                  \
  X(usage_mode, usage_mode, "UsageMode", str)

/* A CA as DescribeCertificateAuthority shows it; NULL members are absent. */
typedef struct {
#define CA_INFO_MEMBER(member, row, json, kind) char *member;
  CA_INFO_FIELDS(CA_INFO_MEMBER)
#undef CA_INFO_MEMBER
} ca_info_t;

void ca_info_clear(ca_info_t *i);
void ca_info_free(ca_info_t *v, int n);

/* CreateCertificateAuthority: validates, records the CA in CREATING (or
 * returns the ARN an IdempotencyToken already got), wakes the janitor to
 * make the key. *arn is malloc'ed. */
MUST_CHECK
int ca_create(const ctx_t *c, const ca_new_t *n, char **arn, err_t *e);
MUST_CHECK
int ca_describe(const ctx_t *c, const char *arn, ca_info_t *out, err_t *e);
/* The account's CAs (shared: those of other accounts whose resource
 * policy names it) in creation order after cursor; *next for the rest. */
MUST_CHECK
int ca_list(const ctx_t *c, int shared, const char *cursor, int limit, ca_info_t **cas,
            int *ncas, char **next, err_t *e);
/* status (NULL: unchanged) ACTIVE or DISABLED; rev NULL: unchanged. */
MUST_CHECK
int ca_update(const ctx_t *c, const char *arn, const char *status, const revcfg_t *rev,
              err_t *e);
MUST_CHECK
int ca_delete(const ctx_t *c, const char *arn, int days, err_t *e);
MUST_CHECK
int ca_restore(const ctx_t *c, const char *arn, err_t *e);
MUST_CHECK
int ca_get_csr(const ctx_t *c, const char *arn, char **pem, err_t *e);
/* *chain is NULL for a root. */
MUST_CHECK
int ca_get_certificate(const ctx_t *c, const char *arn, char **cert, char **chain, err_t *e);
MUST_CHECK
int ca_import(const ctx_t *c, const char *arn, const unsigned char *cert, size_t cert_len,
              const unsigned char *chain, size_t chain_len, err_t *e);
/* Janitor work (store and p11 of the janitor thread; account/actor NULL):
 * each returns 1 when it did something, 0 when there was nothing, -1. */
MUST_CHECK
int ca_keygen_next(const ctx_t *c, err_t *e);
MUST_CHECK
int ca_purge_next(const ctx_t *c, err_t *e);
MUST_CHECK
int ca_destroy_next(const ctx_t *c, err_t *e);
MUST_CHECK
int ca_expire_due(const ctx_t *c, err_t *e);

#endif
