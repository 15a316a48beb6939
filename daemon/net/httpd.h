#ifndef PCAD_HTTPD_H
#define PCAD_HTTPD_H
/* The HTTP(S) front door: listeners, TLS, connections (each request framed
 * by net/hparse.c), limits, deadlines, the connection cap. Everything here
 * runs on the event-loop thread.
 *
 * HTTP/1.1 on libevent bufferevents (bufferevent_openssl for the API: TLS
 * 1.2 and up, ECDHE with AEAD suites only). A connection parses one
 * request, hands it up as a request_t and reads nothing more until its
 * reply has left, so pipelined replies keep their order. Each request must
 * arrive whole within [server] request_timeout of the accept or of the
 * previous reply, and its reply leave within it too, or the connection is
 * closed. A refusal (AWS-shaped JSON on the API listener) is sent with
 * Connection: close; then the write side is shut and what still arrives is
 * read and dropped for a second (a lingering close), so the client reads
 * the reply instead of a reset. */
#include <event2/event.h>
#include <stddef.h>

#include "base/cfg.h"
#include "base/err.h"
#include "api/request.h"

typedef struct httpd httpd_t;

/* Called for each request; the handler answers it with request_reply(). */
typedef void (*httpd_handler_fn)(void *arg, request_t *req);

MUST_CHECK
httpd_t *httpd_new(struct event_base *base, const cfg_t *cfg, err_t *e);
void httpd_free(httpd_t *h);
/* The signed API listener: HTTPS with the cfg's certificate and key. Each
 * listener binds its addr, or takes the socket systemd passed under its
 * name ("api" here; base/sdlisten.h). */
MUST_CHECK
int httpd_listen_tls(httpd_t *h, const char *addr, httpd_handler_fn fn, void *arg, err_t *e);
/* Whether cfg's TLS certificate and key load and match: 0, or -1. */
MUST_CHECK
int httpd_check_tls(const cfg_t *cfg, err_t *e);
/* New TLS connections use cfg's certificate and key from now on (the open
 * ones keep theirs); -1 (and the old ones stay) when they cannot be loaded. */
MUST_CHECK
int httpd_reload_tls(httpd_t *h, const cfg_t *cfg, err_t *e);
/* Plain HTTP listeners, name "admin" or "publish", with their own cap on
 * open connections (at it, accepting pauses until one closes; the API's
 * cap is server.max_connections) and on a request's body (above it: 413,
 * the connection closed; the API's is server.max_request_bytes). */
MUST_CHECK
int httpd_listen_plain(httpd_t *h, const char *name, const char *addr, long max_conns,
                       size_t max_body, httpd_handler_fn fn, void *arg, err_t *e);

typedef void (*httpd_drained_fn)(void *arg);
/* Stops serving: closes the listeners and the connections with no request
 * at a worker; each request in flight is answered (Connection: close) and
 * its connection closed; fn(arg) runs when no connection is left (at
 * once, when none was busy). */
void httpd_drain(httpd_t *h, httpd_drained_fn fn, void *arg);
#endif
