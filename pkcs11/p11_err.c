#include "p11_err.h"

#include <p11-kit/pkcs11.h>
#include <stdarg.h>
#include <stdio.h>


static const struct {
  CK_RV rv;
  const char *name;
} p11_err_rv_names[] = {
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
};

const char *p11_err_rv_name(unsigned long rv) {
  static __thread char other[32];
  for (size_t i = 0; i < sizeof p11_err_rv_names / sizeof p11_err_rv_names[0]; i++)
    if (p11_err_rv_names[i].rv == rv)
      return p11_err_rv_names[i].name;
  snprintf(other, sizeof other, "CKR 0x%lx", (unsigned long)rv);
  return other;
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
