#include "api/router.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/act.h"
#include "api/awserror.h"
#include "api/awsjson.h"
#include "core/access.h"
#include "core/arn.h"
#include "core/templates.h"
#include "base/clock.h"
#include "base/hostnames.h"
#include "base/log.h"
#include "base/metrics.h"
#include "api/model.h"
#include "api/sigv4.h"

/* actions.def's resource column: a member's name, or NONE */
#define ROUTER_RES_NONE NULL
#define ROUTER_RES_CertificateAuthorityArn "CertificateAuthorityArn"
#define ROUTER_RES_ResourceArn "ResourceArn"

const router_action_t router_actions[] = {
#define ACTION(name, fn, kib, res) {#name, fn, (size_t)(kib) * 1024, ROUTER_RES_##res},
#include "api/actions.def"
#undef ACTION
};
const int router_nactions = sizeof router_actions / sizeof router_actions[0];

struct router {
  const cfg_t *cfg;
  p11_t *p11;
  void (*kick)(void *arg);
  void *kick_arg;
  workq_t *q;
  unsigned char page_key[32];
  creds_t *creds;
  hostnames_t *names;
};

typedef struct {
  workq_job_t job;
  router_t *r;
  request_t *req;
  const router_action_t *act;
  json_t *in, *out;
  char *ca_arn;  /* the resource member, decoded (router_decode) */
  act_res_t res; /* what is authorized and acted on */
  sigv4_principal_t who;
  creds_t *creds; /* a reference: the key's policy stays while the job runs */
  err_t err;
  struct timespec t0;
} router_job_t;

static double router_ms_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* The request's log context: its id, operation and, once known, who asks
 * and for which CA. */
static log_ctx_t router_log_ctx(const request_t *req, const char *op, const router_job_t *j) {
  log_ctx_t lc = {.rid = req->rid, .op = op};
  if (j) {
    lc.account = j->who.account[0] ? j->who.account : NULL;
    lc.key_id = j->who.access_key[0] ? j->who.access_key : NULL;
    lc.ca_arn = j->ca_arn;
  }
  return lc;
}

/* The request line (base/log.h log_fields) and its metrics: who asked
 * (the key id also when its signature failed: the one that was tried),
 * for which CA, with what outcome, in how long. */
static void router_log(const request_t *req, const char *op, const router_job_t *j, int status,
                       const char *error, const struct timespec *t0) {
  char ms[32], st[8], tried[129] = "";
  log_ctx_t lc = router_log_ctx(req, op, j);
  double elapsed = router_ms_since(t0);
  if (!lc.key_id) {
    sigv4_auth_t a;
    err_t e;
    const char *hdr = request_header(req, "Authorization");
    if (hdr && sigv4_parse_authorization(hdr, &a, &e) == 0)
      snprintf(tried, sizeof tried, "%s", a.access_key);
    lc.key_id = tried;
  }
  snprintf(ms, sizeof ms, "%.1f", elapsed);
  snprintf(st, sizeof st, "%d", status);
  {
    const char *kv[] = {"status", st, "error", error, "ms", ms, "remote", req->remote};
    log_fields(LOG_LVL_INFO, &lc, kv, (int)(sizeof kv / sizeof kv[0]));
  }
  metrics_request(op, status, elapsed / 1e3);
}

/* Sends an error reply. Server faults are logged in full and answered with
 * a generic message: their details (database text, paths) stay inside. */
static void router_fail(request_t *req, const char *op, const router_job_t *j, const err_t *e,
                        const struct timespec *t0) {
  int status = err_status(e->code);
  const char *msg = e->msg;
  char *body;
  if (status >= 500) {
    log_err(&(log_ctx_t){.rid = req->rid, .op = op}, "%s: %s", err_name(e->code), e->msg);
    msg = e->code == ERR_ServiceUnavailable ? "The service is temporarily unavailable; retry."
                                            : "An internal error occurred.";
  }
  router_log(req, op, j, status, err_name(e->code), t0);
  body = awserror_body(e->code, msg);
  request_reply(req, status, "application/x-amz-json-1.1", err_name(e->code), body,
              body ? strlen(body) : 0);
  free(body);
}

static void router_job_free(router_job_t *j) {
  json_decref(j->in);
  json_decref(j->out);
  free(j->ca_arn);
  OPENSSL_cleanse(&j->who, sizeof j->who);
  creds_free(j->creds);
  free(j);
}

/* The resource the operation acts on (its actions.def member: a CA ARN of
 * this endpoint) and IssueCertificate's template (canonical ARNs only),
 * decoded once into j->res and taken out of the input: the handler gets
 * these and cannot read another. Runs after model_validate, which left
 * only the input shape's members. */
static int router_decode(router_job_t *j, const cfg_t *cfg, err_t *e) {
  const json_t *v = j->act->resource ? json_object_get(j->in, j->act->resource) : NULL;
  const char *tmpl = json_string_value(json_object_get(j->in, "TemplateArn"));
  if (j->act->resource) {
    if (!json_is_string(v)) /* the model requires it: a gap between the two */
      return err_set(e, ERR_ValidationException, "%s is required", j->act->resource);
    if (arn_ca_served(json_string_value(v), cfg->partition, cfg->region, e) < 0)
      return -1;
    if (!(j->ca_arn = strdup(json_string_value(v))))
      return err_set(e, ERR_InternalFailure, "out of memory");
    json_object_del(j->in, j->act->resource);
  }
  if (tmpl) {
    if (!(j->res.tmpl = templates_find(cfg->partition, tmpl)))
      return err_set(e, ERR_InvalidArgsException,
                     "TemplateArn %.200s is not a known template: template ARNs are "
                     "arn:%s:acm-pca:::template/<Name>/V<n>",
                     tmpl, cfg->partition);
    json_object_del(j->in, "TemplateArn");
  }
  j->res.ca_arn = j->ca_arn;
  return 0;
}

/* Whether the caller may run the job's operation on j->res (core/access.c),
 * and on whose behalf: ctx->account becomes the CA owner's for a shared CA. */
static int router_authorize(router_job_t *j, ctx_t *ctx, char owner[13]) {
  ctx->key_policy = creds_policy(j->creds, j->who.access_key);
  if (access_authorize(ctx, j->act->name, j->res.ca_arn, j->res.tmpl, owner, &j->err) < 0)
    return -1;
  ctx->account = owner;
  return 0;
}

static void router_job_run(workq_job_t *job, void *state) {
  router_job_t *j = (router_job_t *)job;
  store_t *store = state;
  ctx_t ctx = ctx_new(j->req->rid, j->r->cfg, store, j->r->p11);
  act_fn_t fn = j->act->fn;
  char owner[13];
  double waited = router_ms_since(&j->t0);
  ctx.log = router_log_ctx(j->req, j->act->name, j);
  ctx.account = ctx.caller = j->who.account;
  ctx.actor = j->who.access_key;
  ctx.page_key = j->r->page_key;
  ctx.kick = j->r->kick;
  ctx.kick_arg = j->r->kick_arg;
  if (waited > (double)j->r->cfg->queue_wait_ms) {
    /* its client may have given up: not run, and logged as such */
    err_set(&j->err, ERR_ServiceUnavailable,
            "not run: it waited %.0f ms for a worker (queue_wait_ms %ld)", waited,
            j->r->cfg->queue_wait_ms);
    return;
  }
  if (ctx_ready(&ctx, &j->err) < 0 || router_authorize(j, &ctx, owner) < 0)
    return;
  if (fn(&ctx, &j->res, j->in, &j->out, &j->err) < 0 && j->err.code == ERR_OK)
    err_set(&j->err, ERR_InternalFailure, "handler failed without an error");
}

static void router_job_done(workq_job_t *job) {
  router_job_t *j = (router_job_t *)job;
  if (j->err.code != ERR_OK) {
    router_fail(j->req, j->act->name, j, &j->err, &j->t0);
  } else {
    char *body = j->out ? awsjson_encode(j->out) : strdup("{}");
    if (!body) {
      err_set(&j->err, ERR_InternalFailure, "cannot encode the response");
      router_fail(j->req, j->act->name, j, &j->err, &j->t0);
    } else {
      router_log(j->req, j->act->name, j, 200, NULL, &j->t0);
      request_reply(j->req, 200, "application/x-amz-json-1.1", NULL, body, strlen(body));
      free(body);
    }
  }
  router_job_free(j);
}

static const router_action_t *router_find(const char *target) {
  size_t pl = strlen(model_target_prefix);
  if (!target || strncmp(target, model_target_prefix, pl) != 0 || target[pl] != '.')
    return NULL;
  for (int i = 0; i < router_nactions; i++)
    if (strcmp(router_actions[i].name, target + pl + 1) == 0)
      return &router_actions[i];
  return NULL;
}

/* application/x-amz-json-1.1, parameters after ';' allowed */
static int router_content_type_ok(const char *ct) {
  static const char want[] = "application/x-amz-json-1.1";
  size_t l = sizeof want - 1;
  return ct && strncasecmp(ct, want, l) == 0 && (ct[l] == '\0' || ct[l] == ';' || ct[l] == ' ');
}

void router_handle(void *arg, request_t *req) {
  router_t *r = arg;
  router_job_t *j = calloc(1, sizeof *j);
  const model_op_t *op;
  sigv4_request_t sr = {req->method, req->path, req->query, req->headers, req->nheaders,
                        req->body,   req->body_len};
  sigv4_policy_t pol = {r->cfg->region, model_signing_name, clock_now(),
                        r->cfg->max_clock_skew, creds_lookup, r->creds};
  const char *opname = "-", *host = request_header(req, "Host");
  err_t e;
  struct timespec t0;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  err_clear(&e);
  if (!j) {
    err_set(&e, ERR_InternalFailure, "out of memory");
    goto fail;
  }
  j->t0 = t0;
  /* the front door has framed the request strictly (net/hparse.c); an
   * operation is a POST to / with no query, and nothing else runs one */
  if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/") != 0 || req->query[0]) {
    err_set(&e, ERR_UnknownOperationException, "Operations are sent as POST / (no query)");
    goto fail;
  }
  if (sigv4_verify(&sr, &pol, &j->who, &e) < 0)
    goto fail;
  if (!hostnames_match(r->names, host)) {
    err_set(&e, ERR_InvalidSignatureException,
            "The request was signed for host '%.100s', which is not a name of this endpoint",
            host ? host : "");
    goto fail;
  }
  j->act = router_find(request_header(req, "X-Amz-Target"));
  if (!j->act) {
    err_set(&e, ERR_UnknownOperationException, "Unknown or missing X-Amz-Target (expected %s.<Operation>)",
            model_target_prefix);
    goto fail;
  }
  opname = j->act->name;
  if (req->body_len > j->act->max_body) {
    err_set(&e, ERR_ValidationException,
            "1 validation error detected: the request body (%zu bytes) is over the %zu-byte "
            "limit of %s", req->body_len, j->act->max_body, opname);
    goto fail;
  }
  if (!router_content_type_ok(request_header(req, "Content-Type"))) {
    err_set(&e, ERR_SerializationException, "Content-Type must be application/x-amz-json-1.1");
    goto fail;
  }
  if (awsjson_decode_body((const char *)req->body, req->body_len, &j->in, &e) < 0)
    goto fail;
  op = model_op(j->act->name);
  if ((op && op->input >= 0 && model_validate(j->in, op->input, &e) < 0) ||
      router_decode(j, r->cfg, &e) < 0)
    goto fail;
  j->r = r;
  j->req = req;
  j->creds = creds_ref(r->creds);
  j->job.run = router_job_run;
  j->job.done = router_job_done;
  if (workq_submit(r->q, &j->job) < 0) {
    err_set(&e, ERR_ThrottlingException, "Rate exceeded: the request queue is full");
    goto fail;
  }
  return;
fail:
  router_fail(req, opname, j, &e, &t0);
  if (j)
    router_job_free(j);
}

router_t *router_new(const cfg_t *cfg, workq_t *q, const unsigned char page_key[32],
                     creds_t *creds, p11_t *p11, void (*kick)(void *), void *kick_arg) {
  router_t *r = calloc(1, sizeof *r);
  char msg[300];
  if (!r)
    return NULL;
  r->cfg = cfg;
  r->names = hostnames_new(cfg->server_names, cfg->listen, msg, sizeof msg);
  if (!r->names) {
    free(r);
    return NULL;
  }
  r->p11 = p11;
  r->kick = kick;
  r->kick_arg = kick_arg;
  r->q = q;
  memcpy(r->page_key, page_key, 32);
  r->creds = creds;
  return r;
}

void router_set_creds(router_t *r, creds_t *creds) {
  creds_free(r->creds);
  r->creds = creds;
}

void router_free(router_t *r) {
  if (!r)
    return;
  creds_free(r->creds);
  hostnames_free(r->names);
  OPENSSL_cleanse(r->page_key, sizeof r->page_key);
  free(r);
}
