#include "core/sigalg.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *name;
  const char *key_prefix; /* KeyAlgorithm family */
  const char *md;
  int pss;
} sigalg_t;

static const sigalg_t sigalgs[] = {
    {"SHA256WITHECDSA", "EC_", "SHA256", 0},    {"SHA384WITHECDSA", "EC_", "SHA384", 0},
    {"SHA512WITHECDSA", "EC_", "SHA512", 0},    {"SHA256WITHRSA", "RSA_", "SHA256", 0},
    {"SHA384WITHRSA", "RSA_", "SHA384", 0},     {"SHA512WITHRSA", "RSA_", "SHA512", 0},
    {"SHA256WITHRSA_PSS", "RSA_", "SHA256", 1}, {"SHA384WITHRSA_PSS", "RSA_", "SHA384", 1},
    {"SHA512WITHRSA_PSS", "RSA_", "SHA512", 1},
};

static const sigalg_t *sigalg_find(const char *name) {
  for (size_t i = 0; i < sizeof sigalgs / sizeof sigalgs[0]; i++)
    if (strcmp(sigalgs[i].name, name) == 0)
      return &sigalgs[i];
  return NULL;
}

int sigalg_fits(const char *signing_algorithm, const char *key_algorithm, err_t *e) {
  const sigalg_t *a = sigalg_find(signing_algorithm);
  if (!a)
    return err_set(e, ERR_InvalidArgsException, "SigningAlgorithm %s is not supported",
                   signing_algorithm);
  if (strncmp(key_algorithm, a->key_prefix, strlen(a->key_prefix)) != 0)
    return err_set(e, ERR_InvalidArgsException,
                   "SigningAlgorithm %s does not fit KeyAlgorithm %s", signing_algorithm,
                   key_algorithm);
  return 0;
}

/* A signing (or, verify set, a verifying) context for the algorithm. */
static EVP_MD_CTX *sigalg_ctx_for(EVP_PKEY *key, const char *name, int verify, EVP_PKEY_CTX **pcp,
                                  err_t *e) {
  const sigalg_t *a = sigalg_find(name);
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pc = NULL;
  const EVP_MD *md = a ? EVP_get_digestbyname(a->md) : NULL;
  if (!a || !c || !md ||
      (verify ? EVP_DigestVerifyInit(c, &pc, md, NULL, key)
              : EVP_DigestSignInit(c, &pc, md, NULL, key)) != 1 ||
      (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) <= 0))) {
    EVP_MD_CTX_free(c);
    err_set(e, ERR_InternalFailure, "cannot set up %s signing", name);
    return NULL;
  }
  if (pcp)
    *pcp = pc;
  return c;
}

static EVP_MD_CTX *sigalg_ctx(EVP_PKEY *key, const char *name, err_t *e) {
  return sigalg_ctx_for(key, name, 0, NULL, e);
}

int sigalg_preset(X509 *cert, EVP_PKEY *pub, const char *signing_algorithm, err_t *e) {
  unsigned char aid[128];
  const unsigned char *q = aid;
  OSSL_PARAM params[2];
  EVP_PKEY_CTX *pc = NULL;
  EVP_MD_CTX *c = sigalg_ctx_for(pub, signing_algorithm, 1, &pc, e);
  X509_ALGOR *alg = NULL;
  const X509_ALGOR *outer = NULL;
  int ok;
  params[0] = OSSL_PARAM_construct_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, aid,
                                                sizeof aid);
  params[1] = OSSL_PARAM_construct_end();
  ok = c && EVP_PKEY_CTX_get_params(pc, params) == 1 &&
       (alg = d2i_X509_ALGOR(NULL, &q, (long)params[0].return_size)) != NULL;
  if (ok) {
    X509_get0_signature(NULL, &outer, cert);
    /* the same two fields X509_sign_ctx will write, written now */
    ok = X509_ALGOR_copy((X509_ALGOR *)X509_get0_tbs_sigalg(cert), alg) &&
         X509_ALGOR_copy((X509_ALGOR *)outer, alg);
  }
  X509_ALGOR_free(alg);
  EVP_MD_CTX_free(c);
  return ok ? 0 : err_set(e, ERR_InternalFailure, "cannot name the signature algorithm %s",
                          signing_algorithm);
}

int sigalg_sign_req(X509_REQ *req, EVP_PKEY *key, const char *signing_algorithm, err_t *e) {
  EVP_MD_CTX *c = sigalg_ctx(key, signing_algorithm, e);
  int ok = c && X509_REQ_sign_ctx(req, c) > 0;
  EVP_MD_CTX_free(c);
  return ok ? 0 : err_set(e, ERR_InternalFailure, "signing in the token failed");
}

int sigalg_sign_cert(X509 *cert, EVP_PKEY *key, const char *signing_algorithm, err_t *e) {
  EVP_MD_CTX *c = sigalg_ctx(key, signing_algorithm, e);
  int ok = c && X509_sign_ctx(cert, c) > 0;
  EVP_MD_CTX_free(c);
  return ok ? 0 : err_set(e, ERR_InternalFailure, "signing in the token failed");
}

int sigalg_sign_crl(X509_CRL *crl, EVP_PKEY *key, const char *signing_algorithm, err_t *e) {
  EVP_MD_CTX *c = sigalg_ctx(key, signing_algorithm, e);
  int ok = c && X509_CRL_sign_ctx(crl, c) > 0;
  EVP_MD_CTX_free(c);
  return ok ? 0 : err_set(e, ERR_InternalFailure, "signing in the token failed");
}

int sigalg_sign_ocsp(OCSP_BASICRESP *bs, X509 *signer, EVP_PKEY *key,
                     const char *signing_algorithm, err_t *e) {
  EVP_MD_CTX *c = sigalg_ctx(key, signing_algorithm, e);
  /* no certs: the signer is the issuer the relying party already has; a
   * certificate there is taken for a delegated responder's (Go's x/crypto
   * then checks the issuer signed it, which fails under a subordinate) */
  int ok = c && OCSP_basic_sign_ctx(bs, signer, c, NULL, OCSP_NOCERTS) == 1;
  EVP_MD_CTX_free(c);
  return ok ? 0 : err_set(e, ERR_InternalFailure, "signing in the token failed");
}

int sigalg_sign_data(const unsigned char *data, size_t len, EVP_PKEY *key,
                     const char *signing_algorithm, unsigned char **sig, size_t *siglen,
                     err_t *e) {
  EVP_MD_CTX *c = sigalg_ctx(key, signing_algorithm, e);
  size_t n = 0;
  int ok = c && EVP_DigestSign(c, NULL, &n, data, len) == 1 && (*sig = malloc(n)) != NULL;
  if (ok && EVP_DigestSign(c, *sig, &n, data, len) != 1) {
    free(*sig);
    ok = 0;
  }
  if (!ok)
    *sig = NULL;
  *siglen = ok ? n : 0;
  EVP_MD_CTX_free(c);
  return ok ? 0 : err_set(e, ERR_InternalFailure, "signing in the token failed");
}

int sigalg_verify_data(const unsigned char *data, size_t len, const unsigned char *sig,
                       size_t siglen, EVP_PKEY *pub, const char *signing_algorithm) {
  EVP_PKEY_CTX *pc = NULL;
  err_t e;
  EVP_MD_CTX *c = sigalg_ctx_for(pub, signing_algorithm, 1, &pc, &e);
  int ok = c && EVP_DigestVerify(c, sig, siglen, data, len) == 1;
  EVP_MD_CTX_free(c);
  return ok;
}
