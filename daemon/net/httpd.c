#include "net/httpd.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include "api/awserror.h"
#include "base/hostnames.h"
#include "base/log.h"
#include "base/sdlisten.h"
#include "base/uuid.h"
#include "net/hparse.h"

#define HTTPD_MAX_LISTENERS 8
/* Unparsed input kept per connection while a request is being served;
 * reading stops above it (pipelined requests wait in the socket). */
#define HTTPD_INPUT_HIGH (64 * 1024)
/* What a client may still send after its last reply (read and dropped
 * for at most a second) before its connection is closed at once: enough
 * for the rest of a small request, not the rest of a 4 MB body refused
 * with 413, which would keep the loop thread reading for every listener. */
#define HTTPD_LINGER_MAX (64 * 1024)

typedef struct httpd_conn httpd_conn_t;

typedef struct httpd_listener {
  httpd_t *h;
  struct evconnlistener *evl;
  const char *name;
  httpd_handler_fn fn;
  void *arg;
  int tls;
  size_t max_body;  /* the largest request body it takes (413 above) */
  long nconns, max; /* open connections, and the cap */
  int paused;       /* accepting paused at the cap */
} httpd_listener_t;

struct httpd {
  struct event_base *base;
  const cfg_t *cfg;
  SSL_CTX *ssl;
  httpd_listener_t l[HTTPD_MAX_LISTENERS];
  int nl;
  LIST_HEAD(, httpd_conn) conns;
  int draining;             /* httpd_drain: listeners closed, no new requests */
  httpd_drained_fn drained; /* then called once no connection is left */
  void *drained_arg;
};

/* One connection: its parser, the request being served (one at a time, so
 * pipelined replies leave in order) and the deadline. */
struct httpd_conn {
  LIST_ENTRY(httpd_conn) link;
  httpd_listener_t *l;
  struct bufferevent *bev;
  struct event *deadline;
  hparse_t *hp;
  request_t *req; /* handed to the handler, not answered yet */
  char remote[64];
  int flushing;   /* a reply is leaving; parse on once it has */
  int closing;    /* close once the reply has left */
  int lingering;  /* closed for writing; what still arrives is discarded */
  size_t dropped; /* bytes discarded while lingering */
};

/* What the front door keeps with a request it handed up. */
typedef struct {
  httpd_conn_t *conn; /* NULL once the connection is gone */
  char *store;        /* the header strings req->headers point into */
  int keepalive;
} httpd_priv_t;

static void httpd_reply(request_t *req, int status, const char *content_type,
                        const char *err_type, const char *body, size_t len);

/* The whole request (handshake, head, body) must arrive within
 * request_timeout of accept or of the previous reply, and a reply must
 * leave within it: an inactivity timer alone lets a client dribbling bytes
 * hold the connection forever. */
static void httpd_arm(httpd_conn_t *c) {
  struct timeval tv = {c->l->h->cfg->request_timeout, 0};
  evtimer_add(c->deadline, &tv);
}

/* A listener accepting (below its connection cap) or not (at it): the
 * connections beyond wait in the kernel's backlog. */
static void httpd_accepting(httpd_listener_t *l, int on) {
  (on ? evconnlistener_enable : evconnlistener_disable)(l->evl);
  l->paused = !on;
}

static void httpd_conn_free(httpd_conn_t *c) {
  httpd_listener_t *l = c->l;
  httpd_t *h = l->h;
  if (c->req)
    ((httpd_priv_t *)c->req->priv)->conn = NULL;
  LIST_REMOVE(c, link);
  if (c->bev)
    bufferevent_free(c->bev);
  if (c->deadline)
    event_free(c->deadline);
  hparse_free(c->hp);
  l->nconns--;
  free(c);
  if (h->draining) {
    if (h->drained && LIST_EMPTY(&h->conns))
      h->drained(h->drained_arg);
  } else if (l->paused && l->nconns < l->max) {
    httpd_accepting(l, 1);
  }
}

static void httpd_on_deadline(evutil_socket_t fd, short what, void *arg) {
  httpd_conn_t *c = arg;
  (void)fd;
  (void)what;
  log_debug(NULL, "closing the connection of %s: no request (or reply) in time", c->remote);
  httpd_conn_free(c);
}

static const char *httpd_reason(int status) {
  static const struct {
    int status;
    const char *reason;
  } reasons[] = {{100, "Continue"},
                 {200, "OK"},
                 {400, "Bad Request"},
                 {403, "Forbidden"},
                 {404, "Not Found"},
                 {405, "Method Not Allowed"},
                 {411, "Length Required"},
                 {413, "Payload Too Large"},
                 {417, "Expectation Failed"},
                 {500, "Internal Server Error"},
                 {503, "Service Unavailable"},
                 {505, "HTTP Version Not Supported"}};
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
    if (reasons[i].status == status)
      return reasons[i].reason;
  return "Status";
}

/* Status line and the headers every reply has. */
static void httpd_head(struct evbuffer *out, int status, const char *rid, const char *content_type,
                       size_t len, int close) {
  char date[64];
  time_t now = time(NULL);
  struct tm tm;
  strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
  evbuffer_add_printf(out,
                      "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\n"
                      "Content-Length: %zu\r\nx-amzn-RequestId: %s\r\n%s",
                      status, httpd_reason(status), date, content_type, len, rid,
                      close ? "Connection: close\r\n" : "");
}

/* A request the parser refused: answered (AWS-shaped on the API listener)
 * and the connection closed after it, so nothing after it is read. */
static void httpd_refuse(httpd_conn_t *c) {
  const err_t *e = hparse_error(c->hp);
  struct evbuffer *out = bufferevent_get_output(c->bev);
  char rid[37] = "-";
  char *body = c->l->tls ? awserror_body(e->code, e->msg) : NULL;
  uuid_v4(rid);
  log_info(LOG_AS(rid), "refused a request from %s: %d %s: %s", c->remote, err_status(e->code),
           err_name(e->code), e->msg);
  httpd_head(out, err_status(e->code), rid, body ? "application/x-amz-json-1.1" : "text/plain",
             body ? strlen(body) : strlen(e->msg) + 1, 1);
  evbuffer_add_printf(out, "x-amzn-ErrorType: %s\r\n\r\n", err_name(e->code));
  if (body)
    evbuffer_add(out, body, strlen(body));
  else
    evbuffer_add_printf(out, "%s\n", e->msg);
  free(body);
  c->flushing = c->closing = 1;
  bufferevent_disable(c->bev, EV_READ);
  httpd_arm(c);
}

static void httpd_req_free(request_t *r) {
  httpd_priv_t *p;
  if (!r)
    return;
  p = r->priv;
  free(r->path);
  free(r->query);
  free(r->headers);
  free(r->body);
  if (p)
    free(p->store);
  free(p);
  free(r);
}

/* The parsed request, handed to the listener's handler. */
static void httpd_dispatch(httpd_conn_t *c) {
  request_t *r = calloc(1, sizeof *r);
  httpd_priv_t *p = calloc(1, sizeof *p);
  if (r && p) {
    r->priv = p;
    p->keepalive = hparse_take(c->hp, r, &p->store);
  }
  if (!r || !p || p->keepalive < 0 || uuid_v4(r->rid) < 0) {
    if (r && !r->priv)
      free(p);
    httpd_req_free(r);
    log_err(NULL, "out of memory for a request from %s", c->remote);
    httpd_conn_free(c);
    return;
  }
  r->reply = httpd_reply;
  snprintf(r->remote, sizeof r->remote, "%s", c->remote);
  p->conn = c;
  c->req = r;
  evtimer_del(c->deadline);
  c->l->fn(c->l->arg, r);
}

static void httpd_reply(request_t *req, int status, const char *content_type, const char *err_type,
                        const char *body, size_t len) {
  httpd_priv_t *p = req->priv;
  httpd_conn_t *c = p->conn;
  struct evbuffer *out;
  if (!c) {
    log_info(LOG_AS(req->rid), "client went away before the reply (status %d)", status);
    httpd_req_free(req);
    return;
  }
  out = bufferevent_get_output(c->bev);
  c->req = NULL;
  c->closing = !p->keepalive || c->l->h->draining;
  httpd_head(out, status, req->rid, content_type, len, c->closing);
  if (err_type)
    evbuffer_add_printf(out, "x-amzn-ErrorType: %s\r\n", err_type);
  for (size_t i = 0; i < req->nout; i++)
    evbuffer_add_printf(out, "%s: %s\r\n", req->out[i].name, req->out[i].value);
  evbuffer_add(out, "\r\n", 2);
  if (len && strcmp(req->method, "HEAD") != 0)
    evbuffer_add(out, body, len);
  c->flushing = 1;
  httpd_arm(c);
  httpd_req_free(req);
}

/* Parses what has arrived, one request at a time: nothing is read past a
 * request until its reply has left. */
static void httpd_pump(httpd_conn_t *c) {
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  while (!c->req && !c->flushing) {
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer_iovec v;
    size_t used = 0;
    hparse_state_t st;
    if (evbuffer_get_length(in) == 0 || evbuffer_peek(in, -1, NULL, &v, 1) < 1)
      return;
    st = hparse_feed(c->hp, v.iov_base, v.iov_len, &used);
    evbuffer_drain(in, used);
    if (st == HPARSE_CONTINUE) {
      bufferevent_write(c->bev, cont, sizeof cont - 1);
    } else if (st == HPARSE_REFUSED) {
      httpd_refuse(c);
    } else if (st == HPARSE_REQUEST) {
      httpd_dispatch(c); /* may free c: nothing touches it after */
      return;
    }
  }
}

static void httpd_on_read(struct bufferevent *bev, void *arg) {
  httpd_conn_t *c = arg;
  struct evbuffer *in = bufferevent_get_input(bev);
  if (!c->lingering) {
    httpd_pump(c);
    return;
  }
  c->dropped += evbuffer_get_length(in);
  evbuffer_drain(in, evbuffer_get_length(in));
  if (c->dropped > HTTPD_LINGER_MAX)
    httpd_conn_free(c);
}

/* After the last reply: the write side is shut and what the client still
 * sends is read and dropped for a second (HTTPD_LINGER_MAX bytes at
 * most: then closed at once), so that closing with unread
 * bytes does not reset the connection before the client has read the
 * reply (a refused request is usually followed by more). */
static void httpd_linger(httpd_conn_t *c) {
  struct timeval tv = {1, 0};
  evutil_socket_t fd = bufferevent_getfd(c->bev);
  if (fd >= 0)
    shutdown(fd, SHUT_WR);
  c->lingering = 1;
  bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
  bufferevent_enable(c->bev, EV_READ);
  evtimer_add(c->deadline, &tv);
}

/* The output has drained: the reply has left. */
static void httpd_on_write(struct bufferevent *bev, void *arg) {
  httpd_conn_t *c = arg;
  (void)bev;
  if (!c->flushing)
    return;
  c->flushing = 0;
  if (c->closing) {
    httpd_linger(c);
    return;
  }
  httpd_arm(c);
  httpd_pump(c);
}

static void httpd_on_event(struct bufferevent *bev, short what, void *arg) {
  httpd_conn_t *c = arg;
  (void)bev;
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
    if (what & BEV_EVENT_ERROR && c->l->tls)
      log_debug(NULL, "connection from %s failed (TLS handshake or reset)", c->remote);
    ERR_clear_error();
    httpd_conn_free(c);
  }
}

static void httpd_peer(const struct sockaddr *sa, int len, char *out, size_t n) {
  char host[INET6_ADDRSTRLEN], port[8];
  if (getnameinfo(sa, (socklen_t)len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    snprintf(out, n, "?");
  else
    snprintf(out, n, "%s:%s", host, port);
}

static struct bufferevent *httpd_bev(httpd_listener_t *l, evutil_socket_t fd) {
  SSL *ssl;
  if (!l->tls)
    return bufferevent_socket_new(l->h->base, fd, BEV_OPT_CLOSE_ON_FREE);
  if (!(ssl = SSL_new(l->h->ssl)))
    return NULL;
  /* on failure the constructor frees ssl, not the socket */
  return bufferevent_openssl_socket_new(l->h->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                        BEV_OPT_CLOSE_ON_FREE);
}

static void httpd_on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                            int salen, void *arg) {
  httpd_listener_t *l = arg;
  httpd_t *h = l->h;
  httpd_conn_t *c = calloc(1, sizeof *c);
  int one = 1;
  (void)evl;
  /* a reply leaves in more than one TLS record: without this, Nagle and the
   * client's delayed ACK add 40 ms to every keep-alive reply */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!c || !(c->hp = hparse_new(h->cfg->max_header_bytes, l->max_body)) ||
      !(c->deadline = evtimer_new(h->base, httpd_on_deadline, c)) || !(c->bev = httpd_bev(l, fd))) {
    log_err(NULL, "cannot set up a connection");
    if (c && c->deadline)
      event_free(c->deadline);
    if (c)
      hparse_free(c->hp);
    free(c);
    evutil_closesocket(fd);
    return;
  }
  c->l = l;
  httpd_peer(sa, salen, c->remote, sizeof c->remote);
  LIST_INSERT_HEAD(&h->conns, c, link);
  if (++l->nconns >= l->max && !l->paused) {
    log_warn(NULL, "%s: connection cap (%ld) reached: accepting paused", l->name, l->max);
    httpd_accepting(l, 0);
  }
  bufferevent_setcb(c->bev, httpd_on_read, httpd_on_write, httpd_on_event, c);
  bufferevent_setwatermark(c->bev, EV_READ, 0, HTTPD_INPUT_HIGH);
  bufferevent_enable(c->bev, EV_READ | EV_WRITE);
  httpd_arm(c);
}

static SSL_CTX *httpd_tls_ctx(const cfg_t *cfg, err_t *e) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  unsigned long ossl;
  if (!ctx)
    goto fail;
  /* TLS 1.2+ with ECDHE and AEAD suites only (security-and-faults.md 3.2) */
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
      !SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") ||
      !SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384"))
    goto fail;
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1) {
    err_set(e, ERR_InternalFailure, "cannot load TLS certificate %s", cfg->tls_cert_file);
    goto fail_msg;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    err_set(e, ERR_InternalFailure, "cannot load TLS key %s (or it does not match the certificate)",
            cfg->tls_key_file);
    goto fail_msg;
  }
  return ctx;
fail:
  ossl = ERR_peek_last_error();
  err_set(e, ERR_InternalFailure, "TLS setup failed: %s",
          ossl ? ERR_reason_error_string(ossl) : "unknown");
fail_msg:
  ERR_clear_error();
  SSL_CTX_free(ctx);
  return NULL;
}

httpd_t *httpd_new(struct event_base *base, const cfg_t *cfg, err_t *e) {
  httpd_t *h = calloc(1, sizeof *h);
  if (!h) {
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  h->base = base;
  h->cfg = cfg;
  LIST_INIT(&h->conns);
  return h;
}

void httpd_free(httpd_t *h) {
  if (!h)
    return;
  h->drained = NULL;
  h->draining = 1;
  while (!LIST_EMPTY(&h->conns))
    httpd_conn_free(LIST_FIRST(&h->conns));
  for (int i = 0; i < h->nl; i++)
    if (h->l[i].evl)
      evconnlistener_free(h->l[i].evl);
  SSL_CTX_free(h->ssl);
  free(h);
}

void httpd_drain(httpd_t *h, httpd_drained_fn fn, void *arg) {
  httpd_conn_t *c, *next;
  long busy = 0;
  if (h->draining)
    return;
  h->draining = 1;
  for (int i = 0; i < h->nl; i++) {
    evconnlistener_free(h->l[i].evl); /* the sockets close: no one else connects */
    h->l[i].evl = NULL;
  }
  for (c = LIST_FIRST(&h->conns); c; c = next) {
    next = LIST_NEXT(c, link);
    if (c->req || (c->flushing && !c->closing)) { /* at a worker, or its reply leaving */
      c->closing = 1;
      busy++;
    } else if (!c->flushing && !c->lingering) { /* idle, or a request still arriving */
      httpd_conn_free(c);
    }
  }
  log_notice(NULL, "draining: %ld requests in flight", busy);
  h->drained = fn;
  h->drained_arg = arg;
  if (LIST_EMPTY(&h->conns))
    fn(arg);
}

/* "host:port" or "[v6]:port" -> the address to bind. */
static int httpd_addr(const char *addr, struct sockaddr_storage *ss, int *len, err_t *e) {
  socklen_t sl;
  int rc = hostnames_listen(addr, ss, &sl);
  if (rc < 0)
    return err_set(e, ERR_InternalFailure, rc == -1 ? "listen address '%s' is not host:port"
                                                    : "listen address '%s' does not resolve",
                   addr);
  *len = (int)sl;
  return 0;
}

/* The listening socket of name: the one systemd passed (socket
 * activation), else addr bound here. */
static struct evconnlistener *httpd_socket(httpd_listener_t *l, const char *name,
                                           const char *addr, err_t *e) {
  struct sockaddr_storage ss;
  int sslen = 0, fd = sdlisten_fd(name);
  unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE;
  if (fd >= 0) {
    log_notice(NULL, "%s: listening on the socket systemd passed (fd %d), not %s", name, fd,
               addr);
    evutil_make_socket_nonblocking(fd);
    return evconnlistener_new(l->h->base, httpd_on_accept, l, flags, -1, fd);
  }
  if (httpd_addr(addr, &ss, &sslen, e) < 0)
    return NULL;
  return evconnlistener_new_bind(l->h->base, httpd_on_accept, l, flags, 128,
                                 (struct sockaddr *)&ss, sslen);
}

static int httpd_listen(httpd_t *h, const char *name, const char *addr, int tls, long max,
                        size_t max_body, httpd_handler_fn fn, void *arg, err_t *e) {
  httpd_listener_t *l;
  if (h->nl == HTTPD_MAX_LISTENERS)
    return err_set(e, ERR_InternalFailure, "too many listeners");
  l = &h->l[h->nl];
  memset(l, 0, sizeof *l);
  l->h = h;
  l->name = name;
  l->fn = fn;
  l->arg = arg;
  l->tls = tls;
  l->max = max;
  l->max_body = max_body;
  err_clear(e);
  if (!(l->evl = httpd_socket(l, name, addr, e)))
    return e->code != ERR_OK ? -1 : err_set(e, ERR_InternalFailure, "cannot listen on %s", addr);
  h->nl++;
  return h->nl - 1;
}

int httpd_check_tls(const cfg_t *cfg, err_t *e) {
  SSL_CTX *ctx = httpd_tls_ctx(cfg, e);
  SSL_CTX_free(ctx);
  return ctx ? 0 : -1;
}

int httpd_reload_tls(httpd_t *h, const cfg_t *cfg, err_t *e) {
  SSL_CTX *ctx = httpd_tls_ctx(cfg, e);
  if (!ctx)
    return -1;
  SSL_CTX_free(h->ssl); /* connections made with it keep their own reference */
  h->ssl = ctx;
  return 0;
}

int httpd_listen_tls(httpd_t *h, const char *addr, httpd_handler_fn fn, void *arg, err_t *e) {
  if (!h->ssl && !(h->ssl = httpd_tls_ctx(h->cfg, e)))
    return -1;
  return httpd_listen(h, "api", addr, 1, h->cfg->max_connections,
                      (size_t)h->cfg->max_request_bytes, fn, arg, e);
}

int httpd_listen_plain(httpd_t *h, const char *name, const char *addr, long max_conns,
                       size_t max_body, httpd_handler_fn fn, void *arg, err_t *e) {
  return httpd_listen(h, name, addr, 0, max_conns, max_body, fn, arg, e);
}
