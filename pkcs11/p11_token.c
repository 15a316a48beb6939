/* The token's life: the module loaded, the token found by label, our
 * sessions opened, one login with the PIN file, the libp11 engine loaded
 * with the PIN, the probe key found or made; and all of it torn down again
 * (at close, and before each rebuild). */
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
  /* owned by pcad's user (or root, who can change anything anyway): a
   * file another user owns can be rewritten by that user */
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) ||
      (st.st_uid != geteuid() && st.st_uid != 0)) {
    close(fd);
    return p11_err_set(e, P11_EFAIL,
                       "PIN file %s must be a regular file of pcad's user (uid %u) readable by "
                       "its owner only (0600); it has mode %04o and owner uid %u",
                       path, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777),
                       (unsigned)st.st_uid);
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

int p11_pin_file_check(const char *path, p11_err_t *e) {
  char pin[256];
  int rc = p11_read_pin(path, pin, sizeof pin, e);
  OPENSSL_cleanse(pin, sizeof pin);
  return rc;
}

static int p11_label_is(const CK_UTF8CHAR label[32], const char *want) {
  size_t l = strlen(want), n = 32;
  while (n && label[n - 1] == ' ')
    n--;
  return n == l && memcmp(label, want, l) == 0;
}

static int p11_find_token(p11_t *p, p11_err_t *e) {
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
    if (p->fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK && p11_label_is(ti.label, p->label)) {
      p->slot = slots[i];
      rc = 0;
      goto out;
    }
  }
  p11_err_set(e, P11_EFAIL, "no token labelled '%s' in the PKCS#11 module", p->label);
out:
  free(slots);
  return rc;
}

/* The engine, with the PIN: through a module that gives each
 * C_Initialize a connection of its own (p11-kit's client), libp11's
 * sessions are not logged in by ours, and it logs in itself. */
static int p11_engine_load(p11_t *p, const char *pin, p11_err_t *e) {
  p->engine = ENGINE_by_id("pkcs11");
  if (!p->engine)
    return p11_err_set(e, P11_EFAIL,
                   "the libp11 OpenSSL engine 'pkcs11' cannot be loaded "
                   "(package libengine-pkcs11-openssl)");
  if (!ENGINE_ctrl_cmd_string(p->engine, "MODULE_PATH", p->module, 0) ||
      !ENGINE_ctrl_cmd_string(p->engine, "PIN", pin, 0) || !ENGINE_init(p->engine)) {
    ENGINE_free(p->engine);
    p->engine = NULL;
    return p11_err_set(e, P11_EFAIL, "the pkcs11 engine does not initialize with %s",
                   p->module);
  }
  return 0;
}

/* Exactly one login attempt: a PIN error is final for this process. Then
 * the engine, which gets the PIN that worked. */
static int p11_login(p11_t *p, p11_err_t *e) {
  char pin[256];
  CK_RV rv;
  int rc;
  memset(pin, 0, sizeof pin);
  if (p11_read_pin(p->pin_file, pin, sizeof pin, e) < 0)
    return -1;
  rv = p->fl->C_Login(p->ses.h[0], CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    rc = p11_engine_load(p, pin, e);
    OPENSSL_cleanse(pin, sizeof pin);
    return rc;
  }
  OPENSSL_cleanse(pin, sizeof pin);
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
      rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE)
    atomic_store(&p->st.pin_refused, 1);
  return p11_err_set(e, P11_EFAIL, "login to token '%s' failed: %s%s", p->label,
                     p11_err_rv_name(rv),
                     atomic_load(&p->st.pin_refused) ? " (PIN refused; never retried)" : "");
}

/* The probe key: a P-256 key labelled P11_PROBE_LABEL, made once. */
static int p11_probe_key(p11_t *p, p11_err_t *e) {
  int rc = p11_key_labelled_on(p, p->ses.h[0], P11_PROBE_LABEL, p->probe_id, e);
  if (rc != 0)
    return rc > 0 ? 0 : -1;
  return p11_keygen_on(p, p->ses.h[0], "EC_prime256v1", P11_PROBE_LABEL, p->probe_id, e);
}

int p11_token_up(p11_t *p, p11_err_t *e) {
  CK_C_INITIALIZE_ARGS args;
  CK_RV rv;
  memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  rv = p->fl->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
    return p11_err_set(e, P11_EFAIL, "C_Initialize: %s", p11_err_rv_name(rv));
  p->initialized = 1;
  if (p11_find_token(p, e) < 0 || p11_session_open_all(p, e) < 0 || p11_login(p, e) < 0 ||
      p11_probe_key(p, e) < 0)
    return -1;
  return 0;
}

void p11_token_down(p11_t *p) {
  p11_cache_drop(p, NULL);
  if (p->engine) { /* the last reference: libp11 calls C_Finalize */
    ENGINE_finish(p->engine);
    ENGINE_free(p->engine);
    p->engine = NULL;
  }
  p11_session_forget_all(p);
  if (p->initialized)
    p->fl->C_Finalize(NULL);
  p->initialized = 0;
}

int p11_token_load(p11_t *p, p11_err_t *e) {
  CK_C_GetFunctionList getfl;
  p->dl = dlopen(p->module, RTLD_NOW | RTLD_LOCAL);
  if (!p->dl)
    return p11_err_set(e, P11_EFAIL, "cannot load PKCS#11 module %s: %s", p->module,
                       dlerror());
  getfl = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
  if (!getfl || getfl(&p->fl) != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "%s is not a PKCS#11 module", p->module);
  return 0;
}

