#ifndef PCAD_REPORT_H
#define PCAD_REPORT_H
/* Audit reports: CreateCertificateAuthorityAuditReport records a report
 * (CREATING); a reporter thread of some pcad instance writes the object
 * into the bucket and marks it SUCCESS (or FAILED). */
#include "base/bucket.h"
#include "base/err.h"
#include "core/ctx.h"

/* DescribeCertificateAuthorityAuditReport; created_at is epoch seconds
 * with a fraction, as text. */
typedef struct {
  char *status, *bucket, *key, *created_at;
} report_info_t;

void report_info_clear(report_info_t *i);
/* format: JSON or CSV. id[37] and *key (malloc'ed) name the new report. */
int report_create(const ctx_t *c, const char *ca_arn, const char *bucket, const char *format,
                  char id[37], char **key, err_t *e);
int report_describe(const ctx_t *c, const char *ca_arn, const char *id, report_info_t *out,
                    err_t *e);
/* Reporter work: writes the oldest CREATING report nobody else is
 * writing. 1 when one was done (SUCCESS or FAILED), 0 when there was
 * none, -1 when the database or the S3 endpoint is away (the report
 * stays CREATING). The
 * object is written where b says. */
int report_build_next(const ctx_t *c, const bucket_t *b, err_t *e);

#endif
