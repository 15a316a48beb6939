#include "api/pubjob.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "base/bucket.h"
#include "base/log.h"
#include "core/ocsp.h"

typedef struct {
  workq_job_t job; /* first: the queue hands this back */
  const pubjob_env_t *env;
  request_t *req;
  unsigned char *in; /* the OCSPRequest; NULL for a CRL */
  size_t in_len;
  char *key;         /* the CRL object's key */
  unsigned char *out; /* OPENSSL_malloc'ed (OCSP) or malloc'ed (CRL) */
  size_t out_len;
} pubjob_t;

static void pubjob_run(workq_job_t *job, void *state) {
  pubjob_t *j = (pubjob_t *)job;
  ctx_t c = {.rid = j->req->rid, .region = j->env->cfg->region,
             .partition = j->env->cfg->partition, .store = state, .p11 = j->env->p11};
  err_t e;
  int len = 0;
  if (!j->in) {
    j->out = bucket_read(j->env->cfg->bucket_root, j->key, &j->out_len);
    return;
  }
  err_clear(&e);
  ctx_ready(&c, &e); /* a database away: tryLater, from ocsp_respond */
  if (ocsp_respond(&c, j->in, j->in_len, &j->out, &len) == 0)
    j->out_len = (size_t)len;
}

static void pubjob_done(workq_job_t *job) {
  static const char none[] = "no such object\n", fail[] = "cannot encode an OCSP response\n";
  pubjob_t *j = (pubjob_t *)job;
  if (j->out && j->in)
    request_reply(j->req, 200, "application/ocsp-response", NULL, (const char *)j->out,
                  j->out_len);
  else if (j->out)
    request_reply(j->req, 200, "application/pkix-crl", NULL, (const char *)j->out, j->out_len);
  else if (j->in)
    request_reply(j->req, 500, "text/plain", NULL, fail, sizeof fail - 1);
  else
    request_reply(j->req, 404, "text/plain", NULL, none, sizeof none - 1);
  if (j->in)
    OPENSSL_free(j->out);
  else
    free(j->out);
  free(j->in);
  free(j->key);
  free(j);
}

static void pubjob_submit(const pubjob_env_t *env, request_t *req, unsigned char *in,
                          size_t in_len, char *key) {
  static const char busy[] = "busy\n";
  pubjob_t *j = calloc(1, sizeof *j);
  if (j && (in || key)) {
    *j = (pubjob_t){{pubjob_run, pubjob_done, NULL}, env, req, in, in_len, key, NULL, 0};
    if (workq_submit(env->q, &j->job) == 0)
      return;
  }
  free(j);
  log_warn(req->rid, "publish: the workers are saturated");
  free(in);
  free(key);
  request_reply(req, 503, "text/plain", NULL, busy, sizeof busy - 1);
}

void pubjob_ocsp(const pubjob_env_t *env, request_t *req, unsigned char *der, size_t len) {
  pubjob_submit(env, req, der, len, NULL);
}

void pubjob_crl(const pubjob_env_t *env, request_t *req, const char *key) {
  pubjob_submit(env, req, NULL, 0, strdup(key));
}
