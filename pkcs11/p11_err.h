#ifndef PCAD_P11_ERR_H
#define PCAD_P11_ERR_H
/* The token's own error type: pkcs11/ stands alone, so the daemon maps
 * these onto its AWS errors. */

/* On every fallible function (it returns an error indication and takes an
 * error out-parameter): ignoring its result fails the build (-Werror). */
#define P11_MUST_CHECK __attribute__((warn_unused_result))

typedef enum {
  P11_OK = 0,
  P11_EARG,  /* the request cannot be done by this token (algorithm, mechanism) */
  P11_EFAIL, /* the token, the module, the engine or the key failed */
  P11_EDOWN, /* the signer is quarantined */
  P11_ETIME, /* the token did not answer within the deadline */
  P11_EBUSY, /* too many signatures waiting */
} p11_err_code_t;

typedef struct {
  p11_err_code_t code;
  char msg[256];
} p11_err_t;

/* Sets e (if non-NULL) and returns -1. */
int p11_err_set(p11_err_t *e, p11_err_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* CKR_* name of a PKCS#11 return value. */
const char *p11_err_rv_name(unsigned long rv);

#endif
