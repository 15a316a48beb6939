#include "p11.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11_priv.h"

/* The token's answer rv to call, returned; a broken token quarantines the
 * signer. Kept for the caller's message: a token lost between the search
 * and the read is the token's failure, not a missing key. */
static CK_RV p11_key_rv(p11_t *p, const char *call, CK_RV rv) {
  char why[96];
  if (rv != CKR_OK && p11_err_rv_broken(rv)) {
    snprintf(why, sizeof why, "%s: %s", call, p11_err_rv_name(rv));
    p11_quarantine(p, why);
  }
  return rv;
}

CK_OBJECT_HANDLE p11_key_find(p11_t *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                              const unsigned char *id, const char *label, CK_RV *rv) {
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                         id ? (CK_ATTRIBUTE){CKA_ID, (void *)id, P11_ID_LEN}
                            : (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)}};
  CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
  CK_ULONG n = 0;
  if ((*rv = p->fl->C_FindObjectsInit(s, tmpl, 2)) == CKR_OK) {
    if ((*rv = p->fl->C_FindObjects(s, &h, 1, &n)) != CKR_OK || n != 1)
      h = CK_INVALID_HANDLE;
    p->fl->C_FindObjectsFinal(s);
  }
  p11_key_rv(p, "C_FindObjects", *rv);
  return h;
}

/* Why an object was not found or read: the token's error, or that it is
 * not there. */
static int p11_key_missing(CK_RV rv, const char *what, p11_err_t *e) {
  if (rv != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "the token failed on the %s: %s", what,
                       p11_err_rv_name(rv));
  return p11_err_set(e, P11_EFAIL, "the %s is not in the token", what);
}

int p11_key_check_on(p11_t *p, CK_SESSION_HANDLE s, const unsigned char id[P11_ID_LEN],
                     p11_err_t *e) {
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
  CK_RV rv;
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
    tmpl[i].type = rules[i].type;
    tmpl[i].pValue = &vals[i];
    tmpl[i].ulValueLen = sizeof vals[i];
  }
  h = p11_key_find(p, s, CKO_PRIVATE_KEY, id, NULL, &rv);
  if (h == CK_INVALID_HANDLE)
    return p11_key_missing(rv, "CA's private key", e);
  rv = p->fl->C_GetAttributeValue(s, h, tmpl, sizeof rules / sizeof rules[0]);
  if (rv != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "C_GetAttributeValue: %s", p11_err_rv_name(rv));
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (vals[i] != rules[i].want)
      return p11_err_set(e, P11_EFAIL, "key refused: %s is %s", rules[i].name,
                     vals[i] ? "true" : "false");
  return 0;
}

/* Reads a variable-length attribute into a malloc'ed buffer; *rv is the
 * token's answer. */
static unsigned char *p11_key_attr(p11_t *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                                   CK_ATTRIBUTE_TYPE type, CK_ULONG *len, CK_RV *rv) {
  CK_ATTRIBUTE a = {type, NULL, 0};
  unsigned char *v;
  *rv = p11_key_rv(p, "C_GetAttributeValue", p->fl->C_GetAttributeValue(s, h, &a, 1));
  if (*rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
    return NULL;
  v = malloc(a.ulValueLen ? a.ulValueLen : 1);
  a.pValue = v;
  if (v)
    *rv = p11_key_rv(p, "C_GetAttributeValue", p->fl->C_GetAttributeValue(s, h, &a, 1));
  if (!v || *rv != CKR_OK) {
    free(v);
    return NULL;
  }
  *len = a.ulValueLen;
  return v;
}

static EVP_PKEY *p11_key_from(const char *type, OSSL_PARAM_BLD *bld) {
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

EVP_PKEY *p11_key_read_public(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e) {
  CK_SESSION_HANDLE s;
  CK_OBJECT_HANDLE h;
  CK_RV rv = CKR_OK;
  CK_KEY_TYPE kt = 0;
  CK_ATTRIBUTE ta = {CKA_KEY_TYPE, &kt, sizeof kt};
  unsigned char *a1 = NULL, *a2 = NULL;
  CK_ULONG l1 = 0, l2 = 0;
  EVP_PKEY *pk = NULL;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  BIGNUM *n = NULL, *ex = NULL;
  ASN1_OCTET_STRING *pt = NULL;

  if (p11_session_get(p, &s, e) < 0)
    goto out;
  h = p11_key_find(p, s, CKO_PUBLIC_KEY, id, NULL, &rv);
  if (h != CK_INVALID_HANDLE)
    rv = p11_key_rv(p, "C_GetAttributeValue", p->fl->C_GetAttributeValue(s, h, &ta, 1));
  if (h != CK_INVALID_HANDLE && rv == CKR_OK) {
    if (kt == CKK_RSA) {
      a1 = p11_key_attr(p, s, h, CKA_MODULUS, &l1, &rv);
      a2 = a1 ? p11_key_attr(p, s, h, CKA_PUBLIC_EXPONENT, &l2, &rv) : NULL;
    } else if (kt == CKK_EC) {
      a1 = p11_key_attr(p, s, h, CKA_EC_PARAMS, &l1, &rv);
      a2 = a1 ? p11_key_attr(p, s, h, CKA_EC_POINT, &l2, &rv) : NULL;
    }
  }
  p11_session_put(p, s);
  if (!bld || !a1 || !a2) {
    p11_key_missing(rv, "CA's public key", e);
    goto out;
  }
  if (kt == CKK_RSA) {
    n = BN_bin2bn(a1, (int)l1, NULL);
    ex = BN_bin2bn(a2, (int)l2, NULL);
    if (n && ex && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ex))
      pk = p11_key_from("RSA", bld);
  } else {
    const unsigned char *q = a2;
    const char *group = NULL;
    for (size_t i = 0; i < p11_alg_count; i++)
      if (p11_alg_table[i].oid && p11_alg_table[i].oid_len == l1 && memcmp(p11_alg_table[i].oid, a1, l1) == 0)
        group = p11_alg_table[i].group;
    /* CKA_EC_POINT is the point inside a DER OCTET STRING */
    pt = d2i_ASN1_OCTET_STRING(NULL, &q, (long)l2);
    if (group && pt &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt->data,
                                         (size_t)pt->length))
      pk = p11_key_from("EC", bld);
  }
  if (!pk)
    p11_err_set(e, P11_EFAIL, "cannot decode the CA's public key");
out:
  ASN1_OCTET_STRING_free(pt);
  BN_free(n);
  BN_free(ex);
  OSSL_PARAM_BLD_free(bld);
  free(a1);
  free(a2);
  return pk;
}

EVP_PKEY *p11_key_load_private(p11_t *p, const unsigned char id[P11_ID_LEN], p11_err_t *e) {
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
    p11_err_set(e, P11_EFAIL, "the engine cannot load the CA key: %s",
            oe ? ERR_reason_error_string(oe) : "unknown");
    ERR_clear_error();
  }
  return pk;
}

int p11_key_destroy_on(p11_t *p, CK_SESSION_HANDLE s, const char *label,
                       void (*gone)(p11_t *p, const unsigned char *id), p11_err_t *e) {
  CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)label, strlen(label)}};
  CK_OBJECT_HANDLE hs[16];
  CK_ULONG n = 0;
  CK_RV rv = p->fl->C_FindObjectsInit(s, tmpl, 1);
  int count = 0;
  if (rv == CKR_OK) {
    rv = p->fl->C_FindObjects(s, hs, 16, &n);
    p->fl->C_FindObjectsFinal(s);
  }
  for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++) {
    unsigned char id[P11_ID_LEN];
    CK_ATTRIBUTE a = {CKA_ID, id, sizeof id};
    int has_id = p->fl->C_GetAttributeValue(s, hs[i], &a, 1) == CKR_OK &&
                 a.ulValueLen == P11_ID_LEN;
    CK_RV d = p->fl->C_DestroyObject(s, hs[i]);
    if (d == CKR_OK) {
      count++;
      if (has_id)
        gone(p, id);
    } else if (d != CKR_OBJECT_HANDLE_INVALID) {
      rv = d;
    }
  }
  if (rv != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "destroying key objects '%s': %s", label,
                       p11_err_rv_name(rv));
  return count;
}
