#include "core/bucketown.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/store_bucket.h"

int bucketown_use(const ctx_t *c, const char *ca_id, const char *name, err_t *e) {
  char bucket[256], owner[13];
  size_t n = strcspn(name, "/");
  int shared = 0, kept;
  if (n >= sizeof bucket)
    return err_set(e, ERR_InvalidArgsException,
                   "S3BucketName '%s' does not follow the S3 bucket naming rules", name);
  snprintf(bucket, sizeof bucket, "%.*s", (int)n, name);
  if (ca_id && (kept = store_bucket_named_by(c->store, ca_id, bucket, e)) != 0)
    return kept < 0 ? -1 : 0;
  if (store_bucket_claim(c->store, bucket, c->account, owner, &shared, e) < 0)
    return -1;
  if (strcmp(owner, c->account) == 0 || shared)
    return 0;
  log_notice(&c->log, "bucket %s belongs to account %s: refused to account %s", bucket, owner,
             c->account);
  return err_set(e, ERR_InvalidArgsException,
                 "The ACM Private CA service principal 'acm-pca.amazonaws.com' requires "
                 "'s3:PutObject' permission for the specified Amazon S3 bucket %s.",
                 bucket);
}

/* The configuration's lines: "BUCKET OWNER[,ACCOUNT...]" each (checked by
 * cfg_load). */
static int bucketown_config(store_t *s, const char *config, err_t *e) {
  char *text = config ? strdup(config) : NULL, *save = NULL;
  int rc = 0;
  if (config && !text)
    return err_set(e, ERR_InternalFailure, "out of memory");
  for (char *line = text ? strtok_r(text, "\n", &save) : NULL; rc == 0 && line;
       line = strtok_r(NULL, "\n", &save)) {
    char *accounts = strchr(line, ' '), *sharers;
    if (!accounts) {
      rc = err_set(e, ERR_InternalFailure, "bucket_owner '%s' has no account", line);
      break;
    }
    *accounts++ = 0;
    sharers = strchr(accounts, ',');
    if (sharers)
      *sharers++ = 0;
    rc = store_bucket_assign(s, line, accounts, sharers ? sharers : "", e);
    if (rc == 0)
      log_info(NULL, "bucket %s: owner %s (configuration)%s%s", line, accounts,
               sharers ? ", shared with " : "", sharers ? sharers : "");
  }
  free(text);
  return rc;
}

static void bucketown_adopted(const char *bucket, const char *owner, const char *accounts,
                              void *arg) {
  (void)arg;
  log_notice(NULL, "bucket %s: owner %s, the account of the oldest CA naming it (named by %s "
             "before buckets had owners)", bucket, owner, accounts);
}

static void bucketown_conflict(const char *bucket, const char *owner, const char *accounts,
                               void *arg) {
  (void)arg;
  log_warn(NULL, "bucket %s belongs to account %s but CAs of account(s) %s name it too: those "
           "CAs keep it, a new naming by those accounts is refused (share it with "
           "[publish] bucket_owner)", bucket, owner, accounts);
}

typedef struct {
  store_t *s;
  const char *config;
} bucketown_start_t;

static int bucketown_start_tx(void *arg, err_t *e) {
  const bucketown_start_t *b = arg;
  store_t *s = b->s;
  if (store_bucket_lock(s, e) < 0 || store_bucket_unshare_all(s, e) < 0 ||
      bucketown_config(s, b->config, e) < 0 ||
      store_bucket_adopt(s, bucketown_adopted, NULL, e) < 0 ||
      store_bucket_conflicts(s, bucketown_conflict, NULL, e) < 0)
    return -1;
  return 0;
}

int bucketown_start(store_t *s, const char *config, err_t *e) {
  bucketown_start_t b = {s, config};
  return store_tx(s, bucketown_start_tx, &b, 0, e);
}
