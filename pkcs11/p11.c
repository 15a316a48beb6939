#include "p11.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct p11 {
  void *dl;
  CK_FUNCTION_LIST_PTR fl;
  CK_SLOT_ID slot;
  CK_SESSION_HANDLE session;
  int initialized;
  pthread_mutex_t mu; /* one operation per session at a time */
  ENGINE *engine;
  char label[33];
};

static const struct {
  CK_RV rv;
  const char *name;
} p11_rv_names[] = {
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

static const char *p11_rv_name(CK_RV rv) {
  static __thread char other[32];
  for (size_t i = 0; i < sizeof p11_rv_names / sizeof p11_rv_names[0]; i++)
    if (p11_rv_names[i].rv == rv)
      return p11_rv_names[i].name;
  snprintf(other, sizeof other, "CKR 0x%lx", (unsigned long)rv);
  return other;
}

/* Reads the PIN: a regular file, no access for group or others, one
 * trailing newline (LF or CRLF) stripped. */
static int p11_read_pin(const char *path, char *pin, size_t pinlen, err_t *e) {
  struct stat st;
  ssize_t n;
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return err_set(e, ERR_InternalFailure, "PIN file %s: cannot open: %s", path,
                   strerror(errno));
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
    close(fd);
    return err_set(e, ERR_InternalFailure,
                   "PIN file %s must be a regular file readable by its owner only (0600)", path);
  }
  n = read(fd, pin, pinlen - 1);
  close(fd);
  if (n <= 0)
    return err_set(e, ERR_InternalFailure, "PIN file %s is empty or unreadable", path);
  pin[n] = '\0';
  if (n && pin[n - 1] == '\n')
    pin[--n] = '\0';
  if (n && pin[n - 1] == '\r')
    pin[--n] = '\0';
  if (n == 0)
    return err_set(e, ERR_InternalFailure, "PIN file %s holds no PIN", path);
  return 0;
}

static int p11_label_is(const CK_UTF8CHAR label[32], const char *want) {
  size_t l = strlen(want), n = 32;
  while (n && label[n - 1] == ' ')
    n--;
  return n == l && memcmp(label, want, l) == 0;
}

static int p11_find_token(p11_t *p, const char *label, err_t *e) {
  CK_ULONG n = 0;
  CK_SLOT_ID *slots = NULL;
  CK_RV rv = p->fl->C_GetSlotList(CK_TRUE, NULL, &n);
  int rc = -1;
  if (rv != CKR_OK)
    return err_set(e, ERR_InternalFailure, "C_GetSlotList: %s", p11_rv_name(rv));
  slots = calloc(n ? n : 1, sizeof *slots);
  if (!slots)
    return err_set(e, ERR_InternalFailure, "out of memory");
  rv = p->fl->C_GetSlotList(CK_TRUE, slots, &n);
  if (rv != CKR_OK) {
    err_set(e, ERR_InternalFailure, "C_GetSlotList: %s", p11_rv_name(rv));
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
  err_set(e, ERR_InternalFailure, "no token labelled '%s' in the PKCS#11 module", label);
out:
  free(slots);
  return rc;
}

static int p11_engine_load(p11_t *p, const char *module, err_t *e) {
  ENGINE_load_dynamic();
  p->engine = ENGINE_by_id("pkcs11");
  if (!p->engine)
    return err_set(e, ERR_InternalFailure,
                   "the libp11 OpenSSL engine 'pkcs11' cannot be loaded "
                   "(package libengine-pkcs11-openssl)");
  if (!ENGINE_ctrl_cmd_string(p->engine, "MODULE_PATH", module, 0) || !ENGINE_init(p->engine)) {
    ENGINE_free(p->engine);
    p->engine = NULL;
    return err_set(e, ERR_InternalFailure, "the pkcs11 engine does not initialize with %s",
                   module);
  }
  return 0;
}

p11_t *p11_open(const char *module, const char *label, const char *pin_file, err_t *e) {
  p11_t *p = calloc(1, sizeof *p);
  CK_C_GetFunctionList getfl;
  CK_C_INITIALIZE_ARGS args;
  char pin[256];
  CK_RV rv;
  memset(pin, 0, sizeof pin);
  if (!p) {
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&p->mu, NULL);
  p->session = CK_INVALID_HANDLE;
  /* the PIN first: a bad PIN file must not cost a module load */
  if (p11_read_pin(pin_file, pin, sizeof pin, e) < 0)
    goto fail;
  p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
  if (!p->dl) {
    err_set(e, ERR_InternalFailure, "cannot load PKCS#11 module %s: %s", module, dlerror());
    goto fail;
  }
  getfl = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
  if (!getfl || getfl(&p->fl) != CKR_OK) {
    err_set(e, ERR_InternalFailure, "%s is not a PKCS#11 module", module);
    goto fail;
  }
  memset(&args, 0, sizeof args);
  args.flags = CKF_OS_LOCKING_OK;
  rv = p->fl->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    err_set(e, ERR_InternalFailure, "C_Initialize: %s", p11_rv_name(rv));
    goto fail;
  }
  p->initialized = rv == CKR_OK;
  if (p11_find_token(p, label, e) < 0)
    goto fail;
  snprintf(p->label, sizeof p->label, "%s", label);
  rv = p->fl->C_OpenSession(p->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                            &p->session);
  if (rv != CKR_OK) {
    err_set(e, ERR_InternalFailure, "C_OpenSession: %s", p11_rv_name(rv));
    goto fail;
  }
  /* exactly one login attempt per start */
  rv = p->fl->C_Login(p->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
  OPENSSL_cleanse(pin, sizeof pin);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    err_set(e, ERR_InternalFailure, "login to token '%s' failed: %s%s", label, p11_rv_name(rv),
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

/* ---- keys ---- */

typedef struct {
  const char *name; /* AWS KeyAlgorithm */
  CK_KEY_TYPE type;
  CK_ULONG bits;             /* RSA */
  const unsigned char *oid;  /* EC: DER of the curve OID */
  size_t oid_len;
  const char *group;         /* EC: OpenSSL group name */
} p11_alg_t;

static const unsigned char p11_oid_p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char p11_oid_p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char p11_oid_p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};

static const p11_alg_t p11_algs[] = {
    {"RSA_2048", CKK_RSA, 2048, NULL, 0, NULL},
    {"RSA_3072", CKK_RSA, 3072, NULL, 0, NULL},
    {"RSA_4096", CKK_RSA, 4096, NULL, 0, NULL},
    {"EC_prime256v1", CKK_EC, 0, p11_oid_p256, sizeof p11_oid_p256, "prime256v1"},
    {"EC_secp384r1", CKK_EC, 0, p11_oid_p384, sizeof p11_oid_p384, "secp384r1"},
    {"EC_secp521r1", CKK_EC, 0, p11_oid_p521, sizeof p11_oid_p521, "secp521r1"},
};

static const p11_alg_t *p11_alg(const char *name) {
  for (size_t i = 0; i < sizeof p11_algs / sizeof p11_algs[0]; i++)
    if (strcmp(p11_algs[i].name, name) == 0)
      return &p11_algs[i];
  return NULL;
}

int p11_supports(p11_t *p, const char *key_algorithm, err_t *e) {
  const p11_alg_t *a = p11_alg(key_algorithm);
  CK_MECHANISM_INFO mi;
  CK_RV rv;
  if (!a)
    return err_set(e, ERR_InvalidArgsException,
                   "KeyAlgorithm %s is not supported: this CA's token cannot generate it",
                   key_algorithm),
           0;
  pthread_mutex_lock(&p->mu);
  rv = p->fl->C_GetMechanismInfo(
      p->slot, a->type == CKK_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, &mi);
  pthread_mutex_unlock(&p->mu);
  if (rv != CKR_OK || !(mi.flags & CKF_GENERATE_KEY_PAIR) ||
      (a->type == CKK_RSA && (a->bits < mi.ulMinKeySize || a->bits > mi.ulMaxKeySize)))
    return err_set(e, ERR_InvalidArgsException,
                   "KeyAlgorithm %s is not supported: the token lacks the mechanism",
                   key_algorithm),
           0;
  return 1;
}

int p11_generate(p11_t *p, const char *key_algorithm, const char *label,
                 unsigned char id[P11_ID_LEN], err_t *e) {
  static const CK_BBOOL t = CK_TRUE, f = CK_FALSE;
  static const unsigned char e_bytes[] = {0x01, 0x00, 0x01};
  const p11_alg_t *a = p11_alg(key_algorithm);
  CK_MECHANISM mech = {0, NULL, 0};
  CK_OBJECT_HANDLE pub, priv;
  CK_ULONG bits;
  CK_RV rv;
  if (!a)
    return err_set(e, ERR_InvalidArgsException, "KeyAlgorithm %s is not supported",
                   key_algorithm);
  if (RAND_bytes(id, P11_ID_LEN) != 1)
    return err_set(e, ERR_InternalFailure, "no randomness for CKA_ID");
  bits = a->bits;
  {
    CK_ATTRIBUTE pub_t[] = {
        {CKA_TOKEN, (void *)&t, sizeof t},
        {CKA_PRIVATE, (void *)&f, sizeof f},
        {CKA_VERIFY, (void *)&t, sizeof t},
        {CKA_ENCRYPT, (void *)&f, sizeof f},
        {CKA_WRAP, (void *)&f, sizeof f},
        {CKA_DESTROYABLE, (void *)&t, sizeof t},
        {CKA_ID, id, P11_ID_LEN},
        {CKA_LABEL, (void *)label, strlen(label)},
        /* the algorithm's own attributes come last */
        {CKA_MODULUS_BITS, &bits, sizeof bits},
        {CKA_PUBLIC_EXPONENT, (void *)e_bytes, sizeof e_bytes},
    };
    CK_ATTRIBUTE priv_t[] = {
        {CKA_TOKEN, (void *)&t, sizeof t},
        {CKA_PRIVATE, (void *)&t, sizeof t},
        {CKA_SENSITIVE, (void *)&t, sizeof t},
        {CKA_EXTRACTABLE, (void *)&f, sizeof f},
        {CKA_SIGN, (void *)&t, sizeof t},
        {CKA_SIGN_RECOVER, (void *)&f, sizeof f},
        {CKA_DECRYPT, (void *)&f, sizeof f},
        {CKA_UNWRAP, (void *)&f, sizeof f},
        {CKA_DERIVE, (void *)&f, sizeof f},
        {CKA_MODIFIABLE, (void *)&f, sizeof f},
        {CKA_COPYABLE, (void *)&f, sizeof f},
        {CKA_DESTROYABLE, (void *)&t, sizeof t},
        {CKA_ID, id, P11_ID_LEN},
        {CKA_LABEL, (void *)label, strlen(label)},
    };
    CK_ULONG npub = sizeof pub_t / sizeof pub_t[0];
    if (a->type == CKK_RSA) {
      mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
    } else {
      mech.mechanism = CKM_EC_KEY_PAIR_GEN;
      pub_t[npub - 2].type = CKA_EC_PARAMS;
      pub_t[npub - 2].pValue = (void *)a->oid;
      pub_t[npub - 2].ulValueLen = a->oid_len;
      npub--;
    }
    pthread_mutex_lock(&p->mu);
    rv = p->fl->C_GenerateKeyPair(p->session, &mech, pub_t, npub, priv_t,
                                  sizeof priv_t / sizeof priv_t[0], &pub, &priv);
    pthread_mutex_unlock(&p->mu);
  }
  if (rv != CKR_OK)
    return err_set(e, ERR_InternalFailure, "C_GenerateKeyPair (%s): %s", key_algorithm,
                   p11_rv_name(rv));
  return 0;
}

/* Finds the one object of class cls with CKA_ID id; caller holds p->mu. */
static CK_OBJECT_HANDLE p11_find(p11_t *p, CK_OBJECT_CLASS cls, const unsigned char *id) {
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, (void *)id, P11_ID_LEN}};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  CK_ULONG n = 0;
  if (p->fl->C_FindObjectsInit(p->session, tmpl, 2) != CKR_OK)
    return CK_INVALID_HANDLE;
  if (p->fl->C_FindObjects(p->session, &h, 1, &n) != CKR_OK || n != 1)
    h = CK_INVALID_HANDLE;
  p->fl->C_FindObjectsFinal(p->session);
  return h;
}

int p11_check_key(p11_t *p, const unsigned char id[P11_ID_LEN], err_t *e) {
  static const struct {
    CK_ATTRIBUTE_TYPE type;
    CK_BBOOL want;
    const char *name;
  } rules[] = {
      {CKA_TOKEN, CK_TRUE, "CKA_TOKEN"},
      {CKA_PRIVATE, CK_TRUE, "CKA_PRIVATE"},
      {CKA_SENSITIVE, CK_TRUE, "CKA_SENSITIVE"},
      {CKA_ALWAYS_SENSITIVE, CK_TRUE, "CKA_ALWAYS_SENSITIVE"},
      {CKA_EXTRACTABLE, CK_FALSE, "CKA_EXTRACTABLE"},
      {CKA_NEVER_EXTRACTABLE, CK_TRUE, "CKA_NEVER_EXTRACTABLE"},
      {CKA_LOCAL, CK_TRUE, "CKA_LOCAL"},
      {CKA_DECRYPT, CK_FALSE, "CKA_DECRYPT"},
      {CKA_UNWRAP, CK_FALSE, "CKA_UNWRAP"},
      {CKA_DERIVE, CK_FALSE, "CKA_DERIVE"},
  };
  CK_BBOOL vals[sizeof rules / sizeof rules[0]];
  CK_ATTRIBUTE tmpl[sizeof rules / sizeof rules[0]];
  CK_OBJECT_HANDLE h;
  CK_RV rv = CKR_OK;
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
    tmpl[i].type = rules[i].type;
    tmpl[i].pValue = &vals[i];
    tmpl[i].ulValueLen = sizeof vals[i];
  }
  pthread_mutex_lock(&p->mu);
  h = p11_find(p, CKO_PRIVATE_KEY, id);
  if (h != CK_INVALID_HANDLE)
    rv = p->fl->C_GetAttributeValue(p->session, h, tmpl, sizeof rules / sizeof rules[0]);
  pthread_mutex_unlock(&p->mu);
  if (h == CK_INVALID_HANDLE)
    return err_set(e, ERR_InternalFailure, "the CA's private key is not in the token");
  if (rv != CKR_OK)
    return err_set(e, ERR_InternalFailure, "C_GetAttributeValue: %s", p11_rv_name(rv));
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (vals[i] != rules[i].want)
      return err_set(e, ERR_InternalFailure, "key refused: %s is %s", rules[i].name,
                     vals[i] ? "true" : "false");
  return 0;
}

/* Reads a variable-length attribute into a malloc'ed buffer. */
static unsigned char *p11_attr(p11_t *p, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type,
                               CK_ULONG *len) {
  CK_ATTRIBUTE a = {type, NULL, 0};
  unsigned char *v;
  if (p->fl->C_GetAttributeValue(p->session, h, &a, 1) != CKR_OK ||
      a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
    return NULL;
  v = malloc(a.ulValueLen ? a.ulValueLen : 1);
  a.pValue = v;
  if (!v || p->fl->C_GetAttributeValue(p->session, h, &a, 1) != CKR_OK) {
    free(v);
    return NULL;
  }
  *len = a.ulValueLen;
  return v;
}

static EVP_PKEY *p11_pkey_from(const char *type, OSSL_PARAM_BLD *bld) {
  OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  EVP_PKEY *pk = NULL;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
      EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    pk = NULL;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pk;
}

EVP_PKEY *p11_public_key(p11_t *p, const unsigned char id[P11_ID_LEN], err_t *e) {
  CK_OBJECT_HANDLE h;
  CK_KEY_TYPE kt = 0;
  CK_ATTRIBUTE ta = {CKA_KEY_TYPE, &kt, sizeof kt};
  unsigned char *a1 = NULL, *a2 = NULL;
  CK_ULONG l1 = 0, l2 = 0;
  EVP_PKEY *pk = NULL;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  BIGNUM *n = NULL, *ex = NULL;
  ASN1_OCTET_STRING *pt = NULL;

  pthread_mutex_lock(&p->mu);
  h = p11_find(p, CKO_PUBLIC_KEY, id);
  if (h != CK_INVALID_HANDLE && p->fl->C_GetAttributeValue(p->session, h, &ta, 1) == CKR_OK) {
    if (kt == CKK_RSA) {
      a1 = p11_attr(p, h, CKA_MODULUS, &l1);
      a2 = p11_attr(p, h, CKA_PUBLIC_EXPONENT, &l2);
    } else if (kt == CKK_EC) {
      a1 = p11_attr(p, h, CKA_EC_PARAMS, &l1);
      a2 = p11_attr(p, h, CKA_EC_POINT, &l2);
    }
  }
  pthread_mutex_unlock(&p->mu);
  if (!bld || !a1 || !a2) {
    err_set(e, ERR_InternalFailure, "the CA's public key is not in the token");
    goto out;
  }
  if (kt == CKK_RSA) {
    n = BN_bin2bn(a1, (int)l1, NULL);
    ex = BN_bin2bn(a2, (int)l2, NULL);
    if (n && ex && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ex))
      pk = p11_pkey_from("RSA", bld);
  } else {
    const unsigned char *q = a2;
    const char *group = NULL;
    for (size_t i = 0; i < sizeof p11_algs / sizeof p11_algs[0]; i++)
      if (p11_algs[i].oid && p11_algs[i].oid_len == l1 && memcmp(p11_algs[i].oid, a1, l1) == 0)
        group = p11_algs[i].group;
    /* CKA_EC_POINT is the point inside a DER OCTET STRING */
    pt = d2i_ASN1_OCTET_STRING(NULL, &q, (long)l2);
    if (group && pt &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt->data,
                                         (size_t)pt->length))
      pk = p11_pkey_from("EC", bld);
  }
  if (!pk)
    err_set(e, ERR_InternalFailure, "cannot decode the CA's public key");
out:
  ASN1_OCTET_STRING_free(pt);
  BN_free(n);
  BN_free(ex);
  OSSL_PARAM_BLD_free(bld);
  free(a1);
  free(a2);
  return pk;
}

EVP_PKEY *p11_private_key(p11_t *p, const unsigned char id[P11_ID_LEN], err_t *e) {
  char uri[512];
  size_t o;
  EVP_PKEY *pk;
  /* RFC 7512: no PIN in the URI; the process is logged in already */
  o = (size_t)snprintf(uri, sizeof uri, "pkcs11:token=%s;id=", p->label);
  for (int i = 0; i < P11_ID_LEN && o + 4 < sizeof uri; i++)
    o += (size_t)snprintf(uri + o, sizeof uri - o, "%%%02x", id[i]);
  snprintf(uri + o, sizeof uri - o, ";type=private");
  pk = ENGINE_load_private_key(p->engine, uri, NULL, NULL);
  if (!pk) {
    unsigned long oe = ERR_get_error();
    err_set(e, ERR_InternalFailure, "the engine cannot load the CA key: %s",
            oe ? ERR_reason_error_string(oe) : "unknown");
    ERR_clear_error();
  }
  return pk;
}

int p11_destroy(p11_t *p, const char *label, err_t *e) {
  CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)label, strlen(label)}};
  CK_OBJECT_HANDLE hs[16];
  CK_ULONG n = 0;
  CK_RV rv;
  int count = 0;
  pthread_mutex_lock(&p->mu);
  rv = p->fl->C_FindObjectsInit(p->session, tmpl, 1);
  if (rv == CKR_OK) {
    rv = p->fl->C_FindObjects(p->session, hs, 16, &n);
    p->fl->C_FindObjectsFinal(p->session);
  }
  for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
    CK_RV d = p->fl->C_DestroyObject(p->session, hs[i]);
    if (d == CKR_OK)
      count++;
    else if (d != CKR_OBJECT_HANDLE_INVALID)
      rv = d;
  }
  pthread_mutex_unlock(&p->mu);
  if (rv != CKR_OK)
    return err_set(e, ERR_InternalFailure, "destroying key objects '%s': %s", label,
                   p11_rv_name(rv));
  return count;
}
