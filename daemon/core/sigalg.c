#include "core/sigalg.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
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

static EVP_MD_CTX *sigalg_ctx(EVP_PKEY *key, const char *name, err_t *e) {
  const sigalg_t *a = sigalg_find(name);
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pc = NULL;
  const EVP_MD *md = a ? EVP_get_digestbyname(a->md) : NULL;
  if (!a || !c || !md || EVP_DigestSignInit(c, &pc, md, NULL, key) != 1 ||
      (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) <= 0))) {
    EVP_MD_CTX_free(c);
    err_set(e, ERR_InternalFailure, "cannot set up %s signing", name);
    return NULL;
  }
  return c;
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
