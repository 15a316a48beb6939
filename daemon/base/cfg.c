#include "base/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/hostnames.h"
#include "base/log.h"

/* CFG_OWNERS: repeatable; each line "BUCKET ACCOUNT[,ACCOUNT...]" is checked
 * and kept as "BUCKET ACCOUNT,ACCOUNT", the lines joined by '\n'. */
typedef enum { CFG_STR, CFG_INT, CFG_LEVEL, CFG_OWNERS } cfg_type_t;

#define CFG_LIVE 1       /* SIGHUP applies a change (daemon/main.c); others wait */
#define CFG_CREDENTIAL 2 /* may be "credential:NAME" (systemd's LoadCredential=) */

typedef struct {
  const char *section;
  const char *key;
  cfg_type_t type;
  size_t off;
  const char *def;
  long min, max; /* CFG_INT only */
  int required;
  unsigned flags; /* CFG_LIVE, CFG_CREDENTIAL */
} cfg_key_t;

#define S(sec, key, field, def, req) {sec, key, CFG_STR, offsetof(cfg_t, field), def, 0, 0, req, 0}
#define SF(sec, key, field, def, req, flags)                                              \
  {sec, key, CFG_STR, offsetof(cfg_t, field), def, 0, 0, req, flags}
#define I(sec, key, field, def, lo, hi)                                                   \
  {sec, key, CFG_INT, offsetof(cfg_t, field), def, lo, hi, 0, 0}

static const cfg_key_t cfg_keys[] = {
    S("server", "listen", listen, "127.0.0.1:8443", 0),
    S("server", "names", server_names, "", 0),
    SF("server", "tls_cert_file", tls_cert_file, NULL, 1, CFG_LIVE),
    SF("server", "tls_key_file", tls_key_file, NULL, 1, CFG_LIVE),
    I("server", "worker_threads", worker_threads, "16", 1, 256),
    I("server", "queue_max", queue_max, "256", 1, 1000000),
    I("server", "max_request_bytes", max_request_bytes, "4194304", 1024, 1073741824),
    I("server", "max_header_bytes", max_header_bytes, "16384", 1024, 1048576),
    I("server", "max_connections", max_connections, "512", 1, 1000000),
    I("server", "request_timeout", request_timeout, "10", 1, 3600),
    I("server", "shutdown_grace", shutdown_grace, "20", 0, 3600),
    I("server", "queue_wait_ms", queue_wait_ms, "5000", 10, 600000),
    S("admin", "listen", admin_listen, "127.0.0.1:9102", 0),
    I("admin", "allow_remote", admin_allow_remote, "0", 0, 1),
    I("admin", "max_connections", admin_max_connections, "16", 1, 100000),
    S("publish", "listen", publish_listen, "127.0.0.1:8080", 0),
    I("publish", "max_connections", publish_max_connections, "256", 1, 1000000),
    I("publish", "worker_threads", publish_worker_threads, "4", 1, 64),
    I("publish", "queue_max", publish_queue_max, "64", 1, 1000000),
    S("publish", "bucket_root", bucket_root, "/var/lib/pcad/buckets", 0),
    I("publish", "crl_publish_delay", crl_publish_delay, "5", 0, 3600),
    I("publish", "bucket_autocreate", bucket_autocreate, "1", 0, 1),
    I("publish", "crl_partition_size", crl_partition_size, "10000", 1, 1000000),
    I("publish", "audit_report_interval", audit_report_interval, "1800", 0, 86400),
    I("publish", "ocsp_cache_entries", ocsp_cache_entries, "16384", 0, 16777216),
    I("publish", "ocsp_cache_seconds", ocsp_cache_seconds, "300", 1, 3000),
    {"publish", "bucket_owner", CFG_OWNERS, offsetof(cfg_t, bucket_owners), NULL, 0, 0, 0, 0},
    S("s3", "endpoint", s3_endpoint, NULL, 0),
    S("s3", "region", s3_region, NULL, 0),
    S("s3", "access_key_id", s3_access_key_id, NULL, 0),
    SF("s3", "secret_access_key_file", s3_secret_file, NULL, 0, CFG_CREDENTIAL),
    S("aws", "partition", partition, "aws", 0),
    S("aws", "region", region, "us-east-1", 0),
    SF("aws", "credentials_file", credentials_file, NULL, 1, CFG_LIVE | CFG_CREDENTIAL),
    I("aws", "max_clock_skew", max_clock_skew, "900", 1, 86400),
    I("aws", "ca_quota", ca_quota, "200", 1, 1000000),
    S("hsm", "module", hsm_module, NULL, 1),
    S("hsm", "token_label", hsm_token_label, NULL, 1),
    SF("hsm", "pin_file", hsm_pin_file, NULL, 1, CFG_CREDENTIAL),
    I("hsm", "sign_threads", hsm_sign_threads, "4", 1, 64),
    I("hsm", "sign_queue_max", hsm_sign_queue_max, "256", 1, 1000000),
    I("hsm", "sign_timeout_ms", hsm_sign_timeout_ms, "5000", 100, 600000),
    S("database", "conninfo", db_conninfo, NULL, 1),
    S("database", "owner_conninfo", db_owner_conninfo, NULL, 0),
    I("database", "connect_timeout", db_connect_timeout, "3", 1, 600),
    I("database", "statement_timeout_ms", db_statement_timeout_ms, "5000", 100, 600000),
    I("database", "group_commit_max", db_group_commit_max, "32", 1, 64),
    I("audit", "checkpoint_interval", audit_checkpoint_interval, "300", 1, 86400),
    S("audit", "checkpoint_bucket", audit_checkpoint_bucket, "pcad-audit", 0),
    I("janitor", "interval", janitor_interval, "60", 1, 86400),
    I("janitor", "pending_deadline", janitor_pending_deadline, "120", 5, 86400),
    {"log", "level", CFG_LEVEL, offsetof(cfg_t, log_level), "info", 0, 0, 0, CFG_LIVE},
    SF("log", "format", log_format, "text", 0, CFG_LIVE),
    SF("log", "timestamps", log_timestamps, "auto", 0, CFG_LIVE),
};
#define CFG_NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

typedef struct {
  cfg_t *c;
  char msg[256];
  unsigned char seen[CFG_NKEYS];
} cfg_parse_t;

/* S3's bucket naming rules (as shape/revcfg.c applies them to requests). */
static int cfg_bucket_ok(const char *b, size_t n) {
  int ok = n >= 3 && n <= 63 && (isdigit((unsigned char)b[0]) || islower((unsigned char)b[0])) &&
           (isdigit((unsigned char)b[n - 1]) || islower((unsigned char)b[n - 1]));
  for (size_t i = 0; ok && i < n; i++)
    ok = (islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-' ||
          b[i] == '.') && !(i && b[i] == '.' && b[i - 1] == '.');
  return ok;
}

/* One bucket_owner line, "BUCKET ACCOUNT[,ACCOUNT...]" (spaces or commas
 * between the accounts), appended to *field as "BUCKET ACCOUNT,ACCOUNT". */
static int cfg_owner_add(char **field, const cfg_key_t *k, const char *value, char *msg,
                         size_t msglen) {
  static const char sep[] = " \t,";
  size_t blen = strcspn(value, sep), have = *field ? strlen(*field) : 0, n = 0;
  const char *p = value + blen;
  char *line = malloc(strlen(value) + 2), *all = NULL;
  if (!line)
    return -1;
  memcpy(line, value, blen);
  line[blen] = ' ';
  n = blen + 1;
  while (*(p += strspn(p, sep))) {
    size_t alen = strcspn(p, sep), d = 0;
    while (d < alen && isdigit((unsigned char)p[d]))
      d++;
    if (alen != 12 || d != 12)
      break;
    if (n > blen + 1)
      line[n++] = ',';
    memcpy(line + n, p, 12);
    n += 12;
    p += 12;
  }
  line[n] = 0;
  if (!cfg_bucket_ok(value, blen) || *p || n == blen + 1)
    snprintf(msg, msglen, "%s.%s: '%s' is not BUCKET ACCOUNT[,ACCOUNT...] (a bucket name by "
             "S3's rules, 12-digit account ids)", k->section, k->key, value);
  for (const char *l = *field; !*msg && l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
    if (strncmp(l, line, blen + 1) == 0)
      snprintf(msg, msglen, "%s.%s: bucket %.*s is given twice", k->section, k->key, (int)blen,
               value);
  if (!*msg && (all = realloc(*field, have + n + 2))) {
    snprintf(all + have, n + 2, "%s%s", have ? "\n" : "", line);
    *field = all;
  }
  free(line);
  return all ? 0 : -1;
}

/* A 0/1 key also takes these words. */
static const struct {
  const char *word;
  long v;
} cfg_switches[] = {{"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {"on", 1}, {"off", 0}};

static int cfg_switch(const char *value, long *v) {
  for (size_t i = 0; i < sizeof cfg_switches / sizeof cfg_switches[0]; i++)
    if (strcasecmp(value, cfg_switches[i].word) == 0) {
      *v = cfg_switches[i].v;
      return 0;
    }
  return -1;
}

static int cfg_set(cfg_t *c, const cfg_key_t *k, const char *value, char *msg, size_t msglen) {
  void *field = (char *)c + k->off;
  if (k->type == CFG_OWNERS) /* an empty line adds nothing */
    return *value ? cfg_owner_add((char **)field, k, value, msg, msglen) : 0;
  if (k->type == CFG_INT) {
    char *end;
    long v;
    if (k->min == 0 && k->max == 1 && cfg_switch(value, &v) == 0) {
      *(long *)field = v;
      return 0;
    }
    errno = 0;
    v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < k->min || v > k->max) {
      snprintf(msg, msglen, "%s.%s: '%s' is not an integer in %ld..%ld", k->section,
               k->key, value, k->min, k->max);
      return -1;
    }
    *(long *)field = v;
    return 0;
  }
  if (k->type == CFG_LEVEL) {
    log_level_t lvl;
    if (log_level_parse(value, &lvl) < 0) {
      snprintf(msg, msglen, "%s.%s: '%s' is not one of err, warning, notice, info, debug",
               k->section, k->key, value);
      return -1;
    }
  }
  if (k->required && !*value) {
    snprintf(msg, msglen, "%s.%s must not be empty", k->section, k->key);
    return -1;
  }
  free(*(char **)field);
  *(char **)field = strdup(value);
  return *(char **)field ? 0 : -1;
}

static int cfg_handler(void *user, const char *section, const char *name, const char *value) {
  cfg_parse_t *p = user;
  if (p->msg[0]) /* libinih goes on after an error; keep the first message */
    return 0;
  for (size_t i = 0; i < CFG_NKEYS; i++) {
    if (strcmp(cfg_keys[i].section, section) || strcmp(cfg_keys[i].key, name))
      continue;
    if (p->seen[i] && cfg_keys[i].type != CFG_OWNERS) {
      snprintf(p->msg, sizeof p->msg, "%s.%s is set twice", section, name);
      return 0;
    }
    p->seen[i] = 1;
    return cfg_set(p->c, &cfg_keys[i], value, p->msg, sizeof p->msg) == 0;
  }
  snprintf(p->msg, sizeof p->msg, "unknown key '%s' in section [%s]", name, section);
  return 0;
}

static int cfg_names_ok(const cfg_t *c, const char *path, char *msg, size_t msglen) {
  char why[300];
  hostnames_t *h = hostnames_new(c->server_names, c->listen, why, sizeof why);
  if (!h) {
    snprintf(msg, msglen, "%s: %s", path, why);
    return -1;
  }
  hostnames_free(h);
  return 0;
}

/* 127.0.0.0/8, ::1, or ::ffff:127.0.0.0/104. */
static int cfg_loopback(const struct sockaddr_storage *ss) {
  const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
  if (ss->ss_family == AF_INET)
    return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
  return ss->ss_family == AF_INET6 &&
         (IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ||
          (IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr) && a6->sin6_addr.s6_addr[12] == 127));
}

/* The listen addresses: host:port, the port 0-65535, the host an address
 * of this machine's resolver (what binding needs, short of binding). */
static int cfg_listen_ok(const cfg_t *c, const char *path, char *msg, size_t msglen) {
  const struct {
    const char *key, *addr;
  } listens[] = {{"server.listen", c->listen},
                 {"admin.listen", c->admin_listen},
                 {"publish.listen", c->publish_listen}};
  for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = hostnames_listen(listens[i].addr, &ss, &len);
    if (rc == -1)
      snprintf(msg, msglen, "%s: %s '%s' is not host:port (port 0-65535)", path, listens[i].key,
               listens[i].addr);
    else if (rc < 0)
      snprintf(msg, msglen, "%s: %s: the host of '%s' does not resolve", path, listens[i].key,
               listens[i].addr);
    if (rc < 0)
      return -1;
    if (listens[i].addr == c->admin_listen && !c->admin_allow_remote && !cfg_loopback(&ss)) {
      snprintf(msg, msglen, "%s: admin.listen '%s' is not a loopback address: the admin "
               "listener (metrics, readiness) is unauthenticated; set [admin] allow_remote = yes "
               "to serve it there", path, c->admin_listen);
      return -1;
    }
  }
  return 0;
}

/* "credential:NAME" -> $CREDENTIALS_DIRECTORY/NAME: the file systemd's
 * LoadCredential=NAME:... put there for this service. */
static int cfg_credentials(cfg_t *c, const char *path, char *msg, size_t msglen) {
  const char *dir = getenv("CREDENTIALS_DIRECTORY");
  /* last to first: the token's PIN is named before the credentials and the
   * S3 secret when several cannot be read */
  for (size_t i = CFG_NKEYS; i-- > 0;) {
    const cfg_key_t *k = &cfg_keys[i];
    char **f = (char **)((char *)c + k->off), *full;
    const char *name = (k->flags & CFG_CREDENTIAL) && *f && strncmp(*f, "credential:", 11) == 0
                           ? *f + 11
                           : NULL;
    if (!name)
      continue;
    if (!*name || strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
      snprintf(msg, msglen, "%s: %s.%s: '%s' is not a credential name", path, k->section,
               k->key, *f);
      return -1;
    }
    if (!dir || !*dir) {
      snprintf(msg, msglen, "%s: %s.%s = %s needs systemd's LoadCredential= "
               "($CREDENTIALS_DIRECTORY is not set)", path, k->section, k->key, *f);
      return -1;
    }
    if (asprintf(&full, "%s/%s", dir, name) < 0)
      return -1;
    free(*f);
    *f = full;
  }
  return 0;
}

int cfg_load(cfg_t *c, const char *path, char *msg, size_t msglen) {
  cfg_parse_t p;
  int line, json, stamps;
  memset(c, 0, sizeof *c);
  memset(&p, 0, sizeof p);
  p.c = c;
  for (size_t i = 0; i < CFG_NKEYS; i++)
    if (cfg_keys[i].def && cfg_set(c, &cfg_keys[i], cfg_keys[i].def, p.msg, sizeof p.msg) < 0)
      goto fail_nolines;
  line = ini_parse(path, cfg_handler, &p);
  if (line == -1) {
    snprintf(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
    goto fail;
  }
  if (line != 0) {
    snprintf(msg, msglen, "%s:%d: %s", path, line, p.msg[0] ? p.msg : "syntax error");
    goto fail;
  }
  for (size_t i = 0; i < CFG_NKEYS; i++) {
    if (cfg_keys[i].required && !p.seen[i]) {
      snprintf(msg, msglen, "%s: required key %s.%s is missing", path, cfg_keys[i].section,
               cfg_keys[i].key);
      goto fail;
    }
  }
  /* a PENDING row is finished by the janitor only once its request is
   * surely over: its signature deadline and T2's retries (~6 s) */
  if (c->janitor_pending_deadline * 1000 < c->hsm_sign_timeout_ms + CFG_T2_BUDGET_MS) {
    snprintf(msg, msglen, "%s: janitor.pending_deadline (%ld s) must exceed hsm.sign_timeout_ms "
             "(%ld) by at least %d s", path, c->janitor_pending_deadline, c->hsm_sign_timeout_ms,
             CFG_T2_BUDGET_MS / 1000);
    goto fail;
  }
  if (log_style_parse(c->log_format, c->log_timestamps, &json, &stamps) < 0) {
    snprintf(msg, msglen, "%s: log.format must be text or json, log.timestamps auto, on or off",
             path);
    goto fail;
  }
  if (cfg_names_ok(c, path, msg, msglen) < 0 || cfg_listen_ok(c, path, msg, msglen) < 0 ||
      cfg_credentials(c, path, msg, msglen) < 0)
    goto fail;
  if (!cfg_bucket_ok(c->audit_checkpoint_bucket, strlen(c->audit_checkpoint_bucket))) {
    snprintf(msg, msglen, "%s: audit.checkpoint_bucket '%s' is not a bucket name", path,
             c->audit_checkpoint_bucket);
    goto fail;
  }
  if (c->s3_endpoint && *c->s3_endpoint && (!c->s3_access_key_id || !c->s3_secret_file)) {
    snprintf(msg, msglen, "%s: s3.endpoint needs s3.access_key_id and s3.secret_access_key_file",
             path);
    goto fail;
  }
  return 0;
fail_nolines:
  snprintf(msg, msglen, "default: %s", p.msg);
fail:
  cfg_free(c);
  return -1;
}

void cfg_free(cfg_t *c) {
  for (size_t i = 0; i < CFG_NKEYS; i++) {
    if (cfg_keys[i].type != CFG_INT) {
      char **f = (char **)((char *)c + cfg_keys[i].off);
      free(*f);
      *f = NULL;
    }
  }
}

void cfg_diff(const cfg_t *a, const cfg_t *b,
              void (*fn)(const char *section, const char *key, int live, void *arg),
              void *arg) {
  for (size_t i = 0; i < CFG_NKEYS; i++) {
    const char *pa = (const char *)a + cfg_keys[i].off, *pb = (const char *)b + cfg_keys[i].off;
    int same;
    if (cfg_keys[i].type == CFG_INT) {
      same = *(const long *)pa == *(const long *)pb;
    } else {
      const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
      same = sa && sb ? strcmp(sa, sb) == 0 : sa == sb;
    }
    if (!same)
      fn(cfg_keys[i].section, cfg_keys[i].key, (cfg_keys[i].flags & CFG_LIVE) != 0, arg);
  }
}

void cfg_keys_walk(void (*fn)(const char *section, const char *key, const char *def, void *arg),
                   void *arg) {
  for (size_t i = 0; i < CFG_NKEYS; i++)
    fn(cfg_keys[i].section, cfg_keys[i].key, cfg_keys[i].def, arg);
}
