#ifndef PCAD_STORE_CERT_H
#define PCAD_STORE_CERT_H
/* The certificates table. */
#include <stddef.h>

#include "store/store.h"

/* A certificate's state: the certificates.status column, parsed once. */
typedef enum { CERT_PENDING, CERT_ISSUED, CERT_FAILED, CERT_UNKNOWN } cert_state_t;
cert_state_t store_cert_state(const char *text);

typedef struct {
  char *arn, *serial, *revoked_at, *revocation_reason;
  cert_state_t status;
  unsigned char *der;
  size_t der_len;
} store_cert_t;

typedef struct {
  const char *ca_id, *serial, *arn, *template_name, *subject, *requested_by;
  long long not_before, not_after;
  const unsigned char *tbs; /* the certificate to sign, DER */
  size_t tbs_len;
  const char *signing_algorithm;
  const char *crl_partition; /* NULL: the complete CRL lists it */
  /* the CA as the certificate was built on it */
  const char *ca_status;
  const unsigned char *ca_cert; /* NULL: none yet */
  size_t ca_cert_len;
  const char *ca_revocation; /* the revocation configuration's text */
} store_cert_new_t;

/* A PENDING certificate past its deadline, with what finishing it needs. */
typedef struct {
  char *ca_arn, *account, *serial, *arn, *signing_algorithm;
  unsigned char *tbs; /* NULL: rows from before tbs was kept */
  size_t tbs_len;
} store_cert_stale_t;

void store_cert_clear(store_cert_t *c);
/* T1 as one statement: the CA row locked FOR SHARE and still as n says
 * (status, certificate, revocation configuration); the PENDING row, its
 * CRL partition and audit event a. In the caller's transaction when
 * in_tx; otherwise durably committed on return, possibly in a transaction
 * shared with concurrent requests (group commit). 1 reserved; 0 nothing
 * written (the CA changed, or the serial is taken: never reused); -1
 * error. */
MUST_CHECK
int store_cert_reserve(store_t *s, const store_cert_new_t *n, const store_audit_t *a,
                       int in_tx, err_t *e);
/* T2 as one statement, committed on return like store_cert_reserve:
 * PENDING -> ISSUED with the DER, and audit event a. 1 done, 0 when the
 * row is no longer PENDING, -1 error. */
MUST_CHECK
int store_cert_issued_commit(store_t *s, const char *ca_id, const char *serial,
                             const unsigned char *der, size_t len, const store_audit_t *a,
                             err_t *e);
/* By ARN within the CA: 1 found, 0 not found. */
MUST_CHECK
int store_cert_get(store_t *s, const char *ca_id, const char *arn, store_cert_t *out, err_t *e);
/* What GetCertificate needs of the issuing CA. */
typedef struct {
  char *status, *chain_pem;
  unsigned char *cert_der; /* NULL: none yet */
  size_t cert_len;
  int has_cert;
  store_cert_t *cert;
} store_cert_ca_t;
/* GetCertificate in one query: the account's CA by ARN and its certificate
 * by ARN (into out). A store_cert_found_t, or -1 error. Clear both with store_cert_ca_clear and
 * store_cert_clear. */
typedef enum { STORE_CERT_NO_CA, STORE_CERT_NO_CERT, STORE_CERT_FOUND } store_cert_found_t;
MUST_CHECK
int store_cert_get_with_ca(store_t *s, const char *account, const char *ca_arn, const char *arn,
                           store_cert_ca_t *ca, store_cert_t *out, err_t *e);
void store_cert_ca_clear(store_cert_ca_t *ca);
/* By serial (normalized hex), FOR UPDATE when lock: 1 found, 0 not found. */
MUST_CHECK
int store_cert_by_serial(store_t *s, const char *ca_id, const char *serial, int lock,
                         store_cert_t *out, err_t *e);
MUST_CHECK
int store_cert_revoke(store_t *s, const char *ca_id, const char *serial, const char *reason,
                      err_t *e);
/* PENDING -> FAILED. 1 done, 0 when no longer PENDING. */
MUST_CHECK
int store_cert_failed(store_t *s, const char *ca_id, const char *serial, err_t *e);
/* The first PENDING row (by ARN) created more than age_s ago whose ARN sorts
 * after skip (NULL: any): 1 found, 0 none. Not locked: finishing it is
 * idempotent (T2 updates only a PENDING row). */
MUST_CHECK
int store_cert_stale(store_t *s, long age_s, const char *skip, store_cert_stale_t *out,
                     err_t *e);
void store_cert_stale_clear(store_cert_stale_t *c);

#endif
