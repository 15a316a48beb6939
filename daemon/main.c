/* pcad: start-up order, signals, shutdown. */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "cfg.h"
#include "creds.h"
#include "health.h"
#include "httpd.h"
#include "janitor.h"
#include "log.h"
#include "model.h"
#include "p11.h"
#include "publish.h"
#include "router.h"
#include "store.h"
#include "workq.h"

typedef struct {
  cfg_t cfg;
  struct event_base *base;
  router_t *router;
} main_t;

static void main_usage(FILE *f) {
  fprintf(f, "usage: pcad --config FILE [--check-config]\n"
             "       pcad --version\n");
}

static void main_version(void) {
  printf("pcad %s\n", PCAD_VERSION);
  printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
  printf("  libevent %s\n", event_get_version());
  printf("  libpq %d\n", store_lib_version());
  printf("  jansson %s\n", JANSSON_VERSION);
}

static void main_on_hup(evutil_socket_t sig, short what, void *arg) {
  main_t *m = arg;
  err_t e;
  creds_t *c;
  (void)sig;
  (void)what;
  c = creds_load(m->cfg.credentials_file, &e);
  if (!c) {
    log_err(NULL, "SIGHUP: credentials not reloaded, the old ones stay: %s", e.msg);
    return;
  }
  router_set_creds(m->router, c);
  log_notice(NULL, "SIGHUP: credentials reloaded (%d keys)", creds_count(c));
}

static void main_on_term(evutil_socket_t sig, short what, void *arg) {
  main_t *m = arg;
  (void)what;
  log_notice(NULL, "signal %d: shutting down", (int)sig);
  event_base_loopexit(m->base, NULL);
}

/* Checks everything that can be checked without the database or token. */
static int main_check(const cfg_t *cfg, err_t *e) {
  creds_t *c = creds_load(cfg->credentials_file, e);
  if (!c)
    return -1;
  creds_free(c);
  if (access(cfg->tls_cert_file, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "tls_cert_file %s is not readable", cfg->tls_cert_file);
  if (access(cfg->tls_key_file, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "tls_key_file %s is not readable", cfg->tls_key_file);
  if (access(cfg->hsm_module, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "hsm.module %s is not readable", cfg->hsm_module);
  if (access(cfg->hsm_pin_file, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "hsm.pin_file %s is not readable", cfg->hsm_pin_file);
  return model_init(e);
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"check-config", no_argument, NULL, 't'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *config = NULL;
  int check = 0, opt, rc = 1;
  main_t m;
  char msg[1024];
  err_t e;
  log_level_t lvl;
  p11_t *p11 = NULL;
  store_t *store = NULL;
  creds_t *creds = NULL;
  workq_t *q = NULL;
  httpd_t *h = NULL;
  health_t *health = NULL;
  janitor_t *janitor = NULL;
  unsigned char page_key[32];
  struct event *ev_hup = NULL, *ev_term = NULL, *ev_int = NULL;

  memset(&m, 0, sizeof m);
  err_clear(&e);
  while ((opt = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
    switch (opt) {
    case 'c':
      config = optarg;
      break;
    case 't':
      check = 1;
      break;
    case 'V':
      main_version();
      return 0;
    case 'h':
      main_usage(stdout);
      return 0;
    default:
      main_usage(stderr);
      return 2;
    }
  }
  if (!config || optind != argc) {
    main_usage(stderr);
    return 2;
  }
  if (cfg_load(&m.cfg, config, msg, sizeof msg) < 0) {
    log_err(NULL, "config: %s", msg);
    return 1;
  }
  if (log_level_parse(m.cfg.log_level, &lvl) == 0)
    log_set_level(lvl);
  if (main_check(&m.cfg, &e) < 0) {
    log_err(NULL, "config: %s", e.msg);
    goto out;
  }
  if (check) {
    printf("%s: configuration ok\n", config);
    rc = 0;
    goto out;
  }
  signal(SIGPIPE, SIG_IGN);

  /* the token before any thread exists; pcad never forks after this */
  p11 = p11_open(m.cfg.hsm_module, m.cfg.hsm_token_label, m.cfg.hsm_pin_file, &e);
  if (!p11) {
    log_err(NULL, "token: %s", e.msg);
    goto out;
  }
  log_notice(NULL, "token '%s' logged in", m.cfg.hsm_token_label);

  store = store_new(m.cfg.db_conninfo, m.cfg.db_connect_timeout);
  if (!store || store_migrate(store, store_migrations, &e) < 0 ||
      store_secret(store, "next_token_key", page_key, &e) < 0) {
    log_err(NULL, "database: %s", e.msg);
    goto out;
  }
  store_free(store);
  store = NULL;

  creds = creds_load(m.cfg.credentials_file, &e);
  if (!creds) {
    log_err(NULL, "credentials: %s", e.msg);
    goto out;
  }

  evthread_use_pthreads();
  m.base = event_base_new();
  if (!m.base)
    goto out;
  q = workq_new(m.base, (int)m.cfg.worker_threads, (int)m.cfg.queue_max, router_worker_init,
                router_worker_fini, &m.cfg);
  janitor = janitor_start(&m.cfg, p11);
  m.router = q && janitor ? router_new(&m.cfg, q, page_key, creds, p11, janitor) : NULL;
  OPENSSL_cleanse(page_key, sizeof page_key);
  if (!m.router) {
    log_err(NULL, "cannot start the worker pool");
    goto out;
  }
  creds = NULL; /* the router owns them */
  health = health_start(m.cfg.db_conninfo, m.cfg.db_connect_timeout, p11);
  h = httpd_new(m.base, &m.cfg, &e);
  if (!health || !h || httpd_listen_tls(h, m.cfg.listen, router_handle, m.router, &e) < 0 ||
      httpd_listen_plain(h, m.cfg.admin_listen, admin_handle, health, &e) < 0 ||
      httpd_listen_plain(h, m.cfg.publish_listen, publish_handle, NULL, &e) < 0) {
    log_err(NULL, "listeners: %s", e.msg);
    goto out;
  }
  ev_hup = evsignal_new(m.base, SIGHUP, main_on_hup, &m);
  ev_term = evsignal_new(m.base, SIGTERM, main_on_term, &m);
  ev_int = evsignal_new(m.base, SIGINT, main_on_term, &m);
  if (!ev_hup || !ev_term || !ev_int || evsignal_add(ev_hup, NULL) < 0 ||
      evsignal_add(ev_term, NULL) < 0 || evsignal_add(ev_int, NULL) < 0)
    goto out;
  log_notice(NULL, "pcad %s serving acm-pca on https://%s (region %s), admin on %s, publish on %s",
             PCAD_VERSION, m.cfg.listen, m.cfg.region, m.cfg.admin_listen,
             m.cfg.publish_listen);
  event_base_dispatch(m.base);
  rc = 0;
out:
  if (ev_hup)
    event_free(ev_hup);
  if (ev_term)
    event_free(ev_term);
  if (ev_int)
    event_free(ev_int);
  health_stop(health);
  workq_free(q);
  janitor_stop(janitor);
  httpd_free(h);
  router_free(m.router);
  creds_free(creds);
  store_free(store);
  p11_close(p11);
  if (m.base)
    event_base_free(m.base);
  cfg_free(&m.cfg);
  return rc;
}
