#include "core/key.h"

#include "p11.h"

/* The token's error as the daemon's. */
static void key_err(err_t *e, const p11_err_t *pe) {
  err_set(e, pe->code == P11_EARG ? ERR_InvalidArgsException : ERR_InternalFailure, "%s",
          pe->msg);
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
  if (p11_keygen(c->p11, key_algorithm, label, id, &pe) < 0 || p11_key_check(c->p11, id, &pe) < 0) {
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

EVP_PKEY *key_private(const ctx_t *c, const unsigned char id[KEY_ID_LEN], err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  EVP_PKEY *k = p11_key_private(c->p11, id, &pe);
  if (!k)
    key_err(e, &pe);
  return k;
}

int key_destroy(const ctx_t *c, const char *label, err_t *e) {
  p11_err_t pe = {P11_OK, ""};
  int n = p11_key_destroy(c->p11, label, &pe);
  if (n < 0)
    key_err(e, &pe);
  return n;
}
