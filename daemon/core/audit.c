#include "core/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"
#include "store/store.h"

static const char *const audit_names[AUDIT__COUNT] = {
#define AUDIT_EVENT(name) #name,
#include "core/audit.def"
#undef AUDIT_EVENT
};

const char *audit_name(audit_event_t event) {
  return event < AUDIT__COUNT ? audit_names[event] : "Unknown";
}

static void audit_vnote(const ctx_t *c, store_audit_t *a, char detail[AUDIT_DETAIL_MAX],
                        audit_event_t event, const char *ca_arn, const char *serial,
                        const char *fmt, va_list ap) {
  vsnprintf(detail, AUDIT_DETAIL_MAX, fmt, ap);
  *a = (store_audit_t){audit_name(event), c->account, c->actor, c->log.rid, ca_arn, serial, detail};
}

void audit_note(const ctx_t *c, store_audit_t *a, char detail[AUDIT_DETAIL_MAX],
                audit_event_t event, const char *ca_arn, const char *serial, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  audit_vnote(c, a, detail, event, ca_arn, serial, fmt, ap);
  va_end(ap);
}

int audit_event(const ctx_t *c, err_t *e, audit_event_t event, const char *ca_arn,
                const char *serial, const char *fmt, ...) {
  char detail[AUDIT_DETAIL_MAX];
  store_audit_t a;
  va_list ap;
  va_start(ap, fmt);
  audit_vnote(c, &a, detail, event, ca_arn, serial, fmt, ap);
  va_end(ap);
  return store_audit(c->store, &a, e);
}

int audit_alone(const ctx_t *c, audit_event_t event, const char *note, err_t *e) {
  if (store_ready(c->store, e) < 0 || store_begin(c->store, e) < 0 ||
      audit_event(c, e, event, NULL, NULL, "%s", note) < 0 || store_commit(c->store, e) < 0) {
    store_rollback(c->store);
    return -1;
  }
  return 0;
}

int audit_batch(const ctx_t *c, audit_event_t event, const char *note,
                int (*change)(store_t *s, char ***arns, int *n, err_t *e), err_t *e) {
  char **arns = NULL;
  int n = 0, ret = -1;
  if (store_begin(c->store, e) < 0 || change(c->store, &arns, &n, e) < 0)
    goto out;
  for (int i = 0; i < n; i++)
    if (audit_event(c, e, event, arns[i], NULL, "%s", note) < 0)
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
