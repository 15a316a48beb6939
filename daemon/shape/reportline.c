#include "shape/reportline.h"

#include <jansson.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shape/dn.h"

/* The columns, in AWS's order. */
enum {
  RL_ACCOUNT,
  RL_PRINCIPAL,
  RL_ARN,
  RL_SERIAL,
  RL_SUBJECT,
  RL_NOT_BEFORE,
  RL_NOT_AFTER,
  RL_ISSUED_AT,
  RL_REVOKED_AT,
  RL_REASON,
  RL_TEMPLATE,
  RL_NCOLUMNS
};
static const char *const reportline_names[RL_NCOLUMNS] = {
    "awsAccountId", "requestedByServicePrincipal", "certificateArn", "serial",
    "subject",      "notBefore",                   "notAfter",       "issuedAt",
    "revokedAt",    "revocationReason",            "templateArn"};

const char *reportline_head(const reportline_t *l) {
  return l->csv ? "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject,"
                  "notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn\n"
                : "[";
}

const char *reportline_tail(const reportline_t *l) { return l->csv ? "" : "]"; }

/* YYYY-MM-DDTHH:MM:SS+0000 */
static const char *reportline_time(long long t, char out[32]) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%S+0000", &tm))
    return NULL;
  return out;
}

/* Lower-case hex pairs joined by ':' (an odd digit count gets a leading 0). */
static const char *reportline_serial(const char *hex, char *out, size_t cap) {
  size_t n = strlen(hex), o = 0;
  int odd = (int)(n & 1);
  if (n == 0 || (n + 1) / 2 * 3 > cap)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    if (o && (i + (size_t)odd) % 2 == 0)
      out[o++] = ':';
    if (i == 0 && odd)
      out[o++] = '0';
    out[o++] = hex[i];
  }
  out[o] = '\0';
  return out;
}

/* The subject of a row from before subjects were kept, from its DER. */
static char *reportline_subject_der(const reportline_cert_t *c) {
  const unsigned char *p = c->der;
  X509 *x = c->der ? d2i_X509(NULL, &p, (long)c->der_len) : NULL;
  char *s = x ? dn_rfc2253(X509_get_subject_name(x)) : NULL;
  X509_free(x);
  return s;
}

/* CSV field: quoted (quotes doubled) when it holds , " CR or LF. */
static int reportline_csv_field(buf_t *out, const char *v) {
  if (!v[strcspn(v, ",\"\r\n")])
    return buf_puts(out, v);
  if (buf_putc(out, '"') < 0)
    return -1;
  for (const char *p = v; *p; p++)
    if ((*p == '"' && buf_putc(out, '"') < 0) || buf_putc(out, *p) < 0)
      return -1;
  return buf_putc(out, '"');
}

static int reportline_csv(const char *const *v, buf_t *out) {
  for (int k = 0; k < RL_NCOLUMNS; k++)
    if ((k && buf_putc(out, ',') < 0) || (v[k] && reportline_csv_field(out, v[k]) < 0))
      return -1;
  return buf_putc(out, '\n');
}

static int reportline_json(const reportline_t *l, const char *const *v, buf_t *out) {
  json_t *o = json_object();
  char *s = NULL;
  int rc = o ? 0 : -1;
  for (int k = 0; rc == 0 && k < RL_NCOLUMNS; k++)
    if (v[k])
      rc = json_object_set_new(o, reportline_names[k], json_string(v[k]));
  if (rc == 0 && (s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) != NULL)
    rc = (l->lines && buf_putc(out, ',') < 0) || buf_puts(out, s) < 0 ? -1 : 0;
  else
    rc = -1;
  free(s);
  json_decref(o);
  return rc;
}

int reportline_put(reportline_t *l, const reportline_cert_t *c, buf_t *out) {
  const char *v[RL_NCOLUMNS] = {0};
  char serial[64], nb[32], na[32], ia[32], ra[32], *tmpl = NULL, *subject = NULL;
  int rc = -1;
  v[RL_ACCOUNT] = l->account;
  v[RL_ARN] = c->arn;
  v[RL_SERIAL] = reportline_serial(c->serial, serial, sizeof serial);
  v[RL_SUBJECT] = c->subject ? c->subject : (subject = reportline_subject_der(c));
  v[RL_NOT_BEFORE] = reportline_time(c->not_before, nb);
  v[RL_NOT_AFTER] = reportline_time(c->not_after, na);
  v[RL_ISSUED_AT] = reportline_time(c->issued_at, ia);
  v[RL_REVOKED_AT] = reportline_time(c->revoked_at, ra);
  v[RL_REASON] = c->reason;
  if (asprintf(&tmpl, "arn:%s:acm-pca:::template/%s", l->partition, c->template_name) < 0)
    tmpl = NULL;
  v[RL_TEMPLATE] = tmpl;
  if (tmpl && v[RL_SERIAL] && v[RL_SUBJECT] && v[RL_NOT_BEFORE] && v[RL_NOT_AFTER] &&
      v[RL_ISSUED_AT] && (l->csv ? reportline_csv(v, out) : reportline_json(l, v, out)) == 0) {
    l->lines++;
    rc = 0;
  }
  free(tmpl);
  free(subject);
  return rc;
}
