#include "api/request.h"

#include <string.h>
#include <strings.h>

const char *request_header(const request_t *req, const char *name) {
  for (size_t i = 0; i < req->nheaders; i++)
    if (strcasecmp(req->headers[i].name, name) == 0)
      return req->headers[i].value;
  return NULL;
}

int request_add_header(request_t *req, const char *name, const char *value) {
  if (req->nout >= REQUEST_MAX_OUT || strlen(name) >= sizeof req->out[0].name ||
      strlen(value) >= sizeof req->out[0].value)
    return -1;
  strcpy(req->out[req->nout].name, name);
  strcpy(req->out[req->nout].value, value);
  req->nout++;
  return 0;
}

void request_reply(request_t *req, int status, const char *content_type, const char *err_type,
                   const char *body, size_t len) {
  req->reply(req, status, content_type, err_type, body, len);
}
