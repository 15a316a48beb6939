#ifndef PCAD_ADMIN_H
#define PCAD_ADMIN_H
/* The loopback admin listener: GET /livez, GET /readyz, GET /metrics
 * (Prometheus text format, base/metrics.h). */
#include "base/workq.h"
#include "jobs/health.h"
#include "net/httpd.h"

/* The largest request body the admin listener takes (it serves GETs). */
#define ADMIN_MAX_BODY 1024

typedef struct {
  health_t *health;
  workq_t *q;    /* the API's workers, for /metrics */
  workq_t *pubq; /* the publish listener's */
} admin_env_t;

/* An httpd_handler_fn: arg is an admin_env_t. */
void admin_handle(void *arg, request_t *req);

#endif
