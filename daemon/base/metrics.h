#ifndef PCAD_METRICS_H
#define PCAD_METRICS_H
/* What /metrics says (the Prometheus text format, version 0.0.4): counters
 * and histograms the request path, the signer and the jobs add to from any
 * thread, per-CA gauges the jobs set, and the gauges the admin listener
 * reads at scrape time. One set per process. */
#include <time.h>

/* A request answered: its operation ("-" before one was known), HTTP
 * status and duration. */
void metrics_request(const char *op, int status, double seconds);
/* A signature made in the token, and how long it took (the queue included). */
void metrics_sign(double seconds);
/* A certificate recorded ISSUED. */
void metrics_issued(void);
/* The keys the signer keeps (as of the janitor's last round). */
void metrics_signer_keys(int n);
/* A CA's CRL written to its bucket at when; its certificate's notAfter. */
void metrics_crl_written(const char *ca_id, time_t when);
void metrics_ca_expiry(const char *ca_id, time_t not_after);
/* A round over every CA that has a certificate and is not deleted: begin,
 * metrics_ca_expiry for each, end. End drops the gauges of every CA the
 * round did not see (deleted or purged since), keeping those first seen
 * during the round. */
void metrics_cas_begin(void);
void metrics_cas_end(void);

/* What the scrape reads from the live process. */
typedef struct {
  int token_up, db_up;
  int db_connections_in_use; /* workers running a job, each on its connection */
  int queue_depth;           /* jobs waiting for a worker */
  int publish_busy;          /* the publish listener's workers (its own pool): running a job */
  int publish_queue_depth;   /* and jobs waiting for one */
} metrics_gauges_t;

/* The whole exposition (malloc'ed), or NULL out of memory. */
char *metrics_render(const metrics_gauges_t *g);

#endif
