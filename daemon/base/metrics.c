#include "base/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#define METRICS_OPS 40    /* the API's 23 operations and "-", with room */
#define METRICS_CODES 16  /* statuses per operation */
#define METRICS_CAS 1024  /* CAs with per-CA gauges (the quota is 200) */

static const double metrics_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,   0.25,   0.5,   1,    2.5,   5,    10};
#define METRICS_NB (sizeof metrics_bounds / sizeof metrics_bounds[0])

typedef struct {
  unsigned long long le[METRICS_NB]; /* cumulative at render, per bucket here */
  unsigned long long count;
  double sum;
} metrics_hist_t;

typedef struct {
  char op[48];
  int status[METRICS_CODES];
  unsigned long long n[METRICS_CODES];
  int ncodes;
  metrics_hist_t dur;
} metrics_op_t;

typedef struct {
  char ca[40];
  double crl_written, expiry; /* 0: not known */
  unsigned round;             /* the last CA round that saw it, or made it */
} metrics_ca_t;

static struct {
  pthread_mutex_t mu;
  metrics_op_t ops[METRICS_OPS];
  int nops;
  metrics_hist_t sign;
  unsigned long long issued;
  int signer_keys;
  metrics_ca_t cas[METRICS_CAS];
  int ncas;
  unsigned round; /* of metrics_cas_begin */
} metrics = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void metrics_observe(metrics_hist_t *h, double v) {
  size_t i = 0;
  while (i < METRICS_NB && v > metrics_bounds[i])
    i++;
  if (i < METRICS_NB)
    h->le[i]++;
  h->count++;
  h->sum += v;
}

/* Under mu: the entry of op (made on first use), NULL when full. */
static metrics_op_t *metrics_op(const char *op) {
  for (int i = 0; i < metrics.nops; i++)
    if (strcmp(metrics.ops[i].op, op) == 0)
      return &metrics.ops[i];
  if (metrics.nops == METRICS_OPS)
    return NULL;
  snprintf(metrics.ops[metrics.nops].op, sizeof metrics.ops[0].op, "%s", op);
  return &metrics.ops[metrics.nops++];
}

void metrics_request(const char *op, int status, double seconds) {
  metrics_op_t *o;
  int k;
  pthread_mutex_lock(&metrics.mu);
  if ((o = metrics_op(op)) != NULL) {
    for (k = 0; k < o->ncodes && o->status[k] != status; k++)
      ;
    if (k == o->ncodes && k < METRICS_CODES)
      o->status[o->ncodes++] = status;
    if (k < o->ncodes)
      o->n[k]++;
    metrics_observe(&o->dur, seconds);
  }
  pthread_mutex_unlock(&metrics.mu);
}

void metrics_sign(double seconds) {
  pthread_mutex_lock(&metrics.mu);
  metrics_observe(&metrics.sign, seconds);
  pthread_mutex_unlock(&metrics.mu);
}

void metrics_issued(void) {
  pthread_mutex_lock(&metrics.mu);
  metrics.issued++;
  pthread_mutex_unlock(&metrics.mu);
}

void metrics_signer_keys(int n) {
  pthread_mutex_lock(&metrics.mu);
  metrics.signer_keys = n;
  pthread_mutex_unlock(&metrics.mu);
}

/* Under mu: the entry of ca (made on first use), NULL when full. */
static metrics_ca_t *metrics_ca(const char *ca) {
  for (int i = 0; i < metrics.ncas; i++)
    if (strcmp(metrics.cas[i].ca, ca) == 0)
      return &metrics.cas[i];
  if (metrics.ncas == METRICS_CAS)
    return NULL;
  memset(&metrics.cas[metrics.ncas], 0, sizeof metrics.cas[0]);
  snprintf(metrics.cas[metrics.ncas].ca, sizeof metrics.cas[0].ca, "%s", ca);
  metrics.cas[metrics.ncas].round = metrics.round;
  return &metrics.cas[metrics.ncas++];
}

void metrics_crl_written(const char *ca_id, time_t when) {
  metrics_ca_t *c;
  pthread_mutex_lock(&metrics.mu);
  if ((c = metrics_ca(ca_id)) != NULL && (double)when > c->crl_written)
    c->crl_written = (double)when;
  pthread_mutex_unlock(&metrics.mu);
}

void metrics_ca_expiry(const char *ca_id, time_t not_after) {
  metrics_ca_t *c;
  pthread_mutex_lock(&metrics.mu);
  if ((c = metrics_ca(ca_id)) != NULL) {
    c->expiry = (double)not_after;
    c->round = metrics.round;
  }
  pthread_mutex_unlock(&metrics.mu);
}

void metrics_cas_begin(void) {
  pthread_mutex_lock(&metrics.mu);
  metrics.round++;
  pthread_mutex_unlock(&metrics.mu);
}

void metrics_cas_end(void) {
  int kept = 0;
  pthread_mutex_lock(&metrics.mu);
  for (int i = 0; i < metrics.ncas; i++)
    if (metrics.cas[i].round == metrics.round)
      metrics.cas[kept++] = metrics.cas[i];
  metrics.ncas = kept;
  pthread_mutex_unlock(&metrics.mu);
}

/* The series of one histogram, name{labels,le=...}. */
static void metrics_hist(buf_t *b, const char *name, const char *labels, const metrics_hist_t *h) {
  unsigned long long cum = 0;
  const char *sep = *labels ? "," : "";
  for (size_t i = 0; i < METRICS_NB; i++) {
    cum += h->le[i];
    buf_printf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, metrics_bounds[i], cum);
  }
  buf_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, h->count);
  buf_printf(b, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
             *labels ? "}" : "", h->sum, name, *labels ? "{" : "", labels, *labels ? "}" : "",
             h->count);
}

static void metrics_head(buf_t *b, const char *name, const char *type, const char *help) {
  buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Under mu: the request and signing series. */
static void metrics_render_requests(buf_t *b) {
  char labels[80];
  metrics_head(b, "pcad_requests_total", "counter", "Requests answered, by operation and HTTP status.");
  for (int i = 0; i < metrics.nops; i++)
    for (int k = 0; k < metrics.ops[i].ncodes; k++)
      buf_printf(b, "pcad_requests_total{operation=\"%s\",code=\"%d\"} %llu\n", metrics.ops[i].op,
                 metrics.ops[i].status[k], metrics.ops[i].n[k]);
  metrics_head(b, "pcad_request_duration_seconds", "histogram",
               "Time from a request's arrival to its answer, by operation.");
  for (int i = 0; i < metrics.nops; i++) {
    snprintf(labels, sizeof labels, "operation=\"%s\"", metrics.ops[i].op);
    metrics_hist(b, "pcad_request_duration_seconds", labels, &metrics.ops[i].dur);
  }
  metrics_head(b, "pcad_token_sign_duration_seconds", "histogram",
               "Signatures made in the token, the wait for a signing thread included.");
  metrics_hist(b, "pcad_token_sign_duration_seconds", "", &metrics.sign);
  metrics_head(b, "pcad_certificates_issued_total", "counter", "Certificates recorded ISSUED.");
  buf_printf(b, "pcad_certificates_issued_total %llu\n", metrics.issued);
}

/* Under mu: the per-CA gauges. */
static void metrics_render_cas(buf_t *b) {
  metrics_head(b, "pcad_crl_last_success_timestamp_seconds", "gauge",
               "When a CA's newest CRL was last written to its bucket.");
  for (int i = 0; i < metrics.ncas; i++)
    if (metrics.cas[i].crl_written > 0)
      buf_printf(b, "pcad_crl_last_success_timestamp_seconds{ca=\"%s\"} %.0f\n", metrics.cas[i].ca,
                 metrics.cas[i].crl_written);
  metrics_head(b, "pcad_ca_certificate_expiry_timestamp_seconds", "gauge",
               "The notAfter of each CA's certificate.");
  for (int i = 0; i < metrics.ncas; i++)
    if (metrics.cas[i].expiry > 0)
      buf_printf(b, "pcad_ca_certificate_expiry_timestamp_seconds{ca=\"%s\"} %.0f\n",
                 metrics.cas[i].ca, metrics.cas[i].expiry);
}

char *metrics_render(const metrics_gauges_t *g) {
  buf_t b = {0};
  const struct {
    const char *name, *help;
    int v;
  } gauges[] = {
      {"pcad_token_up", "1 while the token signs (a probe signature once a second).", g->token_up},
      {"pcad_db_up", "1 while PostgreSQL answers.", g->db_up},
      {"pcad_db_connections_in_use", "Workers running a job, each on its own connection.",
       g->db_connections_in_use},
      {"pcad_queue_depth", "Jobs waiting for a worker.", g->queue_depth},
      {"pcad_publish_workers_busy",
       "The publish listener's workers (a pool of its own: OCSP, CRLs) running a job.",
       g->publish_busy},
      {"pcad_publish_queue_depth", "Publish listener jobs waiting for one of its workers.",
       g->publish_queue_depth}};
  for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
    metrics_head(&b, gauges[i].name, "gauge", gauges[i].help);
    buf_printf(&b, "%s %d\n", gauges[i].name, gauges[i].v);
  }
  metrics_head(&b, "pcad_build_info", "gauge", "The running version.");
  buf_printf(&b, "pcad_build_info{version=\"%s\"} 1\n", PCAD_VERSION);
  pthread_mutex_lock(&metrics.mu);
  metrics_head(&b, "pcad_signer_keys", "gauge",
               "CA keys the signer keeps loaded (as of the janitor's last round).");
  buf_printf(&b, "pcad_signer_keys %d\n", metrics.signer_keys);
  metrics_render_requests(&b);
  metrics_render_cas(&b);
  pthread_mutex_unlock(&metrics.mu);
  return buf_take(&b);
}
