#include "p11_err.h"

#include <openssl/err.h>
#include <p11-kit/pkcs11.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "p11_priv.h"

/* The values pcad names, and whether each means the token is gone
 * (security-and-faults.md 2.3): then the signer is rebuilt. */
static const struct {
  CK_RV rv;
  const char *name;
  int broken;
} p11_err_rvs[] = {
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", 0},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", 0},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", 0},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", 0},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", 0},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", 1},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", 1},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", 1},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", 1},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", 1},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", 0},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", 1},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", 1},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", 1},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED", 1},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", 0},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", 0},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", 0},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", 0},
};
#define P11_ERR_NRVS (sizeof p11_err_rvs / sizeof p11_err_rvs[0])

const char *p11_err_rv_name(unsigned long rv) {
  static __thread char other[32];
  for (size_t i = 0; i < P11_ERR_NRVS; i++)
    if (p11_err_rvs[i].rv == rv)
      return p11_err_rvs[i].name;
  snprintf(other, sizeof other, "CKR 0x%lx", (unsigned long)rv);
  return other;
}

int p11_err_rv_broken(unsigned long rv) {
  for (size_t i = 0; i < P11_ERR_NRVS; i++)
    if (p11_err_rvs[i].rv == rv)
      return p11_err_rvs[i].broken;
  return 0;
}

/* libp11 puts a module's CK_RV on the queue as the reason of its library
 * "PKCS#11 module" (libp11 0.4.12 p11_ckr.c). */
unsigned long p11_err_engine_rv(void) {
  unsigned long err, rv = 0;
  while ((err = ERR_get_error()) != 0) {
    const char *lib = ERR_lib_error_string(err);
    if (lib && strcmp(lib, "PKCS#11 module") == 0)
      rv = (unsigned long)ERR_GET_REASON(err);
  }
  return rv;
}

int p11_err_set(p11_err_t *e, p11_err_code_t code, const char *fmt, ...) {
  va_list ap;
  if (!e)
    return -1;
  e->code = code;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return -1;
}
