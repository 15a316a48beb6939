#ifndef PCAD_HTTPD_H
#define PCAD_HTTPD_H
/* The HTTP(S) front door: listeners, TLS, limits, deadlines, connection cap.
 * The only file that includes event2/http*.h. Everything here runs on the
 * event-loop thread. */
#include <event2/event.h>
#include <stddef.h>

#include "cfg.h"
#include "err.h"

typedef struct httpd httpd_t;

typedef struct {
  const char *name;
  const char *value;
} httpd_header_t;

/* One request, owned by httpd until httpd_reply() hands it back. */
typedef struct httpd_req {
  char rid[37];
  const char *method;
  char *path;
  char *query;
  httpd_header_t *headers;
  size_t nheaders;
  unsigned char *body;
  size_t body_len;
  char remote[64];
  void *priv; /* httpd's */
} httpd_req_t;

typedef void (*httpd_handler_fn)(void *arg, httpd_req_t *req);

httpd_t *httpd_new(struct event_base *base, const cfg_t *cfg, err_t *e);
void httpd_free(httpd_t *h);
/* The signed API listener: HTTPS with the cfg's certificate and key. */
int httpd_listen_tls(httpd_t *h, const char *addr, httpd_handler_fn fn, void *arg, err_t *e);
/* Plain HTTP listeners (admin, publish). */
int httpd_listen_plain(httpd_t *h, const char *addr, httpd_handler_fn fn, void *arg, err_t *e);
/* Headers present more than once are all returned by the iteration in
 * req->headers; this gives the first. */
const char *httpd_header(const httpd_req_t *req, const char *name);
/* Sends the reply (unless the client has gone) and frees req. Every reply
 * carries x-amzn-RequestId. err_type, if non-NULL, goes in x-amzn-ErrorType. */
void httpd_reply(httpd_req_t *req, int status, const char *content_type, const char *err_type,
                 const char *body, size_t len);

#endif
