#ifndef PCAD_REPORT_H
#define PCAD_REPORT_H
/* Audit reports: CreateCertificateAuthorityAuditReport records a report
 * (CREATING); a reporter thread of some pcad instance writes the object
 * into the bucket and marks it SUCCESS (or FAILED).
 *
 * Create: the CA row locked for update (two requests at once make one
 * report), its state allowed by core/castate.c, no report but a FAILED one
 * younger than [publish] audit_report_interval (RequestInProgressException),
 * the bucket's owner checked (core/bucketown.h), then the row and an audit
 * event in one transaction; the key is audit-report/<CA_ID>/<id>.<json|csv>.
 * Write: the report claimed FOR UPDATE SKIP LOCKED, the CA's certificates
 * streamed in libpq's single-row mode, each formatted (shape/reportline.h)
 * into a 64 KiB buffer that goes to the object as it fills, so memory does
 * not grow with the number of certificates; the object put in place
 * (publish/bucket.h) and the report marked in the transaction that holds the
 * claim. A write that fails marks it FAILED with the reason logged; a
 * database or S3 endpoint that is away leaves it CREATING for the next
 * round, on any instance. */
#include "publish/bucket.h"
#include "base/err.h"
#include "core/ctx.h"

/* DescribeCertificateAuthorityAuditReport; created_at is epoch seconds
 * with a fraction, as text. */
typedef struct {
  char *status, *bucket, *key, *created_at;
} report_info_t;

void report_info_clear(report_info_t *i);
/* format: JSON or CSV. id[37] and *key (malloc'ed) name the new report. */
MUST_CHECK
int report_create(const ctx_t *c, const char *ca_arn, const char *bucket, const char *format,
                  char id[37], char **key, err_t *e);
MUST_CHECK
int report_describe(const ctx_t *c, const char *ca_arn, const char *id, report_info_t *out,
                    err_t *e);
/* Reporter work: writes the oldest CREATING report nobody else is
 * writing. 1 when one was done (SUCCESS or FAILED), 0 when there was
 * none, -1 when the database or the S3 endpoint is away (the report
 * stays CREATING). The
 * object is written where b says. */
MUST_CHECK
int report_build_next(const ctx_t *c, const bucket_t *b, err_t *e);

#endif
