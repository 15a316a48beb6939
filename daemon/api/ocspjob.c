#include "api/ocspjob.h"

#include <openssl/crypto.h>
#include <stdlib.h>

#include "base/log.h"
#include "core/ocsp.h"

typedef struct {
  workq_job_t job; /* first: the queue hands this back */
  const ocspjob_env_t *env;
  request_t *req;
  unsigned char *der, *resp;
  size_t len;
  int resp_len;
} ocspjob_t;

static void ocspjob_run(workq_job_t *job, void *state) {
  ocspjob_t *j = (ocspjob_t *)job;
  ctx_t c = {j->req->rid, NULL, NULL, j->env->cfg->region, j->env->cfg->partition, NULL,
             state,       j->env->p11, 0, NULL, NULL, 0};
  err_t e;
  err_clear(&e);
  ctx_ready(&c, &e); /* a database away: tryLater, from ocsp_respond */
  if (ocsp_respond(&c, j->der, j->len, &j->resp, &j->resp_len) < 0)
    j->resp_len = 0;
}

static void ocspjob_done(workq_job_t *job) {
  static const char fail[] = "cannot encode an OCSP response\n";
  ocspjob_t *j = (ocspjob_t *)job;
  if (j->resp_len > 0)
    request_reply(j->req, 200, "application/ocsp-response", NULL, (const char *)j->resp,
                  (size_t)j->resp_len);
  else
    request_reply(j->req, 500, "text/plain", NULL, fail, sizeof fail - 1);
  OPENSSL_free(j->resp);
  free(j->der);
  free(j);
}

void ocspjob_submit(const ocspjob_env_t *env, request_t *req, unsigned char *der, size_t len) {
  static const char busy[] = "busy\n";
  ocspjob_t *j = calloc(1, sizeof *j);
  if (j) {
    *j = (ocspjob_t){{ocspjob_run, ocspjob_done, NULL}, env, req, der, NULL, len, 0};
    if (workq_submit(env->q, &j->job) == 0)
      return;
    free(j);
  }
  log_warn(req->rid, "OCSP: the workers are saturated");
  free(der);
  request_reply(req, 503, "text/plain", NULL, busy, sizeof busy - 1);
}
