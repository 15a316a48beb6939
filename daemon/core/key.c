#include "core/key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/metrics.h"
#include "core/sigalg.h"
#include "p11.h"
#include "store/store_ca.h"

/* One signature on a signing thread. The job owns what it signs, so that
 * a token that answers past the deadline signs something nobody waits
 * for, and frees it. */
typedef struct {
  void *obj;
  int (*sign)(void *obj, EVP_PKEY *key, const char *alg, err_t *e);
  void (*free_obj)(void *obj);
  char alg[32];
} key_job_t;

/* The token's error as the daemon's. */
static void key_err(err_t *e, const p11_err_t *pe) {
  err_code_t code = pe->code == P11_EARG    ? ERR_InvalidArgsException
                    : pe->code == P11_EBUSY ? ERR_ThrottlingException
                                            : ERR_ServiceUnavailable;
  err_set(e, code, "%s", pe->msg);
}

int key_supports(const ctx_t *c, const char *key_algorithm, err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  int ok = p11_keygen_supports(c->p11, key_algorithm, &pe);
  if (!ok)
    key_err(e, &pe);
  return ok;
}

int key_generate(const ctx_t *c, const char *key_algorithm, const char *label,
                 unsigned char id[KEY_ID_LEN], err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  if (p11_keygen(c->p11, key_algorithm, label, id, &pe) < 0) {
    key_err(e, &pe);
    return -1;
  }
  return 0;
}

EVP_PKEY *key_public(const ctx_t *c, const unsigned char id[KEY_ID_LEN], err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  EVP_PKEY *k = p11_key_public(c->p11, id, &pe);
  if (!k)
    key_err(e, &pe);
  return k;
}

static int key_job_run(void *arg, EVP_PKEY *key) {
  key_job_t *j = arg;
  err_t e;
  return j->sign(j->obj, key, j->alg, &e) == 0;
}

static void key_job_drop(void *arg) {
  key_job_t *j = arg;
  j->free_obj(j->obj);
  free(j);
}

static int key_sign_x509(void *obj, EVP_PKEY *key, const char *alg, err_t *e) {
  return sigalg_sign_cert(obj, key, alg, e);
}
static void key_free_x509(void *obj) { X509_free(obj); }
static int key_sign_x509_req(void *obj, EVP_PKEY *key, const char *alg, err_t *e) {
  return sigalg_sign_req(obj, key, alg, e);
}
static void key_free_x509_req(void *obj) { X509_REQ_free(obj); }
static int key_sign_x509_crl(void *obj, EVP_PKEY *key, const char *alg, err_t *e) {
  return sigalg_sign_crl(obj, key, alg, e);
}
static void key_free_x509_crl(void *obj) { X509_CRL_free(obj); }

/* An OCSP response and the certificate that names its signer. */
typedef struct {
  OCSP_BASICRESP *bs;
  X509 *signer;
} key_ocsp_t;
static int key_sign_ocsp_resp(void *obj, EVP_PKEY *key, const char *alg, err_t *e) {
  key_ocsp_t *o = obj;
  return sigalg_sign_ocsp(o->bs, o->signer, key, alg, e);
}
static void key_free_ocsp(void *obj) {
  key_ocsp_t *o = obj;
  OCSP_BASICRESP_free(o->bs);
  X509_free(o->signer);
  free(o);
}

/* Signs obj (taken) on a signing thread; obj signed, or NULL (then obj is
 * gone: freed here, or by the signer when the deadline passed). */
static void *key_sign(const ctx_t *c, const unsigned char *id, void *obj,
                      int (*sign)(void *, EVP_PKEY *, const char *, err_t *),
                      void (*free_obj)(void *), const char *alg, err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  key_job_t *j = obj ? calloc(1, sizeof *j) : NULL;
  struct timespec t0, t1;
  if (!j) {
    if (obj)
      free_obj(obj);
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  *j = (key_job_t){obj, sign, free_obj, ""};
  snprintf(j->alg, sizeof j->alg, "%s", alg);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (p11_sign(c->p11, id, key_job_run, j, key_job_drop, &pe) < 0) {
    if (pe.code != P11_ETIME) /* on a timeout the signer drops it */
      key_job_drop(j);
    key_err(e, &pe);
    return NULL;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  metrics_sign((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  free(j);
  return obj;
}

X509 *key_sign_cert(const ctx_t *c, const unsigned char id[KEY_ID_LEN], X509 *tbs,
                    const char *signing_algorithm, err_t *e) {
  return key_sign(c, id, tbs, key_sign_x509, key_free_x509, signing_algorithm, e);
}

X509_REQ *key_sign_req(const ctx_t *c, const unsigned char id[KEY_ID_LEN], X509_REQ *req,
                       const char *signing_algorithm, err_t *e) {
  return key_sign(c, id, req, key_sign_x509_req, key_free_x509_req, signing_algorithm, e);
}

X509_CRL *key_sign_crl(const ctx_t *c, const unsigned char id[KEY_ID_LEN], X509_CRL *crl,
                       const char *signing_algorithm, err_t *e) {
  return key_sign(c, id, crl, key_sign_x509_crl, key_free_x509_crl, signing_algorithm, e);
}

OCSP_BASICRESP *key_sign_ocsp(const ctx_t *c, const unsigned char id[KEY_ID_LEN],
                              OCSP_BASICRESP *bs, X509 *signer, const char *signing_algorithm,
                              err_t *e) {
  key_ocsp_t *o = calloc(1, sizeof *o), *done;
  OCSP_BASICRESP *out;
  if (!o) {
    OCSP_BASICRESP_free(bs);
    X509_free(signer);
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  *o = (key_ocsp_t){bs, signer};
  done = key_sign(c, id, o, key_sign_ocsp_resp, key_free_ocsp, signing_algorithm, e);
  if (!done)
    return NULL;
  out = done->bs;
  done->bs = NULL;
  key_free_ocsp(done);
  return out;
}

/* Bytes to sign and, signed, the signature. */
typedef struct {
  unsigned char *data, *sig;
  size_t len, siglen;
} key_data_t;
static int key_sign_bytes(void *obj, EVP_PKEY *key, const char *alg, err_t *e) {
  key_data_t *d = obj;
  return sigalg_sign_data(d->data, d->len, key, alg, &d->sig, &d->siglen, e);
}
static void key_free_data(void *obj) {
  key_data_t *d = obj;
  free(d->data);
  free(d->sig);
  free(d);
}

unsigned char *key_sign_data(const ctx_t *c, const unsigned char id[KEY_ID_LEN],
                             const void *data, size_t len, const char *signing_algorithm,
                             size_t *siglen, err_t *e) {
  key_data_t *d = calloc(1, sizeof *d), *done;
  unsigned char *sig;
  if (!d || !(d->data = malloc(len ? len : 1))) {
    free(d);
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  memcpy(d->data, data, len);
  d->len = len;
  if (!(done = key_sign(c, id, d, key_sign_bytes, key_free_data, signing_algorithm, e)))
    return NULL;
  sig = done->sig;
  *siglen = done->siglen;
  done->sig = NULL;
  key_free_data(done);
  return sig;
}

int key_labelled(const ctx_t *c, const char *label, const char *key_algorithm,
                 unsigned char id[KEY_ID_LEN], err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  if (p11_key_labelled(c->p11, label, key_algorithm, id, &pe) < 0) {
    key_err(e, &pe);
    return -1;
  }
  return 0;
}

int key_forget_unused(const ctx_t *c, err_t *e) {
  unsigned char *ids = NULL;
  int n;
  if (store_ca_key_ids(c->store, &ids, &n, e) < 0)
    return -1;
  metrics_signer_keys(p11_forget_others(c->p11, ids, n));
  free(ids);
  return 0;
}

int key_destroy(const ctx_t *c, const char *label, err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  int n = p11_key_destroy(c->p11, label, &pe);
  if (n < 0)
    key_err(e, &pe);
  return n;
}
