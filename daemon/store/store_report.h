#ifndef PCAD_STORE_REPORT_H
#define PCAD_STORE_REPORT_H
/* The audit_reports table, and the certificates a report lists. */
#include <stddef.h>

#include "store/store.h"

/* One report; created_at is epoch seconds with a fraction, as text. The
 * CA's ARN and account come with a claimed report. */
typedef struct {
  char *id, *ca_id, *bucket, *key, *format, *status, *created_at;
  char *ca_arn, *account;
} store_report_t;

/* One certificate as a report lists it. subject is the RFC 2253 form, or
 * NULL for a row from before it was kept: then der is there. Times are
 * epoch seconds; revoked_at is -1 (and reason NULL) when not revoked. */
typedef struct {
  const char *arn, *serial, *subject, *template_name, *reason;
  const unsigned char *der;
  size_t der_len;
  long long not_before, not_after, issued_at, revoked_at;
} store_report_cert_t;

typedef int (*store_report_cert_fn)(void *arg, const store_report_cert_t *c);

void store_report_clear(store_report_t *r);
/* 1 when the CA has a report (other than a FAILED one) younger than
 * interval_s, 0 when not. Inside the caller's transaction. */
MUST_CHECK
int store_report_recent(store_t *s, const char *ca_id, long interval_s, err_t *e);
MUST_CHECK
int store_report_insert(store_t *s, const char *id, const char *ca_id, const char *bucket,
                        const char *key, const char *format, const char *requested_by,
                        err_t *e);
/* The CA's report by id: 1 found, 0 not found. */
MUST_CHECK
int store_report_get(store_t *s, const char *ca_id, const char *id, store_report_t *out,
                     err_t *e);
/* Inside a transaction: locks the oldest CREATING report nobody else is
 * writing (SKIP LOCKED) until commit; 1 claimed, 0 none. */
MUST_CHECK
int store_report_claim(store_t *s, store_report_t *out, err_t *e);
/* Every ISSUED certificate of the CA, by issue time, one row at a time
 * (single-row mode: memory does not grow with the number). A callback that
 * returns -1 ends the walk: -1 is returned with e untouched. */
MUST_CHECK
int store_report_certs(store_t *s, const char *ca_id, store_report_cert_fn fn, void *arg,
                       err_t *e);
/* CREATING -> status (SUCCESS or FAILED, with the reason). */
MUST_CHECK
int store_report_finish(store_t *s, const char *id, const char *status, const char *reason,
                        err_t *e);

#endif
