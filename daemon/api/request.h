#ifndef PCAD_REQUEST_H
#define PCAD_REQUEST_H
/* One HTTP request as the layers below the front door see it: parsed by
 * net/httpd, answered through its reply function. Touched on the event-loop
 * thread only. */
#include <stddef.h>

#include "api/sigv4.h"

typedef struct request request_t;

/* Sends the reply (unless the client has gone) and frees the request. */
typedef void (*request_reply_fn)(request_t *req, int status, const char *content_type,
                                 const char *err_type, const char *body, size_t len);

#define REQUEST_MAX_OUT 4

struct request {
  char rid[37];
  const char *method;
  char *path;
  char *query;
  sigv4_header_t *headers; /* as received, in order; SigV4 reads them as they are */
  size_t nheaders;
  unsigned char *body;
  size_t body_len;
  char remote[64];
  request_reply_fn reply; /* set by the front door */
  void *priv;             /* the front door's */
  struct {
    char name[32], value[96];
  } out[REQUEST_MAX_OUT]; /* headers of the reply beyond the usual ones */
  size_t nout;
};

/* Adds a header to the reply: 0, or -1 when there are REQUEST_MAX_OUT
 * already or it does not fit. */
int request_add_header(request_t *req, const char *name, const char *value);
/* The first header of that name (case-insensitive), or NULL. */
const char *request_header(const request_t *req, const char *name);
/* Every reply carries x-amzn-RequestId; err_type, if non-NULL, goes in
 * x-amzn-ErrorType. req is freed. */
void request_reply(request_t *req, int status, const char *content_type, const char *err_type,
                   const char *body, size_t len);

#endif
