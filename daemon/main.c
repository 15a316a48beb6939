/* pcad: start-up order, signals, shutdown.
 *
 * Start: the configuration checked; the S3 client (libcurl sets OpenSSL up
 * before the token's engine is loaded); the token (p11_open: module, token
 * by label, our sessions, one login with the PIN file, the engine, the
 * probe key, the signing threads), before any other thread exists, and
 * pcad never forks; PostgreSQL (migrations by the owner role, pcad's
 * role's grants, the audit key, bucket owners, the NextToken key); the
 * credentials; then the group commit, the API's and the publish
 * listener's worker pools (each worker's connection is made here), the
 * janitor, checkpointer, publisher, reporter, router, health, listeners
 * and signals; READY=1; the loop. The loop also sends WATCHDOG=1 at half
 * $WATCHDOG_USEC (a loop that stops turning stops the pings) and loads
 * the credentials again when their file or a policy file changes.
 *
 * SIGHUP: RELOADING=1, the configuration reloaded (base/cfg.h), READY=1.
 * The first SIGTERM or SIGINT: STOPPING=1 and a drain (httpd_drain: no new
 * connections, idle ones closed, each request already at a worker
 * answered with Connection: close), bounded by [server] shutdown_grace; a
 * second signal ends it at once. A request that reached a worker gets its
 * answer: a client without an IdempotencyToken would otherwise retry a
 * committed certificate into a second one. Then main_stop undoes the start
 * in reverse: health, the workers and the group commit, the janitor (its last
 * audit events), the checkpointer (a last checkpoint after them), the
 * publisher and reporter, the listeners, the token last. */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/admin.h"
#include "base/cfg.h"
#include "api/creds.h"
#include "cli/keys.h"
#include "jobs/health.h"
#include "net/httpd.h"
#include "jobs/janitor.h"
#include "jobs/publisher.h"
#include "jobs/reporter.h"
#include "cli/auditcmd.h"
#include "core/bucketown.h"
#include "core/checkpoint.h"
#include "jobs/checkpointer.h"
#include "core/cacache.h"
#include "core/ocsp.h"
#include "base/clock.h"
#include "base/log.h"
#include "publish/s3.h"
#include "base/sdnotify.h"
#include "api/model.h"
#include "p11.h"
#include "net/publish.h"
#include "api/router.h"
#include "store/store.h"
#include "store/store_role.h"
#include "store/store_group.h"
#include "base/workq.h"

/* Everything the process holds, in start-up order. */
typedef struct {
  const char *config_path;
  cfg_t cfg;
  struct event_base *base;
  router_t *router;
  p11_t *p11;
  creds_t *creds; /* the keys the router has (a reference of main's own); NULL: none */
  workq_t *q;    /* the API's workers and queue, the API's alone */
  workq_t *pubq; /* the publish listener's own (OCSP, CRL objects) */
  httpd_t *h;
  health_t *health;
  janitor_t *janitor;
  checkpointer_t *checkpointer;
  unsigned char audit_key[KEY_ID_LEN]; /* its CKA_ID */
  publisher_t *publisher;
  reporter_t *reporter;
  pubjob_env_t pub;
  admin_env_t admin;
  ocsp_t *ocsp;
  store_group_t *group; /* the workers' group commit */
  s3_t *s3;
  bucket_t bucket;
  struct event *ev_hup, *ev_term, *ev_int, *ev_creds, *ev_grace, *ev_dog;
  struct stat creds_st; /* the credentials file as last loaded (creds_stat) */
} main_t;

/* A workq_init_fn/fini_fn pair: each worker owns one store connection. */
static void *main_worker_init(void *arg, int idx) {
  const main_t *m = arg;
  store_t *s = store_new(&m->cfg);
  (void)idx;
  if (s)
    store_group_join(s, m->group);
  return s;
}

/* The publish workers': a store connection each, outside the group commit
 * (OCSP only reads). */
static void *main_pub_worker_init(void *arg, int idx) {
  const main_t *m = arg;
  (void)idx;
  return store_new(&m->cfg);
}

static void main_worker_fini(void *state) { store_free(state); }

static void main_usage(FILE *f) {
  fprintf(f, "usage: pcad --config FILE [--check-config [--connect]]\n"
             "       pcad keys --config FILE add --account ID [--policy FILE]\n"
             "       pcad keys --config FILE list | revoke KEY_ID\n"
             "       pcad audit verify --config FILE [--key PEM] [--checkpoints DIR]\n"
             "       pcad audit key --config FILE\n"
             "       pcad --version\n");
}

static void main_version(void) {
  printf("pcad %s\n", PCAD_VERSION);
  printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
  printf("  libevent %s\n", event_get_version());
  printf("  libpq %d\n", store_lib_version());
  printf("  jansson %s\n", JANSSON_VERSION);
}

/* The keys that differ from the last load to c, handed to the janitor for
 * the audit trail (chain 'pcad'; who: the key and its account; never a
 * secret): the loop thread never touches the database. */
static void main_audit_creds(main_t *m, const creds_t *c, const char *why) {
  creds_change_t *ch = NULL;
  char note[700], seen[32];
  time_t t = clock_now();
  struct tm tm;
  int n = m->janitor ? creds_diff(m->creds, c, &ch) : 0;
  gmtime_r(&t, &tm);
  strftime(seen, sizeof seen, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (n < 0)
    log_err(LOG_AS("credentials"), "%s: the key changes are not audited: out of memory", why);
  for (int i = 0; i < n; i++) {
    snprintf(note, sizeof note, "%s seen=%s (%s)", ch[i].detail, seen, why);
    janitor_audit(m->janitor, "credentials", ch[i].event, ch[i].account[0] ? ch[i].account : NULL,
                  ch[i].key_id, note);
  }
  free(ch);
}

/* The credentials file loaded again; the router gets the new key set whole.
 * A file that cannot be loaded (unreadable, gone, wrong owner or mode)
 * leaves no key honoured until it loads again: never the old keys. */
static void main_reload_creds(main_t *m, const char *why) {
  err_t e;
  creds_t *c;
  creds_stat(m->cfg.credentials_file, &m->creds_st);
  c = creds_load(m->cfg.credentials_file, &e);
  if (c)
    log_notice(NULL, "%s: credentials reloaded (%d keys, %d lines disabled)", why,
               creds_count(c), creds_count_disabled(c));
  else
    log_err(NULL, "%s: no access key is honoured until the credentials file loads: %s", why,
            e.msg);
  main_audit_creds(m, c, why);
  router_set_creds(m->router, creds_ref(c));
  creds_free(m->creds);
  m->creds = c;
}

/* READY=1 to systemd, with what pcad serves. */
static void main_ready(const main_t *m) {
  sdnotify("READY=1\nSTATUS=serving acm-pca on https://%s, admin on %s, publish on %s",
           m->cfg.listen, m->cfg.admin_listen, m->cfg.publish_listen);
}

/* The log level and style of cfg (checked by cfg_load). */
static void main_log_style(const cfg_t *cfg) {
  log_level_t lvl;
  int json = 0, stamps = 0;
  if (log_level_parse(cfg->log_level, &lvl) == 0)
    log_set_level(lvl);
  if (log_style_parse(cfg->log_format, cfg->log_timestamps, &json, &stamps) == 0)
    log_set_style(json, stamps);
}

/* A change SIGHUP does not apply (base/cfg.c's key table says which it does). */
static void main_on_changed(const char *section, const char *key, int live, void *arg) {
  (void)arg;
  if (!live)
    log_warn(NULL, "SIGHUP: %s.%s changed: it takes effect when pcad next starts", section,
             key);
}

static void main_swap(char **a, char **b) {
  char *t = *a;
  *a = *b;
  *b = t;
}

/* SIGHUP: the config file read again; the TLS certificate and key (also
 * when rotated in place), the log level and the credentials applied; an
 * invalid file changes nothing and says why. */
static void main_reload(main_t *m) {
  cfg_t nc;
  char msg[1024];
  err_t e;
  sdnotify("RELOADING=1\nMONOTONIC_USEC=%lld", clock_now_ms() * 1000);
  if (cfg_load(&nc, m->config_path, msg, sizeof msg) < 0) {
    log_err(NULL, "SIGHUP: the configuration stays as it was: %s", msg);
    main_ready(m);
    return;
  }
  cfg_diff(&m->cfg, &nc, main_on_changed, NULL);
  if (httpd_reload_tls(m->h, &nc, &e) < 0) {
    log_err(NULL, "SIGHUP: the TLS certificate and key stay as they were: %s", e.msg);
  } else {
    main_swap(&m->cfg.tls_cert_file, &nc.tls_cert_file);
    main_swap(&m->cfg.tls_key_file, &nc.tls_key_file);
    log_notice(NULL, "SIGHUP: TLS certificate reloaded from %s", m->cfg.tls_cert_file);
  }
  main_log_style(&nc);
  main_swap(&m->cfg.log_level, &nc.log_level);
  main_swap(&m->cfg.log_format, &nc.log_format);
  main_swap(&m->cfg.log_timestamps, &nc.log_timestamps);
  main_swap(&m->cfg.credentials_file, &nc.credentials_file);
  cfg_free(&nc);
  main_reload_creds(m, "SIGHUP");
  main_ready(m);
}

static void main_on_hup(evutil_socket_t sig, short what, void *arg) {
  (void)sig;
  (void)what;
  main_reload(arg);
}

static void main_on_watchdog(evutil_socket_t fd, short what, void *arg) {
  (void)fd;
  (void)what;
  (void)arg;
  sdnotify("WATCHDOG=1");
}

static const struct timeval main_creds_period = {1, 0};

/* Once a second: a credentials file changed (`pcad keys`, an edit, its
 * owner or mode, gone or back) or a policy file one of its lines names
 * changed: the file is loaded again. */
static void main_on_creds_tick(evutil_socket_t fd, short what, void *arg) {
  main_t *m = arg;
  struct stat st;
  (void)fd;
  (void)what;
  creds_stat(m->cfg.credentials_file, &st);
  if (!creds_stat_same(&st, &m->creds_st))
    main_reload_creds(m, "credentials file changed");
  else if (creds_changed(m->creds))
    main_reload_creds(m, "a policy file changed");
}

static void main_on_drained(void *arg) {
  main_t *m = arg;
  log_notice(NULL, "drained: every request in flight was answered");
  event_base_loopexit(m->base, NULL);
}

static void main_on_grace(evutil_socket_t fd, short what, void *arg) {
  main_t *m = arg;
  (void)fd;
  (void)what;
  log_warn(NULL, "shutdown_grace (%ld s) over: stopping with requests in flight",
           m->cfg.shutdown_grace);
  event_base_loopexit(m->base, NULL);
}

/* The first SIGTERM (or SIGINT) drains: no new connections, the requests
 * in flight answered, for at most shutdown_grace seconds; a second one
 * stops at once. */
static void main_on_term(evutil_socket_t sig, short what, void *arg) {
  main_t *m = arg;
  struct timeval tv = {m->cfg.shutdown_grace, 0};
  (void)what;
  if (m->ev_grace) {
    log_notice(NULL, "signal %d again: stopping now", (int)sig);
    event_base_loopexit(m->base, NULL);
    return;
  }
  log_notice(NULL, "signal %d: shutting down, draining for at most %ld s", (int)sig,
             m->cfg.shutdown_grace);
  sdnotify("STOPPING=1\nSTATUS=draining the requests in flight");
  m->ev_grace = evtimer_new(m->base, main_on_grace, m);
  if (!m->ev_grace || evtimer_add(m->ev_grace, &tv) < 0) {
    event_base_loopexit(m->base, NULL);
    return;
  }
  event_del(m->ev_creds);
  httpd_drain(m->h, main_on_drained, m);
}

/* --check-config --connect: PostgreSQL and the token tried (one login and
 * a probe signature), each said ok or why not. 0 when both answer, else 1. */
static int main_connect(const cfg_t *cfg) {
  p11_opts_t o = {cfg->hsm_module, cfg->hsm_token_label, cfg->hsm_pin_file, 1, 1,
                  cfg->hsm_sign_timeout_ms};
  store_t *s = store_new(cfg);
  p11_err_t pe;
  p11_t *p11;
  err_t e;
  char why[256];
  int db = s && store_check(s, &e) == 0, tok;
  printf("database: %s\n", db ? "ok" : s ? e.msg : "out of memory");
  store_free(s);
  /* logged in, then a real signature with the probe key, as /readyz asks */
  p11 = p11_open(&o, &pe);
  tok = p11 && p11_check(p11, why, sizeof why);
  printf("token '%s': %s\n", cfg->hsm_token_label,
         tok ? "ok (logged in, the probe key signs)" : p11 ? why : pe.msg);
  p11_close(p11);
  return db && tok ? 0 : 1;
}

/* Checks everything that can be checked without the database or token. */
static int main_check(const cfg_t *cfg, err_t *e) {
  p11_err_t pe;
  creds_t *c = creds_load(cfg->credentials_file, e);
  if (!c)
    return -1;
  creds_free(c);
  if (access(cfg->tls_cert_file, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "tls_cert_file %s is not readable", cfg->tls_cert_file);
  if (access(cfg->tls_key_file, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "tls_key_file %s is not readable", cfg->tls_key_file);
  if (httpd_check_tls(cfg, e) < 0 || store_conninfo_check(cfg->db_conninfo, e) < 0 ||
      (cfg->db_owner_conninfo && store_conninfo_check(cfg->db_owner_conninfo, e) < 0))
    return -1;
  if (access(cfg->hsm_module, R_OK) < 0)
    return err_set(e, ERR_InternalFailure, "hsm.module %s is not readable", cfg->hsm_module);
  if (p11_pin_file_check(cfg->hsm_pin_file, &pe) < 0)
    return err_set(e, ERR_InternalFailure, "hsm.pin_file: %s", pe.msg);
  return model_init(e);
}

/* pcad keys --config FILE <command>... (cli/keys.h) */
static int main_keys(int argc, char **argv) {
  cfg_t cfg;
  char msg[1024];
  int rc;
  if (argc < 3 || strcmp(argv[0], "--config") != 0) {
    fprintf(stderr, "usage: pcad keys --config FILE add|list|revoke ...\n");
    return 2;
  }
  if (cfg_load(&cfg, argv[1], msg, sizeof msg) < 0) {
    fprintf(stderr, "pcad keys: config: %s\n", msg);
    return 1;
  }
  rc = keys_main(cfg.credentials_file, argc - 2, argv + 2);
  cfg_free(&cfg);
  return rc;
}

/* The command line: -1 to go on, else the exit code. */
static int main_args(int argc, char **argv, const char **config, int *check) {
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                       {"check-config", no_argument, NULL, 't'},
                                       {"connect", no_argument, NULL, 'C'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = getopt_long(argc, argv, "c:tVh", opts, NULL)) != -1) {
    switch (opt) {
    case 'c':
      *config = optarg;
      break;
    case 't':
      *check |= 1;
      break;
    case 'C':
      *check |= 2;
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
  if (!*config || optind != argc || *check == 2) { /* --connect only with --check-config */
    main_usage(stderr);
    return 2;
  }
  return -1;
}

/* The schema, made by the owner role ([database] owner_conninfo; without
 * one, by pcad's own role, which is then told how to split), pcad's role's
 * rights, and the audit key (made the first time). */
static int main_schema(main_t *m, store_t *store, err_t *e) {
  const char *oc = m->cfg.db_owner_conninfo;
  store_t *owner = oc && *oc ? store_new_as(&m->cfg, oc) : NULL;
  ctx_t c = ctx_new("start", &m->cfg, store, m->p11);
  char role[64], why[96];
  int rc = -1, exposed;
  if (oc && *oc && !owner)
    return err_set(e, ERR_InternalFailure, "out of memory");
  if (store_migrate(owner ? owner : store, store_migrations, e) < 0 ||
      store_role_current(store, role, e) < 0 ||
      (owner && store_role_grant(owner, role, e) < 0) ||
      (exposed = store_role_audit_exposed(store, why, sizeof why, e)) < 0)
    goto out;
  if (exposed)
    log_warn(NULL, "database: pcad's role '%s' %s, so it could rewrite the audit trail: let an "
             "owner role of its own run the migrations ([database] owner_conninfo) and give pcad "
             "a role without those rights (docs/OPERATIONS.md, \"Database roles\")", role, why);
  rc = checkpoint_key(&c, 1, m->audit_key, e);
out:
  store_free(owner);
  return rc;
}

/* The token (before any thread exists; pcad never forks after this), the
 * schema and the page key, the credentials. */
static int main_open(main_t *m, unsigned char page_key[32]) {
  p11_err_t pe;
  err_t e;
  store_t *store;
  p11_opts_t o = {m->cfg.hsm_module,
                  m->cfg.hsm_token_label,
                  m->cfg.hsm_pin_file,
                  (int)m->cfg.hsm_sign_threads,
                  (int)m->cfg.hsm_sign_queue_max,
                  m->cfg.hsm_sign_timeout_ms};
  /* libcurl sets OpenSSL up: before the token's engine is */
  if (s3_new(&m->cfg, &m->s3, &e) < 0) {
    log_err(NULL, "s3: %s", e.msg);
    return -1;
  }
  m->bucket = (bucket_t){m->cfg.bucket_root, (int)m->cfg.bucket_autocreate, m->s3};
  m->p11 = p11_open(&o, &pe);
  if (!m->p11) {
    log_err(NULL, "token: %s", pe.msg);
    return -1;
  }
  log_notice(NULL, "token '%s' logged in", m->cfg.hsm_token_label);
  store = store_new(&m->cfg);
  /* bucket owners after the migrations: the configuration's, then those
   * of buckets named before owners existed */
  if (!store || main_schema(m, store, &e) < 0 ||
      bucketown_start(store, m->cfg.bucket_owners, &e) < 0 ||
      store_secret(store, "next_token_key", page_key, &e) < 0) {
    log_err(NULL, "database: %s", store ? e.msg : "out of memory");
    store_free(store);
    return -1;
  }
  store_free(store);
  creds_stat(m->cfg.credentials_file, &m->creds_st);
  m->creds = creds_load(m->cfg.credentials_file, &e);
  if (!m->creds) {
    log_err(NULL, "credentials: %s", e.msg);
    return -1;
  }
  return 0;
}

/* WATCHDOG=1 at half the period systemd asks for (WatchdogSec=), from the
 * event loop: a loop that stops turning stops the pings. */
static int main_watchdog(main_t *m) {
  long long usec = sdnotify_watchdog_usec();
  struct timeval tv = {(time_t)(usec / 2 / 1000000), (suseconds_t)(usec / 2 % 1000000)};
  if (usec == 0)
    return 0;
  m->ev_dog = event_new(m->base, -1, EV_PERSIST, main_on_watchdog, m);
  return m->ev_dog && event_add(m->ev_dog, &tv) == 0 ? 0 : -1;
}

/* Workers, janitor, publisher, reporter, router, health, listeners and signals. */
static int main_start(main_t *m, const unsigned char page_key[32]) {
  err_t e;
  creds_t *router_creds;
  evthread_use_pthreads();
  m->base = event_base_new();
  if (!m->base)
    return -1;
  m->group = store_group_new(&m->cfg);
  m->q = m->group ? workq_new(m->base, (int)m->cfg.worker_threads, (int)m->cfg.queue_max,
                              main_worker_init, main_worker_fini, m)
                  : NULL;
  m->pubq = workq_new(m->base, (int)m->cfg.publish_worker_threads, (int)m->cfg.publish_queue_max,
                      main_pub_worker_init, main_worker_fini, m);
  m->ocsp = ocsp_new(m->cfg.ocsp_cache_entries, m->cfg.ocsp_cache_seconds);
  m->janitor = m->ocsp ? janitor_start(&m->cfg, m->p11, ocsp_count(m->ocsp)) : NULL;
  m->checkpointer = checkpointer_start(&m->cfg, m->p11, &m->bucket, m->audit_key);
  m->publisher = publisher_start(&m->cfg, &m->bucket, m->p11);
  m->reporter = reporter_start(&m->cfg, &m->bucket);
  router_creds = creds_ref(m->creds); /* the router's own reference */
  m->router = m->q && m->pubq && m->janitor && m->checkpointer && m->publisher && m->reporter
                  ? router_new(&m->cfg, m->q, page_key, router_creds, m->p11, janitor_kick,
                               m->janitor)
                  : NULL;
  if (!m->router) {
    creds_free(router_creds);
    log_err(NULL, "cannot start the worker pool");
    return -1;
  }
  m->pub = (pubjob_env_t){&m->cfg, m->pubq, m->p11, m->ocsp};
  m->health = health_start(&m->cfg, m->p11);
  m->admin = (admin_env_t){m->health, m->q, m->pubq};
  m->h = httpd_new(m->base, &m->cfg, &e);
  if (!m->ocsp || !m->health || !m->h ||
      httpd_listen_tls(m->h, m->cfg.listen, router_handle, m->router, &e) < 0 ||
      httpd_listen_plain(m->h, "admin", m->cfg.admin_listen, m->cfg.admin_max_connections,
                         ADMIN_MAX_BODY, admin_handle, &m->admin, &e) < 0 ||
      httpd_listen_plain(m->h, "publish", m->cfg.publish_listen, m->cfg.publish_max_connections,
                         PUBLISH_MAX_BODY, publish_handle, &m->pub, &e) < 0) {
    log_err(NULL, "listeners: %s", m->ocsp && m->health && m->h ? e.msg : "cannot start");
    return -1;
  }
  m->ev_hup = evsignal_new(m->base, SIGHUP, main_on_hup, m);
  m->ev_creds = event_new(m->base, -1, EV_PERSIST, main_on_creds_tick, m);
  if (!m->ev_creds || event_add(m->ev_creds, &main_creds_period) < 0)
    return -1;
  m->ev_term = evsignal_new(m->base, SIGTERM, main_on_term, m);
  m->ev_int = evsignal_new(m->base, SIGINT, main_on_term, m);
  if (!m->ev_hup || !m->ev_term || !m->ev_int || evsignal_add(m->ev_hup, NULL) < 0 ||
      evsignal_add(m->ev_term, NULL) < 0 || evsignal_add(m->ev_int, NULL) < 0)
    return -1;
  return main_watchdog(m);
}

/* Everything main_open and main_start made, in reverse. */
static void main_stop(main_t *m) {
  struct event *evs[] = {m->ev_hup, m->ev_term, m->ev_int, m->ev_creds, m->ev_grace, m->ev_dog};
  for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
    if (evs[i])
      event_free(evs[i]);
  health_stop(m->health);
  workq_free(m->q);
  workq_free(m->pubq);
  if (m->group) {
    store_group_stats_t st;
    store_group_stats(m->group, &st);
    log_notice(NULL, "group commit: %ld statements in %ld transactions, %ld run again alone",
               st.statements, st.batches, st.retried_alone);
  }
  store_group_free(m->group);
  janitor_stop(m->janitor);
  checkpointer_stop(m->checkpointer); /* after the janitor's last events */
  publisher_stop(m->publisher);
  reporter_stop(m->reporter);
  httpd_free(m->h);
  ocsp_free(m->ocsp);
  cacache_flush();
  router_free(m->router);
  creds_free(m->creds);
  s3_free(m->s3);
  p11_close(m->p11);
  if (m->base)
    event_base_free(m->base);
  cfg_free(&m->cfg);
}

int main(int argc, char **argv) {
  const char *config = NULL;
  int check = 0, rc = 1;
  main_t m;
  char msg[1024];
  err_t e;
  unsigned char page_key[32];

  memset(&m, 0, sizeof m);
  err_clear(&e);
  if (argc >= 2 && strcmp(argv[1], "keys") == 0)
    return main_keys(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "audit") == 0)
    return auditcmd_main(argc - 2, argv + 2);
  if ((rc = main_args(argc, argv, &config, &check)) >= 0)
    return rc;
  rc = 1;
  m.config_path = config;
  if (cfg_load(&m.cfg, config, msg, sizeof msg) < 0) {
    log_err(NULL, "config: %s", msg);
    return 1;
  }
  main_log_style(&m.cfg);
  if (main_check(&m.cfg, &e) < 0) {
    log_err(NULL, "config: %s", e.msg);
  } else if (check) {
    printf("%s: configuration ok\n", config);
    rc = check & 2 ? main_connect(&m.cfg) : 0;
  } else {
    int up;
    signal(SIGPIPE, SIG_IGN);
    up = main_open(&m, page_key) == 0 && main_start(&m, page_key) == 0;
    OPENSSL_cleanse(page_key, sizeof page_key); /* the router keeps its own copy */
    if (up) {
      log_notice(NULL,
                 "pcad %s serving acm-pca on https://%s (region %s), admin on %s, publish on %s",
                 PCAD_VERSION, m.cfg.listen, m.cfg.region, m.cfg.admin_listen,
                 m.cfg.publish_listen);
      main_ready(&m);
      event_base_dispatch(m.base);
      rc = 0;
    }
  }
  main_stop(&m);
  return rc;
}
