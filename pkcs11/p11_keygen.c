#include "p11.h"

#include <openssl/rand.h>
#include <string.h>

#include "p11_priv.h"


int p11_keygen_supports(p11_t *p, const char *key_algorithm, p11_err_t *e) {
  const p11_alg_t *a = p11_alg_find(key_algorithm);
  CK_MECHANISM_INFO mi;
  CK_RV rv;
  if (!a)
    return p11_err_set(e, P11_EARG,
                   "KeyAlgorithm %s is not supported: this CA's token cannot generate it",
                   key_algorithm),
           0;
  if (atomic_load(&p->st.broken))
    return p11_down_err(p, e), 0;
  pthread_rwlock_rdlock(&p->life);
  rv = p->fl->C_GetMechanismInfo(
      p->slot, a->type == CKK_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, &mi);
  pthread_rwlock_unlock(&p->life);
  if (rv != CKR_OK && rv != CKR_MECHANISM_INVALID) {
    p11_err_set(e, P11_EFAIL, "the token did not answer C_GetMechanismInfo: %s",
                p11_err_rv_name(rv));
    if (p11_err_rv_broken(rv))
      p11_quarantine(p, e->msg);
    return 0;
  }
  if (rv != CKR_OK || !(mi.flags & CKF_GENERATE_KEY_PAIR) ||
      (a->type == CKK_RSA && (a->bits < mi.ulMinKeySize || a->bits > mi.ulMaxKeySize)))
    return p11_err_set(e, P11_EARG,
                   "KeyAlgorithm %s is not supported: the token lacks the mechanism",
                   key_algorithm),
           0;
  return 1;
}

int p11_keygen_on(p11_t *p, CK_SESSION_HANDLE s, const char *key_algorithm, const char *label,
                  unsigned char id[P11_ID_LEN], p11_err_t *e) {
  static const CK_BBOOL t = CK_TRUE, f = CK_FALSE;
  static const unsigned char e_bytes[] = {0x01, 0x00, 0x01};
  const p11_alg_t *a = p11_alg_find(key_algorithm);
  CK_MECHANISM mech = {0, NULL, 0};
  CK_OBJECT_HANDLE pub, priv;
  CK_ULONG bits;
  CK_RV rv;
  if (!a)
    return p11_err_set(e, P11_EARG, "KeyAlgorithm %s is not supported",
                   key_algorithm);
  if (RAND_bytes(id, P11_ID_LEN) != 1)
    return p11_err_set(e, P11_EFAIL, "no randomness for CKA_ID");
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
    rv = p->fl->C_GenerateKeyPair(s, &mech, pub_t, npub, priv_t,
                                  sizeof priv_t / sizeof priv_t[0], &pub, &priv);
  }
  if (rv != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "C_GenerateKeyPair (%s): %s", key_algorithm,
                   p11_err_rv_name(rv));
  return 0;
}

/* A key to make or find, as p11_keygen and p11_key_labelled ask. */
typedef struct {
  const char *key_algorithm, *label;
  unsigned char *id;
} p11_keygen_req_t;

/* Generates the key and checks its attributes. */
static int p11_keygen_new(p11_t *p, CK_SESSION_HANDLE s, const void *arg, p11_err_t *e) {
  const p11_keygen_req_t *r = arg;
  return p11_keygen_on(p, s, r->key_algorithm, r->label, r->id, e) < 0
             ? -1
             : p11_key_check_on(p, s, r->id, e);
}

int p11_keygen(p11_t *p, const char *key_algorithm, const char *label,
               unsigned char id[P11_ID_LEN], p11_err_t *e) {
  p11_keygen_req_t r = {key_algorithm, label, id};
  return p11_session_locked(p, p11_keygen_new, &r, e);
}

int p11_key_labelled_on(p11_t *p, CK_SESSION_HANDLE s, const char *label,
                        unsigned char id[P11_ID_LEN], p11_err_t *e) {
  CK_ATTRIBUTE a = {CKA_ID, id, P11_ID_LEN};
  CK_RV rv;
  CK_OBJECT_HANDLE h = p11_key_find(p, s, CKO_PRIVATE_KEY, NULL, label, &rv);
  if (h == CK_INVALID_HANDLE && rv != CKR_OK)
    return p11_err_set(e, P11_EFAIL, "C_FindObjects (the key '%s'): %s", label,
                       p11_err_rv_name(rv));
  if (h == CK_INVALID_HANDLE)
    return 0;
  if (p->fl->C_GetAttributeValue(s, h, &a, 1) != CKR_OK || a.ulValueLen != P11_ID_LEN)
    return p11_err_set(e, P11_EFAIL, "the key '%s' has no 16-byte CKA_ID", label);
  return 1;
}

/* Found by its label, else made when a key algorithm is given. */
static int p11_keygen_labelled(p11_t *p, CK_SESSION_HANDLE s, const void *arg,
                               p11_err_t *e) {
  const p11_keygen_req_t *r = arg;
  int rc = p11_key_labelled_on(p, s, r->label, r->id, e);
  if (rc != 0)
    return rc > 0 ? 0 : -1;
  if (!r->key_algorithm)
    return p11_err_set(e, P11_EFAIL, "the token has no key '%s'", r->label);
  return p11_keygen_new(p, s, arg, e);
}

int p11_key_labelled(p11_t *p, const char *label, const char *key_algorithm,
                     unsigned char id[P11_ID_LEN], p11_err_t *e) {
  p11_keygen_req_t r = {key_algorithm, label, id};
  return p11_session_locked(p, p11_keygen_labelled, &r, e);
}
