#ifndef PCAD_ROUTER_H
#define PCAD_ROUTER_H
/* X-Amz-Target -> handler, with SigV4 verified before anything else runs.
 * router_handle runs on the loop thread; handlers run on workers.
 *
 * On the loop, in this order, the first failure answered: POST / without
 * a query (else UnknownOperationException, before SigV4); SigV4; the
 * signed Host one of [server] names (base/hostnames.h); X-Amz-Target; the
 * action's body cap (actions.def: ValidationException); Content-Type; the
 * JSON body; the model (api/model.h); the action's resource member (a CA
 * ARN of this endpoint) and TemplateArn taken out of the input into an
 * act_res_t, so what is authorized and what the handler acts on are one
 * value; then a job on the worker queue (full: ThrottlingException). On
 * the worker: a job that waited over [server] queue_wait_ms is answered
 * 503 unrun; the worker's connection made ready (a lost database is 503 at
 * once); core/access.h authorizes; the handler runs; the loop replies. */
#include "base/cfg.h"
#include "api/creds.h"
#include "api/act.h"
#include "api/request.h"
#include "core/ctx.h"
#include "base/workq.h"

typedef struct router router_t;

typedef struct {
  const char *name;
  act_fn_t fn;     /* NULL while not built */
  size_t max_body; /* bytes */
  const char *resource; /* the input member naming the CA acted on; NULL: "*" */
} router_action_t;

/* The action table (actions.def), for the model check. */
extern const router_action_t router_actions[];
extern const int router_nactions;

router_t *router_new(const cfg_t *cfg, workq_t *q, const unsigned char page_key[32],
                     creds_t *creds, p11_t *p11, void (*kick)(void *), void *kick_arg);
/* Swaps in new credentials (a reload; NULL: no key is honoured); the
 * router's reference to the old ones is dropped. */
void router_set_creds(router_t *r, creds_t *creds);
void router_free(router_t *r);
/* An httpd_handler_fn: arg is the router. */
void router_handle(void *arg, request_t *req);
#endif
