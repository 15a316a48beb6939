#include "core/ocspcount.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/audit.h"
#include "store/store.h"

#define OCSPCOUNT_ARN_MAX 256
#define OCSPCOUNT_CAS 1024 /* CAs counted between two flushes */

typedef struct {
  char arn[OCSPCOUNT_ARN_MAX];
  long n;
} ocspcount_ca_t;

struct ocspcount {
  pthread_mutex_t mu;
  ocspcount_ca_t *cas;
  int n;
  long dropped;         /* responses of CAs beyond OCSPCOUNT_CAS */
  time_t since;         /* the start of the interval counted (wall clock) */
};

ocspcount_t *ocspcount_new(void) {
  ocspcount_t *oc = calloc(1, sizeof *oc);
  if (!oc || !(oc->cas = calloc(OCSPCOUNT_CAS, sizeof *oc->cas))) {
    free(oc);
    return NULL;
  }
  pthread_mutex_init(&oc->mu, NULL);
  oc->since = clock_now();
  return oc;
}

void ocspcount_free(ocspcount_t *oc) {
  long left = 0;
  if (!oc)
    return;
  for (int i = 0; i < oc->n; i++)
    left += oc->cas[i].n;
  if (left + oc->dropped > 0)
    log_warn(NULL, "OCSP: %ld signed responses not written to the audit trail",
             left + oc->dropped);
  pthread_mutex_destroy(&oc->mu);
  free(oc->cas);
  free(oc);
}

/* n more responses of ca_arn. */
static void ocspcount_add_n(ocspcount_t *oc, const char *ca_arn, long n) {
  int i;
  pthread_mutex_lock(&oc->mu);
  for (i = 0; i < oc->n && strcmp(oc->cas[i].arn, ca_arn) != 0; i++)
    ;
  if (i == oc->n && i < OCSPCOUNT_CAS && strlen(ca_arn) < OCSPCOUNT_ARN_MAX)
    strcpy(oc->cas[oc->n++].arn, ca_arn);
  if (i < oc->n)
    oc->cas[i].n += n;
  else
    oc->dropped += n;
  pthread_mutex_unlock(&oc->mu);
}

void ocspcount_add(ocspcount_t *oc, const char *ca_arn) {
  if (oc && ca_arn)
    ocspcount_add_n(oc, ca_arn, 1);
}

/* The counts of the interval taken out of oc (left empty): n CAs in *cas
 * (malloc'ed, NULL when none), the interval's start and dropped count. */
static int ocspcount_take(ocspcount_t *oc, ocspcount_ca_t **cas, time_t *since,
                          long *dropped) {
  int n;
  ocspcount_ca_t *fresh = calloc(OCSPCOUNT_CAS, sizeof *fresh);
  pthread_mutex_lock(&oc->mu);
  n = fresh ? oc->n : 0;
  *cas = NULL;
  *since = oc->since;
  *dropped = fresh ? oc->dropped : 0;
  if (n > 0 || *dropped > 0) {
    *cas = oc->cas;
    oc->cas = fresh;
    fresh = NULL;
    oc->n = 0;
    oc->dropped = 0;
    oc->since = clock_now();
  }
  pthread_mutex_unlock(&oc->mu);
  free(fresh);
  return n;
}

/* A flush that failed: its counts back into oc, the interval start too. */
static void ocspcount_restore(ocspcount_t *oc, const ocspcount_ca_t *cas, int n,
                              time_t since, long dropped) {
  for (int i = 0; i < n; i++)
    ocspcount_add_n(oc, cas[i].arn, cas[i].n);
  pthread_mutex_lock(&oc->mu);
  oc->dropped += dropped;
  oc->since = since;
  pthread_mutex_unlock(&oc->mu);
}

/* What one flush writes (a store_tx body). */
typedef struct {
  const ctx_t *c;
  const ocspcount_ca_t *cas;
  int n;
  time_t t;
  long dropped;
} ocspcount_tx_t;

static int ocspcount_write(void *arg, err_t *e) {
  const ocspcount_tx_t *w = arg;
  char since[32];
  struct tm tm;
  gmtime_r(&w->t, &tm);
  strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
  for (int i = 0; i < w->n; i++)
    if (audit_event(w->c, e, AUDIT_OCSPSign, w->cas[i].arn, NULL,
                    "responses=%ld since=%s seconds=%lld", w->cas[i].n, since,
                    (long long)(clock_now() - w->t)) < 0)
      return -1;
  if (w->dropped > 0 && audit_event(w->c, e, AUDIT_OCSPSign, NULL, NULL,
                                    "responses=%ld since=%s of CAs beyond the %d counted",
                                    w->dropped, since, OCSPCOUNT_CAS) < 0)
    return -1;
  return 0;
}

int ocspcount_flush(ocspcount_t *oc, const ctx_t *c, err_t *e) {
  ocspcount_tx_t w = {c, NULL, 0, 0, 0};
  ocspcount_ca_t *cas = NULL;
  int rc;
  w.n = oc ? ocspcount_take(oc, &cas, &w.t, &w.dropped) : 0;
  if (!cas)
    return 0;
  w.cas = cas;
  rc = store_tx(c->store, ocspcount_write, &w, 0, e);
  if (rc < 0)
    ocspcount_restore(oc, cas, w.n, w.t, w.dropped);
  free(cas);
  return rc;
}
