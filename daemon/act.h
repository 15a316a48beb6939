#ifndef PCAD_ACT_H
#define PCAD_ACT_H
/* Operation handlers: decoded JSON in, JSON out, through the domain layer.
 * No SQL and no PKCS#11 here. Handlers run on a worker thread. */
#include <jansson.h>

#include "err.h"
#include "store.h"

typedef struct {
  const char *rid;        /* request id, for log lines */
  const char *account;    /* the caller's account */
  const char *access_key; /* the caller's key id */
  const char *region;
  const char *partition;
  const unsigned char *page_key; /* 32 bytes: authenticates NextToken */
  store_t *store;                /* this worker's connection, ready */
} act_ctx_t;

/* in has passed model validation for the operation's input shape. On
 * success *out is the response object (NULL means {}). */
typedef int (*act_fn_t)(const act_ctx_t *ctx, const json_t *in, json_t **out, err_t *e);

int act_list_cas(const act_ctx_t *ctx, const json_t *in, json_t **out, err_t *e);

#endif
