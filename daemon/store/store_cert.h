#ifndef PCAD_STORE_CERT_H
#define PCAD_STORE_CERT_H
/* The certificates table. */
#include <stddef.h>

#include "store/store.h"

typedef struct {
  char *arn, *serial, *status, *revoked_at, *revocation_reason;
  unsigned char *der;
  size_t der_len;
} store_cert_t;

typedef struct {
  const char *ca_id, *serial, *arn, *template_name, *subject, *requested_by;
  long long not_before, not_after;
} store_cert_new_t;

void store_cert_clear(store_cert_t *c);
/* Reserves the serial: a PENDING row (in the caller's transaction). 1 when
 * the serial is taken already (never reused), 0 done, -1 error. */
int store_cert_reserve(store_t *s, const store_cert_new_t *n, err_t *e);
/* PENDING -> ISSUED with the DER. 1 done, 0 when no longer PENDING. */
int store_cert_issued(store_t *s, const char *ca_id, const char *serial,
                      const unsigned char *der, size_t len, err_t *e);
/* By ARN within the CA: 0 found, 1 not found. */
int store_cert_get(store_t *s, const char *ca_id, const char *arn, store_cert_t *out, err_t *e);
/* By serial (normalized hex), locked: 0 found, 1 not found. */
int store_cert_lock_serial(store_t *s, const char *ca_id, const char *serial, store_cert_t *out,
                           err_t *e);
int store_cert_revoke(store_t *s, const char *ca_id, const char *serial, const char *reason,
                      err_t *e);
/* PENDING rows older than age_s become FAILED; their ARNs are returned. */
int store_cert_fail_stale(store_t *s, long age_s, char ***arns, int *n, err_t *e);

#endif
