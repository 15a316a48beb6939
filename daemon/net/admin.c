#include "net/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/metrics.h"

static void admin_metrics(const admin_env_t *a, request_t *req) {
  static const char oom[] = "out of memory\n";
  metrics_gauges_t g;
  char *text;
  health_gauges(a->health, &g.db_up, &g.token_up);
  workq_stats(a->q, &g.queue_depth, &g.db_connections_in_use);
  workq_stats(a->pubq, &g.publish_queue_depth, &g.publish_busy);
  if (!(text = metrics_render(&g))) {
    request_reply(req, 500, "text/plain", NULL, oom, sizeof oom - 1);
    return;
  }
  request_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", NULL, text, strlen(text));
  free(text);
}

void admin_handle(void *arg, request_t *req) {
  const admin_env_t *a = arg;
  health_t *h = a->health;
  char why[256], body[300];
  int status = 404;
  if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/metrics") == 0) {
    admin_metrics(a, req);
    return;
  }
  if (strcmp(req->method, "GET") != 0) {
    snprintf(body, sizeof body, "only GET is served here\n");
  } else if (strcmp(req->path, "/livez") == 0) {
    /* answered by the event loop itself: it is running */
    status = 200;
    snprintf(body, sizeof body, "ok\n");
  } else if (strcmp(req->path, "/readyz") == 0) {
    status = health_ready(h, why, sizeof why) ? 200 : 503;
    snprintf(body, sizeof body, "%s\n", why);
  } else {
    snprintf(body, sizeof body, "not found\n");
  }
  request_reply(req, status, "text/plain", NULL, body, strlen(body));
}
