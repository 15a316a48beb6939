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

int report_create(const ctx_t *c, const char *ca_arn, const char *bucket, const char *format,
                  char id[37], char **key, err_t *e) {
  store_ca_t row;
  int recent, ret = -1;
  memset(&row, 0, sizeof row);
  *key = NULL;
  if (strchr(bucket, '/'))
    return err_set(e, ERR_InvalidArgsException, "S3BucketName '%s' is not a bucket name", bucket);
  if (revcfg_bucket_check(bucket, e) < 0)
    return -1;
  /* the CA row for update: two requests at once make one report */
  if (store_begin(c->store, e) < 0 || ca_get(c, ca_arn, STORE_LOCK_UPDATE, &row, e) < 0)
    goto out;
  if (castate_check(CA_OP_REPORT, castate_of(&row), ca_arn, e) < 0)
    goto out;
  if ((recent = store_report_recent(c->store, row.id, c->report_interval, e)) != 0) {
    if (recent == 1)
      err_set(e, ERR_RequestInProgressException,
              "An audit report was made for %s less than %ld seconds ago; one report per "
              "certificate authority can be made every %ld seconds.",
              ca_arn, c->report_interval, c->report_interval);
    goto out;
  }
  if (uuid_v4(id) < 0 ||
      asprintf(key, "audit-report/%s/%s.%s", row.id, id, strcmp(format, "CSV") == 0 ? "csv"
                                                                                   : "json") < 0) {
    *key = NULL;
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  if (bucketown_use(c, row.id, bucket, e) < 0 ||
      store_report_insert(c->store, id, row.id, bucket, *key, format, c->actor, e) < 0 ||
      audit_event(c, e, AUDIT_CreateCertificateAuthorityAuditReport, ca_arn, NULL,
                  "report=%s bucket=%s format=%s", id, bucket, format) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 0;
out:
  if (ret < 0) {
    store_rollback(c->store);
    free(*key);
    *key = NULL;
  }
  store_ca_clear(&row);
  return ret;
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

int report_build_next(const ctx_t *c, const bucket_t *b, err_t *e) {
  store_report_t r;
  report_out_t o;
  long long t0 = clock_now_ms();
  int claimed, w, ret = -1;
  memset(&r, 0, sizeof r);
  memset(&o, 0, sizeof o);
  err_clear(&o.werr);
  if (store_begin(c->store, e) < 0 || (claimed = store_report_claim(c->store, &r, e)) < 0)
    goto out;
  if (!claimed) {
    ret = 0;
    goto out;
  }
  if ((w = report_write(c, &r, b, &o, e)) == 1 && o.werr.code == ERR_ServiceUnavailable) {
    *e = o.werr; /* S3 away: CREATING still, tried again next round */
    goto out;
  }
  if (w < 0 ||
      store_report_finish(c->store, r.id, w ? "FAILED" : "SUCCESS", w ? o.werr.msg : NULL,
                          e) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  if (w)
    log_err(&c->log, "audit report %s of %s FAILED: %s", r.id, r.ca_arn, o.werr.msg);
  else
    log_notice(&c->log, "audit report %s of %s written to %s/%s: %lld certificates in %lld ms",
               r.id, r.ca_arn, r.bucket, r.key, o.line.lines, clock_now_ms() - t0);
  ret = 1;
out:
  if (ret != 1)
    store_rollback(c->store);
  buf_free(&o.buf);
  store_report_clear(&r);
  return ret;
}
