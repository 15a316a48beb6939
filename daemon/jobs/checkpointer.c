#include "jobs/checkpointer.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/ticker.h"
#include "core/checkpoint.h"
#include "store/store.h"

struct checkpointer {
  const cfg_t *cfg;
  p11_t *p11;
  store_t *store;
  bucket_t bucket;
  unsigned char key_id[KEY_ID_LEN];
  ticker_t *ticker;
};

static void checkpointer_round(void *arg) {
  checkpointer_t *k = arg;
  ctx_t c = ctx_new("checkpoint", k->cfg, k->store, k->p11);
  err_t e;
  err_clear(&e);
  if (store_ready(k->store, &e) < 0 ||
      checkpoint_write(&c, &k->bucket, k->cfg->audit_checkpoint_bucket, k->key_id, &e) < 0)
    log_err(LOG_AS("checkpoint"), "audit checkpoint not written: %s: %s", err_name(e.code), e.msg);
}

checkpointer_t *checkpointer_start(const cfg_t *cfg, p11_t *p11, const bucket_t *b,
                                   const unsigned char key_id[KEY_ID_LEN]) {
  checkpointer_t *k = calloc(1, sizeof *k);
  if (!k)
    return NULL;
  *k = (checkpointer_t){.cfg = cfg, .p11 = p11, .store = store_new(cfg), .bucket = *b};
  memcpy(k->key_id, key_id, KEY_ID_LEN);
  if (!k->store ||
      !(k->ticker = ticker_start(cfg->audit_checkpoint_interval, checkpointer_round, k))) {
    store_free(k->store);
    free(k);
    return NULL;
  }
  return k;
}

void checkpointer_stop(checkpointer_t *k) {
  if (!k)
    return;
  ticker_stop(k->ticker);
  checkpointer_round(k); /* the last heads, the janitor's last events included */
  store_free(k->store);
  free(k);
}
