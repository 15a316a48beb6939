#include "net/publish.h"

#include <string.h>

void publish_handle(void *arg, request_t *req) {
  static const char body[] = "no such object\n";
  (void)arg;
  /* nothing is published yet: no CA has a CRL or an OCSP responder */
  request_reply(req, 404, "text/plain", NULL, body, sizeof body - 1);
}
