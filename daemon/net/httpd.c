#include "net/httpd.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/log.h"
#include "base/uuid.h"

#define HTTPD_MAX_LISTENERS 8

typedef struct httpd_listener {
  httpd_t *h;
  struct evhttp *http;
  struct evconnlistener *evl;
  httpd_handler_fn fn;
  void *arg;
  int tls;
} httpd_listener_t;

struct httpd {
  struct event_base *base;
  const cfg_t *cfg;
  SSL_CTX *ssl;
  httpd_listener_t l[HTTPD_MAX_LISTENERS];
  int nl;
  long nconns;  /* open TLS connections */
  int paused;   /* TLS accept paused at the connection cap */
};

/* Per TLS connection: the deadline timer and the request being served. It
 * lives in the SSL object's ex_data and dies with it. */
typedef struct {
  httpd_listener_t *l;
  struct bufferevent *bev;
  struct event *deadline;
  request_t *pending;
  int nodelay; /* TCP_NODELAY set */
} httpd_conn_t;

typedef struct {
  struct evhttp_request *ev;
  httpd_conn_t *conn;
} httpd_priv_t;

static int httpd_conn_idx = -1;

static void httpd_reply(request_t *req, int status, const char *content_type,
                        const char *err_type, const char *body, size_t len);

static void httpd_conn_arm(httpd_conn_t *c) {
  struct timeval tv = {c->l->h->cfg->request_timeout, 0};
  evtimer_add(c->deadline, &tv);
}

/* The whole request (handshake, headers, body) must arrive within
 * request_timeout of accept or of the previous reply: an inactivity timer
 * alone lets a client dribbling bytes hold the connection forever. */
static void httpd_on_deadline(evutil_socket_t fd, short what, void *arg) {
  httpd_conn_t *c = arg;
  evutil_socket_t s = bufferevent_getfd(c->bev);
  (void)fd;
  (void)what;
  if (s >= 0) {
    log_debug(NULL, "closing a connection that did not send a request in time");
    shutdown(s, SHUT_RDWR);
  }
}

static void httpd_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                            void *argp) {
  httpd_conn_t *c = ptr;
  httpd_t *h;
  (void)parent;
  (void)ad;
  (void)idx;
  (void)argl;
  (void)argp;
  if (!c)
    return;
  h = c->l->h;
  if (c->pending)
    ((httpd_priv_t *)c->pending->priv)->ev = NULL;
  event_free(c->deadline);
  free(c);
  h->nconns--;
  if (h->paused && h->nconns < h->cfg->max_connections) {
    for (int i = 0; i < h->nl; i++)
      if (h->l[i].tls)
        evconnlistener_enable(h->l[i].evl);
    h->paused = 0;
  }
}

static struct bufferevent *httpd_bevcb_tls(struct event_base *base, void *arg) {
  httpd_listener_t *l = arg;
  httpd_t *h = l->h;
  SSL *ssl = SSL_new(h->ssl);
  httpd_conn_t *c = calloc(1, sizeof *c);
  struct bufferevent *bev = NULL;
  if (!ssl || !c)
    goto fail;
  c->l = l;
  c->deadline = evtimer_new(base, httpd_on_deadline, c);
  if (!c->deadline)
    goto fail;
  bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                       BEV_OPT_CLOSE_ON_FREE);
  if (!bev) {
    ssl = NULL; /* freed by the failed constructor */
    goto fail;
  }
  c->bev = bev;
  SSL_set_ex_data(ssl, httpd_conn_idx, c);
  h->nconns++;
  if (h->nconns >= h->cfg->max_connections && !h->paused) {
    log_warn(NULL, "connection cap (%ld) reached: accepting paused", h->cfg->max_connections);
    for (int i = 0; i < h->nl; i++)
      if (h->l[i].tls)
        evconnlistener_disable(h->l[i].evl);
    h->paused = 1;
  }
  httpd_conn_arm(c);
  return bev;
fail:
  /* evhttp makes a plain bufferevent when we return NULL, which would speak
   * cleartext on the TLS port; a closed socket pair is safer. */
  if (c && c->deadline)
    event_free(c->deadline);
  free(c);
  if (ssl)
    SSL_free(ssl);
  log_err(NULL, "cannot set up a TLS connection");
  return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

static httpd_conn_t *httpd_conn_of(struct evhttp_request *ev) {
  struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
  struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
  SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
  return ssl ? SSL_get_ex_data(ssl, httpd_conn_idx) : NULL;
}

static void httpd_on_close(struct evhttp_connection *evcon, void *arg) {
  httpd_conn_t *c = arg;
  (void)evcon;
  if (c->pending) {
    ((httpd_priv_t *)c->pending->priv)->ev = NULL;
    c->pending = NULL;
  }
}

static const char *httpd_method(enum evhttp_cmd_type t) {
  switch (t) {
  case EVHTTP_REQ_GET:
    return "GET";
  case EVHTTP_REQ_POST:
    return "POST";
  default:
    return "OTHER";
  }
}

static void httpd_req_free(request_t *r) {
  if (!r)
    return;
  free(r->path);
  free(r->query);
  free(r->headers);
  free(r->body);
  free(r->priv);
  free(r);
}

static void httpd_on_request(struct evhttp_request *ev, void *arg) {
  httpd_listener_t *l = arg;
  struct evkeyvalq *in = evhttp_request_get_input_headers(ev);
  struct evbuffer *body = evhttp_request_get_input_buffer(ev);
  struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
  const char *uri = evhttp_request_get_uri(ev), *q;
  struct evkeyval *kv;
  request_t *r = calloc(1, sizeof *r);
  httpd_priv_t *p = calloc(1, sizeof *p);
  size_t n = 0;

  if (!r || !p || uuid_v4(r->rid) < 0) {
    free(r);
    free(p);
    evhttp_send_error(ev, 500, "Internal Server Error");
    return;
  }
  r->priv = p;
  r->reply = httpd_reply;
  p->ev = ev;
  r->method = httpd_method(evhttp_request_get_command(ev));
  q = strchr(uri, '?');
  r->path = q ? strndup(uri, (size_t)(q - uri)) : strdup(uri);
  r->query = strdup(q ? q + 1 : "");
  TAILQ_FOREACH(kv, in, next) n++;
  r->headers = calloc(n ? n : 1, sizeof *r->headers);
  r->body_len = evbuffer_get_length(body);
  r->body = malloc(r->body_len + 1);
  if (!r->path || !r->query || !r->headers || !r->body) {
    httpd_req_free(r);
    evhttp_send_error(ev, 500, "Internal Server Error");
    return;
  }
  n = 0;
  TAILQ_FOREACH(kv, in, next) {
    r->headers[n].name = kv->key;
    r->headers[n].value = kv->value;
    n++;
  }
  r->nheaders = n;
  evbuffer_remove(body, r->body, r->body_len);
  r->body[r->body_len] = '\0';
  if (evcon) {
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evcon, &addr, &port);
    snprintf(r->remote, sizeof r->remote, "%s:%u", addr ? addr : "?", port);
  }
  if (l->tls) {
    httpd_conn_t *c = httpd_conn_of(ev);
    if (c && !c->nodelay) {
      /* a reply leaves in more than one TLS record: without this, Nagle
       * and the client's delayed ACK add 40 ms to every keep-alive reply */
      int one = 1;
      c->nodelay = setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one,
                              sizeof one) == 0;
    }
    if (c) {
      evtimer_del(c->deadline);
      c->pending = r;
      p->conn = c;
      evhttp_connection_set_closecb(evcon, httpd_on_close, c);
    }
  }
  l->fn(l->arg, r);
}

static const char *httpd_reason(int status) {
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 413:
    return "Payload Too Large";
  case 500:
    return "Internal Server Error";
  case 503:
    return "Service Unavailable";
  default:
    return "Status";
  }
}

static void httpd_reply(request_t *req, int status, const char *content_type, const char *err_type,
                 const char *body, size_t len) {
  httpd_priv_t *p = req->priv;
  struct evhttp_request *ev = p->ev;
  if (ev) {
    struct evkeyvalq *out = evhttp_request_get_output_headers(ev);
    struct evbuffer *buf = evbuffer_new();
    evhttp_add_header(out, "Content-Type", content_type);
    evhttp_add_header(out, "x-amzn-RequestId", req->rid);
    if (err_type)
      evhttp_add_header(out, "x-amzn-ErrorType", err_type);
    for (size_t i = 0; i < req->nout; i++)
      evhttp_add_header(out, req->out[i].name, req->out[i].value);
    if (buf && len)
      evbuffer_add(buf, body, len);
    evhttp_send_reply(ev, status, httpd_reason(status), buf);
    if (buf)
      evbuffer_free(buf);
    if (p->conn) {
      p->conn->pending = NULL;
      httpd_conn_arm(p->conn);
    }
  } else {
    log_info(req->rid, "client went away before the reply (status %d)", status);
  }
  httpd_req_free(req);
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
  if (httpd_conn_idx < 0)
    httpd_conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, httpd_conn_free);
  return h;
}

void httpd_free(httpd_t *h) {
  if (!h)
    return;
  for (int i = 0; i < h->nl; i++)
    evhttp_free(h->l[i].http);
  SSL_CTX_free(h->ssl);
  free(h);
}

/* "host:port" -> bound evhttp listener. */
static int httpd_listen(httpd_t *h, const char *addr, int tls, httpd_handler_fn fn, void *arg,
                        err_t *e) {
  httpd_listener_t *l;
  struct evhttp_bound_socket *bs;
  char host[256];
  const char *colon = strrchr(addr, ':');
  long port;
  char *end;

  if (h->nl == HTTPD_MAX_LISTENERS)
    return err_set(e, ERR_InternalFailure, "too many listeners");
  if (!colon || (size_t)(colon - addr) >= sizeof host || colon == addr)
    return err_set(e, ERR_InternalFailure, "listen address '%s' is not host:port", addr);
  port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535)
    return err_set(e, ERR_InternalFailure, "listen address '%s' has a bad port", addr);
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  if (host[0] == '[' && host[strlen(host) - 1] == ']') {
    memmove(host, host + 1, strlen(host));
    host[strlen(host) - 1] = '\0';
  }
  l = &h->l[h->nl];
  memset(l, 0, sizeof *l);
  l->h = h;
  l->fn = fn;
  l->arg = arg;
  l->tls = tls;
  l->http = evhttp_new(h->base);
  if (!l->http)
    return err_set(e, ERR_InternalFailure, "evhttp_new failed");
  evhttp_set_max_body_size(l->http, (ev_ssize_t)h->cfg->max_request_bytes);
  evhttp_set_max_headers_size(l->http, (ev_ssize_t)h->cfg->max_header_bytes);
  evhttp_set_timeout(l->http, (int)h->cfg->request_timeout);
  evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
  evhttp_set_default_content_type(l->http, "text/plain");
  evhttp_set_gencb(l->http, httpd_on_request, l);
  if (tls)
    evhttp_set_bevcb(l->http, httpd_bevcb_tls, l);
  bs = evhttp_bind_socket_with_handle(l->http, host, (ev_uint16_t)port);
  if (!bs) {
    evhttp_free(l->http);
    return err_set(e, ERR_InternalFailure, "cannot listen on %s", addr);
  }
  l->evl = evhttp_bound_socket_get_listener(bs);
  h->nl++;
  return h->nl - 1;
}

int httpd_listen_tls(httpd_t *h, const char *addr, httpd_handler_fn fn, void *arg, err_t *e) {
  if (!h->ssl && !(h->ssl = httpd_tls_ctx(h->cfg, e)))
    return -1;
  return httpd_listen(h, addr, 1, fn, arg, e);
}

int httpd_listen_plain(httpd_t *h, const char *addr, httpd_handler_fn fn, void *arg, err_t *e) {
  return httpd_listen(h, addr, 0, fn, arg, e);
}
