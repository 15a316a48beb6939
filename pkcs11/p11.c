#include "p11.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p11_priv.h"


/* Reads the PIN: a regular file, no access for group or others, one
 * trailing newline (LF or CRLF) stripped. */
static int p11_read_pin(const char *path, char *pin, size_t pinlen, p11_err_t *e) {
  struct stat st;
  ssize_t n;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return p11_err_set(e, P11_EFAIL, "PIN file %s: cannot open: %s", path,
                   strerror(errno));
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
    close(fd);
    return p11_err_set(e, P11_EFAIL,
                   "PIN file %s must be a regular file readable by its owner only (0600)", path);
  }
  n = read(fd, pin, pinlen - 1);
  close(fd);
  if (n <= 0)
    return p11_err_set(e, P11_EFAIL, "PIN file %s is empty or unreadable", path);
  pin[n] = '\0';
  if (n && pin[n - 1] == '\n')
    pin[--n] = '\0';
  if (n && pin[n - 1] == '\r')
    pin[--n] = '\0';
  if (n == 0)
    return p11_err_set(e, P11_EFAIL, "PIN file %s holds no PIN", path);
  return 0;
}

static int p11_label_is(const CK_UTF8CHAR label[32], const char *want) {
  size_t l = strlen(want), n = 32;
  while (n && label[n - 1] == ' ')
    n--;
  return n == l && memcmp(label, want, l) == 0;
}

static int p11_find_token(p11_t *p, const char *label, p11_err_t *e) {
  CK_ULONG n = 0;
  CK_SLOT_ID *slots = NULL;
  CK_RV rv = p->fl->C_GetSlotList(CK_TRUE, NULL, &n);
  int rc = -1;
  if (rv != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "C_GetSlotList: %s", p11_err_rv_name(rv));
  slots = calloc(n ? n : 1, sizeof *slots);
  if (!slots)
    return p11_err_set(e, P11_EFAIL, "out of memory");
  rv = p->fl->C_GetSlotList(CK_TRUE, slots, &n);
  if (rv != CKR_OK) {
    p11_err_set(e, P11_EFAIL, "C_GetSlotList: %s", p11_err_rv_name(rv));
    goto out;
  }
  for (CK_ULONG i = 0; i < n; i++) {
    CK_TOKEN_INFO ti;
    if (p->fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK && p11_label_is(ti.label, label)) {
      p->slot = slots[i];
      rc = 0;
      goto out;
    }
  }
  p11_err_set(e, P11_EFAIL, "no token labelled '%s' in the PKCS#11 module", label);
out:
  free(slots);
  return rc;
}

static int p11_engine_load(p11_t *p, const char *module, p11_err_t *e) {
  ENGINE_load_dynamic();
  p->engine = ENGINE_by_id("pkcs11");
  if (!p->engine)
    return p11_err_set(e, P11_EFAIL,
                   "the libp11 OpenSSL engine 'pkcs11' cannot be loaded "
                   "(package libengine-pkcs11-openssl)");
  if (!ENGINE_ctrl_cmd_string(p->engine, "MODULE_PATH", module, 0) || !ENGINE_init(p->engine)) {
    ENGINE_free(p->engine);
    p->engine = NULL;
    return p11_err_set(e, P11_EFAIL, "the pkcs11 engine does not initialize with %s",
                   module);
  }
  return 0;
}

p11_t *p11_open(const char *module, const char *label, const char *pin_file, p11_err_t *e) {
  p11_t *p = calloc(1, sizeof *p);
  CK_C_GetFunctionList getfl;
  CK_C_INITIALIZE_ARGS args;
  char pin[256];
  CK_RV rv;
  memset(pin, 0, sizeof pin);
  if (!p) {
    p11_err_set(e, P11_EFAIL, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  p->session = CK_INVALID_HANDLE;
  /* the PIN first: a bad PIN file must not cost a module load */
  if (p11_read_pin(pin_file, pin, sizeof pin, e) < 0)
    goto fail;
  p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
  if (!p->dl) {
    p11_err_set(e, P11_EFAIL, "cannot load PKCS#11 module %s: %s", module, dlerror());
    goto fail;
  }
  getfl = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
  if (!getfl || getfl(&p->fl) != CKR_OK) {
    p11_err_set(e, P11_EFAIL, "%s is not a PKCS#11 module", module);
    goto fail;
  }
  memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  rv = p->fl->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    p11_err_set(e, P11_EFAIL, "C_Initialize: %s", p11_err_rv_name(rv));
    goto fail;
  }
  p->initialized = rv == CKR_OK;
  if (p11_find_token(p, label, e) < 0)
    goto fail;
  snprintf(p->label, sizeof p->label, "%s", label);
  rv = p->fl->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                            &p->session);
  if (rv != CKR_OK) {
    p11_err_set(e, P11_EFAIL, "C_OpenSession: %s", p11_err_rv_name(rv));
    goto fail;
  }
  /* exactly one login attempt per start */
  rv = p->fl->C_Login(p->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
  OPENSSL_cleanse(pin, sizeof pin);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    p11_err_set(e, P11_EFAIL, "login to token '%s' failed: %s%s", label, p11_err_rv_name(rv),
            rv == CKR_PIN_INCORRECT ? " (wrong PIN; not retried)" : "");
    goto fail;
  }
  if (p11_engine_load(p, module, e) < 0)
    goto fail;
  return p;
fail:
  OPENSSL_cleanse(pin, sizeof pin);
  p11_close(p);
  return NULL;
}

int p11_logged_in(p11_t *p) {
  CK_SESSION_INFO si;
  CK_RV rv;
  pthread_mutex_lock(&p->mu);
  rv = p->fl->C_GetSessionInfo(p->session, &si);
  pthread_mutex_unlock(&p->mu);
  return rv == CKR_OK && (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS);
}

void p11_close(p11_t *p) {
  if (!p)
    return;
  if (p->fl && p->session != CK_INVALID_HANDLE)
    p->fl->C_CloseSession(p->session);
  if (p->engine) {
    ENGINE_finish(p->engine);
    ENGINE_free(p->engine);
  }
  if (p->fl && p->initialized)
    p->fl->C_Finalize(NULL);
  /* the module stays mapped: the engine may still reference it */
  pthread_mutex_destroy(&p->mu);
  free(p);
}
