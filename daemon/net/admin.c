#include "net/admin.h"

#include <stdio.h>
#include <string.h>

void admin_handle(void *arg, request_t *req) {
  health_t *h = arg;
  char why[256], body[300];
  int status = 404;
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
