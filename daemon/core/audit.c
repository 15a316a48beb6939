#include "core/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "store/store.h"

int audit_event(const ctx_t *c, const char *event, const char *ca_arn, const char *serial,
                const char *fmt, ...) {
  char detail[512];
  va_list ap;
  err_t e;
  int rc;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  rc = store_audit(c->store, event, c->account, c->actor, c->rid, ca_arn, serial, detail, &e);
  if (rc == 0)
    log_notice(c->rid, "audit: %s ca=%s serial=%s actor=%s %s", event, ca_arn ? ca_arn : "-",
               serial ? serial : "-", c->actor ? c->actor : "pcad", detail);
  return rc;
}

int audit_alone(const ctx_t *c, const char *event, const char *note, err_t *e) {
  if (store_ready(c->store, e) < 0 || store_begin(c->store, e) < 0 ||
      audit_event(c, event, NULL, NULL, "%s", note) < 0 || store_commit(c->store, e) < 0) {
    store_rollback(c->store);
    return -1;
  }
  return 0;
}

int audit_batch(const ctx_t *c, const char *event, const char *note,
                int (*change)(store_t *s, char ***arns, int *n, err_t *e), err_t *e) {
  char **arns = NULL;
  int n = 0, ret = -1;
  if (store_begin(c->store, e) < 0 || change(c->store, &arns, &n, e) < 0)
    goto out;
  for (int i = 0; i < n; i++)
    if (audit_event(c, event, arns[i], NULL, "%s", note) < 0)
      goto out;
  if (store_commit(c->store, e) < 0)
    goto out;
  ret = n > 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_strings_free(arns, n);
  return ret;
}
