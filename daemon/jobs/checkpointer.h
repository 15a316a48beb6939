#ifndef PCAD_CHECKPOINTER_H
#define PCAD_CHECKPOINTER_H
/* The audit checkpoints (core/checkpoint.h) on a thread of their own: one
 * at start, one every [audit] checkpoint_interval seconds and a last one
 * at checkpointer_stop (after the janitor's last events). A round that
 * fails (database, token, bucket) is logged; the next one tries again. */
#include "publish/bucket.h"
#include "base/cfg.h"
#include "core/key.h"
typedef struct p11 p11_t; /* pkcs11/p11.h */

typedef struct checkpointer checkpointer_t;

/* key_id: the audit key (checkpoint_key). */
checkpointer_t *checkpointer_start(const cfg_t *cfg, p11_t *p11, const bucket_t *b,
                                   const unsigned char key_id[KEY_ID_LEN]);
void checkpointer_stop(checkpointer_t *k);

#endif
