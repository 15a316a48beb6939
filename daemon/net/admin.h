#ifndef PCAD_ADMIN_H
#define PCAD_ADMIN_H
/* The loopback admin listener: GET /livez and GET /readyz. */
#include "jobs/health.h"
#include "net/httpd.h"

/* An httpd_handler_fn: arg is the health_t. */
void admin_handle(void *arg, request_t *req);

#endif
