#include "api/request.h"

#include <strings.h>

const char *request_header(const request_t *req, const char *name) {
  for (size_t i = 0; i < req->nheaders; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  return NULL;
}

void request_reply(request_t *req, int status, const char *content_type, const char *err_type,
                   const char *body, size_t len) {
  req->reply(req, status, content_type, err_type, body, len);
}
