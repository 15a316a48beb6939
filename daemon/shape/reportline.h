#ifndef PCAD_REPORTLINE_H
#define PCAD_REPORTLINE_H
/* One certificate as a line of an audit report, in AWS's columns and
 * formats (pca-behavior.md section 7): CSV with a header row, or a JSON
 * array of objects whose empty members are left out. */
#include <stddef.h>

#include "base/buf.h"

/* One certificate. subject is the RFC 2253 form, or NULL: then it is read
 * from der. Times are epoch seconds; revoked_at -1 when not revoked. */
typedef struct {
  const char *arn, *serial, *subject, *template_name, *reason;
  const unsigned char *der;
  size_t der_len;
  long long not_before, not_after, issued_at, revoked_at;
} reportline_cert_t;

typedef struct {
  int csv;               /* 1: CSV, 0: JSON */
  const char *partition; /* of the template ARN */
  const char *account;   /* awsAccountId: the CA's account */
  long long lines;       /* written so far */
} reportline_t;

/* What the object starts with (the CSV header row, or "[") and ends with. */
const char *reportline_head(const reportline_t *l);
const char *reportline_tail(const reportline_t *l);
/* Appends the certificate's line (with its separator) to out. */
int reportline_put(reportline_t *l, const reportline_cert_t *c, buf_t *out);

#endif
