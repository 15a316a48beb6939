#ifndef PCAD_CFG_H
#define PCAD_CFG_H
#include <stddef.h>

/* The whole configuration, read-only once loaded. Every key is in cfg.c's
 * table and in config/pcad.conf.example with its default. A file key (the
 * PIN, the credentials, the S3 secret) given as "credential:NAME" is read
 * from $CREDENTIALS_DIRECTORY (systemd's LoadCredential=). SIGHUP loads the
 * file into a new cfg_t: daemon/main.c applies what can change live (the
 * TLS certificate and key, the log settings, the credentials) and logs
 * every other difference (cfg_diff) as waiting for a restart; a file that
 * does not load changes nothing. */
typedef struct {
  /* [server] */
  char *listen;
  char *server_names; /* the Host names clients sign for (base/hostnames.h) */
  char *tls_cert_file;
  char *tls_key_file;
  long worker_threads;
  long queue_max;
  long max_request_bytes;
  long max_header_bytes;
  long max_connections;
  long request_timeout;
  long shutdown_grace; /* SIGTERM: seconds the requests in flight have to finish */
  long queue_wait_ms; /* a request that waited longer for a worker is not run */
  /* [admin] */
  char *admin_listen;
  long admin_allow_remote;      /* 0: admin.listen must be a loopback address */
  long admin_max_connections;
  /* [publish] */
  char *publish_listen;
  long publish_max_connections;
  long publish_worker_threads; /* the publish listener's own pool, apart from the API's */
  long publish_queue_max;
  char *bucket_root;
  long crl_publish_delay;
  long bucket_autocreate;
  long crl_partition_size;
  long audit_report_interval;
  long ocsp_cache_entries;
  long ocsp_cache_seconds;
  /* bucket_owner (repeatable): "BUCKET OWNER[,ACCOUNT...]" lines joined by
   * '\n', NULL when none; the first account owns the bucket, the others
   * may name it too */
  char *bucket_owners;
  /* [s3] */
  char *s3_endpoint;
  char *s3_region;
  char *s3_access_key_id;
  char *s3_secret_file;
  /* [aws] */
  char *partition;
  char *region;
  char *credentials_file;
  long max_clock_skew;
  long ca_quota;
  /* [hsm] */
  char *hsm_module;
  char *hsm_token_label;
  char *hsm_pin_file;
  long hsm_sign_threads;
  long hsm_sign_queue_max;
  long hsm_sign_timeout_ms;
  /* [database] */
  char *db_conninfo;
  char *db_owner_conninfo; /* the migrations' role; NULL: db_conninfo's */
  long db_connect_timeout;
  long db_statement_timeout_ms; /* server statement_timeout; pcad waits 1 s more */
  long db_group_commit_max; /* statements per shared transaction; 1: none */
  /* [audit] */
  long audit_checkpoint_interval; /* seconds between signed checkpoints */
  char *audit_checkpoint_bucket;
  /* [janitor] */
  long janitor_interval;
  long janitor_pending_deadline;
  /* [log] */
  char *log_level;
  char *log_format;     /* text | json */
  char *log_timestamps; /* auto | on | off */
} cfg_t;

/* What T2 (recording an issued certificate) may take with its retries. */
#define CFG_T2_BUDGET_MS 10000

/* Loads path into c (defaults first). On error returns -1 and writes
 * "FILE:LINE: message" into msg. */
int cfg_load(cfg_t *c, const char *path, char *msg, size_t msglen);
void cfg_free(cfg_t *c);
/* Calls fn for each key whose value differs between a and b; live: the
 * key table marks it as one SIGHUP applies. */
void cfg_diff(const cfg_t *a, const cfg_t *b,
              void (*fn)(const char *section, const char *key, int live, void *arg),
              void *arg);
/* Walks the key table: section, key, default (NULL for a required key). */
void cfg_keys_walk(void (*fn)(const char *section, const char *key, const char *def, void *arg),
                   void *arg);

#endif
