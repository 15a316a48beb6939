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

/* audit_alone's and audit_batch's transaction (a store_tx body). */
typedef struct {
  const ctx_t *c;
  audit_event_t event;
  const char *note;
  int (*change)(store_t *s, char ***arns, int *n, err_t *e); /* NULL: alone */
  char **arns;
  int n;
} audit_tx_t;

static int audit_tx(void *arg, err_t *e) {
  audit_tx_t *t = arg;
  if (!t->change)
    return audit_event(t->c, e, t->event, NULL, NULL, "%s", t->note);
  if (t->change(t->c->store, &t->arns, &t->n, e) < 0)
    return -1;
  for (int i = 0; i < t->n; i++)
    if (audit_event(t->c, e, t->event, t->arns[i], NULL, "%s", t->note) < 0)
      return -1;
  return t->n > 0;
}

int audit_alone(const ctx_t *c, audit_event_t event, const char *note, err_t *e) {
  audit_tx_t t = {c, event, note, NULL, NULL, 0};
  return store_tx(c->store, audit_tx, &t, 0, e);
}

int audit_batch(const ctx_t *c, audit_event_t event, const char *note,
                int (*change)(store_t *s, char ***arns, int *n, err_t *e), err_t *e) {
  audit_tx_t t = {c, event, note, change, NULL, 0};
  int rc = store_tx(c->store, audit_tx, &t, 0, e);
  store_strings_free(t.arns, t.n);
  return rc;
}
