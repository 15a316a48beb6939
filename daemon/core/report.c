#include "core/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/bucket.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/uuid.h"
#include "core/audit.h"
#include "core/bucketown.h"
#include "core/ca_row.h"
#include "core/castate.h"
#include "shape/reportline.h"
#include "shape/revcfg.h"
#include "store/store_report.h"

/* Bytes gathered before they go to the object. */
#define REPORT_CHUNK (64 * 1024)

void report_info_clear(report_info_t *i) {
  free(i->status);
  free(i->bucket);
  free(i->key);
  free(i->created_at);
  memset(i, 0, sizeof *i);
}

/* CreateCertificateAuthorityAuditReport's transaction (a store_tx body). */
typedef struct {
  const ctx_t *c;
  const char *ca_arn, *bucket, *format;
  char *id;
  char **key;
  store_ca_t row;
} report_new_t;

static int report_create_tx(void *arg, err_t *e) {
  report_new_t *n = arg;
  const ctx_t *c = n->c;
  int recent;
  /* the CA row for update: two requests at once make one report */
  if (ca_get(c, n->ca_arn, STORE_LOCK_UPDATE, &n->row, e) < 0 ||
      castate_check(CA_OP_REPORT, castate_of(&n->row), n->ca_arn, e) < 0)
    return -1;
  if ((recent = store_report_recent(c->store, n->row.id, c->report_interval, e)) != 0)
    return recent < 0 ? -1
                      : err_set(e, ERR_RequestInProgressException,
                                "An audit report was made for %s less than %ld seconds ago; "
                                "one report per certificate authority can be made every %ld "
                                "seconds.",
                                n->ca_arn, c->report_interval, c->report_interval);
  if (uuid_v4(n->id) < 0 ||
      asprintf(n->key, "audit-report/%s/%s.%s", n->row.id, n->id,
               strcmp(n->format, "CSV") == 0 ? "csv" : "json") < 0) {
    *n->key = NULL;
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  if (bucketown_use(c, n->row.id, n->bucket, e) < 0 ||
      store_report_insert(c->store, n->id, n->row.id, n->bucket, *n->key, n->format, c->actor,
                          e) < 0)
    return -1;
  return audit_event(c, e, AUDIT_CreateCertificateAuthorityAuditReport, n->ca_arn, NULL,
                     "report=%s bucket=%s format=%s", n->id, n->bucket, n->format);
}

int report_create(const ctx_t *c, const char *ca_arn, const char *bucket, const char *format,
                  char id[37], char **key, err_t *e) {
  report_new_t n = {c, ca_arn, bucket, format, id, key, {0}};
  int rc;
  *key = NULL;
  if (strchr(bucket, '/'))
    return err_set(e, ERR_InvalidArgsException, "S3BucketName '%s' is not a bucket name", bucket);
  if (revcfg_bucket_check(bucket, e) < 0)
    return -1;
  rc = store_tx(c->store, report_create_tx, &n, 0, e);
  if (rc < 0) {
    free(*key);
    *key = NULL;
  }
  store_ca_clear(&n.row);
  return rc;
}

int report_describe(const ctx_t *c, const char *ca_arn, const char *id, report_info_t *out,
                    err_t *e) {
  char ca_id[37];
  store_report_t r;
  int found;
  memset(out, 0, sizeof *out);
  if (ca_resolve(c, ca_arn, 0, ca_id, e) < 0 ||
      (found = store_report_get(c->store, ca_id, id, &r, e)) < 0)
    return -1;
  if (!found)
    return err_set(e, ERR_ResourceNotFoundException,
                   "Could not find audit report %s for certificate authority %s", id, ca_arn);
  out->status = r.status;
  out->bucket = r.bucket;
  out->key = r.key;
  out->created_at = r.created_at;
  r.status = r.bucket = r.key = r.created_at = NULL;
  store_report_clear(&r);
  return 0;
}

/* A report being written: lines gather in buf and go to the object a
 * chunk at a time. */
typedef struct {
  reportline_t line;
  buf_t buf;
  bucket_file_t *f;
  err_t werr;  /* why the object could not be written */
  int wfailed;
} report_out_t;

static int report_flush(report_out_t *o) {
  if (bucket_put(o->f, o->buf.data, o->buf.len, &o->werr) < 0) {
    o->wfailed = 1;
    return -1;
  }
  o->buf.len = 0;
  return 0;
}

static int report_cert(void *arg, const store_report_cert_t *c) {
  report_out_t *o = arg;
  reportline_cert_t l = {c->arn,     c->serial,    c->subject,   c->template_name,
                         c->reason,  c->der,       c->der_len,   c->not_before,
                         c->not_after, c->issued_at, c->revoked_at};
  if (reportline_put(&o->line, &l, &o->buf) < 0) {
    o->wfailed = 1;
    return err_set(&o->werr, ERR_InternalFailure, "the certificate %s cannot be listed", c->arn);
  }
  return o->buf.len >= REPORT_CHUNK ? report_flush(o) : 0;
}

/* The object of report r: 0 written, 1 not written (o->werr says why),
 * -1 the database failed (e). */
static int report_write(const ctx_t *c, const store_report_t *r, const bucket_t *b,
                        report_out_t *o, err_t *e) {
  char target[1100];
  int rc;
  o->line.csv = strcmp(r->format, "CSV") == 0;
  o->line.partition = c->partition;
  o->line.account = r->account;
  snprintf(target, sizeof target, "%s/%s", r->bucket, r->key);
  if (!(o->f = bucket_open(b, target, o->line.csv ? "text/csv" : "application/json", NULL,
                           &o->werr)))
    return 1;
  if (buf_puts(&o->buf, reportline_head(&o->line)) < 0) {
    o->wfailed = 1;
    err_set(&o->werr, ERR_InternalFailure, "out of memory");
  }
  rc = o->wfailed ? -1 : store_report_certs(c->store, r->ca_id, report_cert, o, e);
  if (rc == 0 && (buf_puts(&o->buf, reportline_tail(&o->line)) < 0 || report_flush(o) < 0)) {
    o->wfailed = 1;
    rc = -1;
  }
  if (rc == 0 && bucket_close(o->f, 1, &o->werr) < 0)
    o->wfailed = 1;
  else if (rc < 0)
    err_ignore(bucket_close(o->f, 0, NULL)); /* no commit: nothing can fail */
  o->f = NULL;
  return o->wfailed ? 1 : rc;
}

/* One report in CREATING, claimed and written (a store_tx body): 1, or 0
 * when none waits. */
typedef struct {
  const ctx_t *c;
  const bucket_t *b;
  store_report_t r;
  report_out_t o;
  int failed; /* written as FAILED */
} report_build_t;

static int report_build_tx(void *arg, err_t *e) {
  report_build_t *t = arg;
  int claimed = store_report_claim(t->c->store, &t->r, e), w;
  if (claimed <= 0)
    return claimed;
  if ((w = report_write(t->c, &t->r, t->b, &t->o, e)) == 1 &&
      t->o.werr.code == ERR_ServiceUnavailable) {
    *e = t->o.werr; /* S3 away: CREATING still, tried again next round */
    return -1;
  }
  if (w < 0 || store_report_finish(t->c->store, t->r.id, w ? "FAILED" : "SUCCESS",
                                   w ? t->o.werr.msg : NULL, e) < 0)
    return -1;
  t->failed = w;
  return 1;
}

int report_build_next(const ctx_t *c, const bucket_t *b, err_t *e) {
  report_build_t t;
  long long t0 = clock_now_ms();
  int rc;
  memset(&t, 0, sizeof t);
  t.c = c;
  t.b = b;
  err_clear(&t.o.werr);
  rc = store_tx(c->store, report_build_tx, &t, 0, e);
  if (rc == 1 && t.failed)
    log_err(&c->log, "audit report %s of %s FAILED: %s", t.r.id, t.r.ca_arn, t.o.werr.msg);
  else if (rc == 1)
    log_notice(&c->log, "audit report %s of %s written to %s/%s: %lld certificates in %lld ms",
               t.r.id, t.r.ca_arn, t.r.bucket, t.r.key, t.o.line.lines, clock_now_ms() - t0);
  buf_free(&t.o.buf);
  store_report_clear(&t.r);
  return rc;
}
