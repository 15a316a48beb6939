#include "api/pubjob.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "publish/bucket.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/crl.h"
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
  /* a CRL's caching headers, and whether the client has it already */
  char etag[40], modified[40], cache[96], *if_none_match;
} pubjob_t;

/* ETag (a digest of the object), Last-Modified (when it was written) and
 * Cache-Control (max-age up to the CRL's nextUpdate) of a CRL. */
static void pubjob_crl_headers(pubjob_t *j, long long mtime) {
  unsigned char md[32];
  long long next = 0, now = clock_now();
  time_t t = (time_t)mtime;
  struct tm tm;
  if (EVP_Digest(j->out, j->out_len, md, NULL, EVP_sha256(), NULL)) {
    j->etag[0] = '"';
    for (int i = 0; i < 16; i++)
      snprintf(j->etag + 1 + 2 * i, 3, "%02x", md[i]);
    strcat(j->etag, "\"");
  }
  if (gmtime_r(&t, &tm))
    strftime(j->modified, sizeof j->modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (crl_next_update(j->out, j->out_len, &next) < 0 || next < now)
    next = now;
  snprintf(j->cache, sizeof j->cache, "max-age=%lld, public, no-transform, must-revalidate",
           next - now);
}

static void pubjob_run(workq_job_t *job, void *state) {
  pubjob_t *j = (pubjob_t *)job;
  ctx_t c = ctx_new(j->req->rid, j->env->cfg, state, j->env->p11);
  err_t e;
  int len = 0;
  if (!j->in) {
    long long mtime = 0;
    if ((j->out = bucket_read(j->env->cfg->bucket_root, j->key, &j->out_len, &mtime)) != NULL)
      pubjob_crl_headers(j, mtime);
    return;
  }
  err_clear(&e);
  err_ignore(ctx_ready(&c, &e)); /* a database away: tryLater, from ocsp_respond */
  if (ocsp_respond(j->env->ocsp, &c, j->in, j->in_len, &j->out, &len) == 0)
    j->out_len = (size_t)len;
}

/* 304 when the client's If-None-Match names the object as it is. */
static void pubjob_crl_reply(pubjob_t *j) {
  const char *h[3][2] = {{"ETag", j->etag}, {"Last-Modified", j->modified},
                         {"Cache-Control", j->cache}};
  int same = j->if_none_match && j->etag[0] && strstr(j->if_none_match, j->etag);
  for (int i = 0; i < 3; i++)
    if (h[i][1][0])
      request_add_header(j->req, h[i][0], h[i][1]);
  if (same)
    request_reply(j->req, 304, "application/pkix-crl", NULL, NULL, 0);
  else
    request_reply(j->req, 200, "application/pkix-crl", NULL, (const char *)j->out, j->out_len);
}

static void pubjob_done(workq_job_t *job) {
  static const char none[] = "no such object\n", fail[] = "cannot encode an OCSP response\n";
  pubjob_t *j = (pubjob_t *)job;
  if (j->out && j->in)
    request_reply(j->req, 200, "application/ocsp-response", NULL, (const char *)j->out,
                  j->out_len);
  else if (j->out)
    pubjob_crl_reply(j);
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
  free(j->if_none_match);
  free(j);
}

static void pubjob_submit(const pubjob_env_t *env, request_t *req, unsigned char *in,
                          size_t in_len, char *key) {
  static const char busy[] = "busy\n";
  pubjob_t *j = calloc(1, sizeof *j);
  if (j && (in || key)) {
    const char *inm = request_header(req, "If-None-Match");
    *j = (pubjob_t){.job = {pubjob_run, pubjob_done, NULL}, .env = env, .req = req,
                    .in = in, .in_len = in_len, .key = key};
    j->if_none_match = inm ? strdup(inm) : NULL;
    if (workq_submit(env->q, &j->job) == 0)
      return;
  }
  free(j);
  log_warn(LOG_AS(req->rid), "publish: the workers are saturated");
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
