#ifndef PCAD_ROUTER_H
#define PCAD_ROUTER_H
/* X-Amz-Target -> handler, with SigV4 verified before anything else runs.
 * router_handle runs on the loop thread; handlers run on workers. */
#include "cfg.h"
#include "creds.h"
#include "httpd.h"
#include "janitor.h"
#include "p11.h"
#include "workq.h"

typedef struct router router_t;

typedef struct {
  const char *name;
  void *fn; /* act_fn_t, or NULL while not built */
} router_action_t;

/* The action table (actions.def), for the model check. */
extern const router_action_t router_actions[];
extern const int router_nactions;

router_t *router_new(const cfg_t *cfg, workq_t *q, const unsigned char page_key[32],
                     creds_t *creds, p11_t *p11, janitor_t *janitor);
/* Swaps in new credentials (SIGHUP); the old ones are freed. */
void router_set_creds(router_t *r, creds_t *creds);
void router_free(router_t *r);
/* An httpd_handler_fn: arg is the router. */
void router_handle(void *arg, httpd_req_t *req);
/* A workq_init_fn/fini_fn pair: each worker owns one store connection. */
void *router_worker_init(void *arg, int idx);
void router_worker_fini(void *state);

#endif
