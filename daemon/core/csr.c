#include "core/csr.h"

#include <ctype.h>
#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string.h>

#include "core/goodkey.h"

static int csr_set_key(X509_PUBKEY *to, const X509_ALGOR *a, const ASN1_BIT_STRING *bits);

/* The CSR's structure, with the SubjectPublicKeyInfo left as its two
 * fields: d2i_X509_REQ would decode the key through OpenSSL 3's decoder
 * machinery, which was a sixth of pcad's CPU per issuance. The key is
 * made straight from its bits instead (csr_key). CertificationRequestInfo
 * keeps its encoding, which is what the signature covers. */
typedef struct {
  X509_ALGOR *alg;
  ASN1_BIT_STRING *bits;
} CSR_SPKI;

typedef struct {
  ASN1_ENCODING enc;
  ASN1_INTEGER *version;
  X509_NAME *subject;
  CSR_SPKI *spki;
  STACK_OF(X509_ATTRIBUTE) *attributes;
} CSR_INFO;

typedef struct {
  CSR_INFO *info;
  X509_ALGOR *sig_alg;
  ASN1_BIT_STRING *sig;
} CSR_DER;

typedef struct {
  ASN1_INTEGER *n, *e;
} CSR_RSA_PUB;

DECLARE_ASN1_ITEM(CSR_SPKI)
DECLARE_ASN1_ITEM(CSR_INFO)
DECLARE_ASN1_ITEM(CSR_DER)
DECLARE_ASN1_ITEM(CSR_RSA_PUB)

ASN1_SEQUENCE(CSR_SPKI) = {
    ASN1_SIMPLE(CSR_SPKI, alg, X509_ALGOR),
    ASN1_SIMPLE(CSR_SPKI, bits, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(CSR_SPKI)

/* as X509_REQ_INFO: the attributes are not really optional, but some
 * encoders leave them out */
ASN1_SEQUENCE_enc(CSR_INFO, enc, NULL) = {
    ASN1_SIMPLE(CSR_INFO, version, ASN1_INTEGER),
    ASN1_SIMPLE(CSR_INFO, subject, X509_NAME),
    ASN1_SIMPLE(CSR_INFO, spki, CSR_SPKI),
    ASN1_IMP_SET_OF_OPT(CSR_INFO, attributes, X509_ATTRIBUTE, 0),
} ASN1_SEQUENCE_END_enc(CSR_INFO, CSR_INFO)

ASN1_SEQUENCE(CSR_DER) = {
    ASN1_SIMPLE(CSR_DER, info, CSR_INFO),
    ASN1_SIMPLE(CSR_DER, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(CSR_DER, sig, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(CSR_DER)

ASN1_SEQUENCE(CSR_RSA_PUB) = {
    ASN1_SIMPLE(CSR_RSA_PUB, n, ASN1_INTEGER),
    ASN1_SIMPLE(CSR_RSA_PUB, e, ASN1_INTEGER),
} ASN1_SEQUENCE_END(CSR_RSA_PUB)

/* The DER of one PEM block, or raw itself when it is DER (*owned 0). */
static unsigned char *csr_der(const unsigned char *raw, size_t n, long *len, int *owned) {
  size_t skip = 0;
  BIO *b;
  char *name = NULL, *hdr = NULL, *more_name = NULL, *more_hdr = NULL;
  unsigned char *data = NULL, *more = NULL;
  long more_len;
  *owned = 0;
  while (skip < n && isspace(raw[skip]))
    skip++;
  if (n - skip < 10 || memcmp(raw + skip, "-----BEGIN", 10) != 0) {
    *len = (long)n;
    return (unsigned char *)raw;
  }
  /* exactly one CERTIFICATE REQUEST block (or NEW CERTIFICATE REQUEST),
   * with nothing but blanks after it */
  if ((b = BIO_new_mem_buf(raw, (int)n)) && PEM_read_bio(b, &name, &hdr, &data, len) &&
      (strcmp(name, PEM_STRING_X509_REQ) == 0 || strcmp(name, PEM_STRING_X509_REQ_OLD) == 0)) {
    size_t rest = BIO_ctrl_pending(b);
    *owned = rest <= n;
    for (size_t i = n - rest; *owned && i < n; i++)
      *owned = isspace(raw[i]) != 0;
    *owned = *owned && !PEM_read_bio(b, &more_name, &more_hdr, &more, &more_len);
  }
  BIO_free(b);
  OPENSSL_free(name);
  OPENSSL_free(hdr);
  OPENSSL_free(more_name);
  OPENSSL_free(more_hdr);
  OPENSSL_free(more);
  if (*owned)
    return data;
  OPENSSL_free(data);
  return NULL;
}

static EVP_PKEY *csr_fromdata(const char *type, OSSL_PARAM *params) {
  EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
  EVP_PKEY *k = NULL;
  if (!pc || EVP_PKEY_fromdata_init(pc) <= 0 ||
      EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    k = NULL;
  EVP_PKEY_CTX_free(pc);
  return k;
}

/* A named curve's point (the curve's validity is EVP_PKEY_fromdata's). */
static EVP_PKEY *csr_ec_key(const X509_ALGOR *alg, const ASN1_BIT_STRING *bits) {
  int ptype;
  const void *pval;
  const char *curve;
  X509_ALGOR_get0(NULL, &ptype, &pval, alg);
  if (ptype != V_ASN1_OBJECT || !(curve = OBJ_nid2sn(OBJ_obj2nid(pval))))
    return NULL;
  OSSL_PARAM p[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)curve, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, bits->data,
                                        (size_t)bits->length),
      OSSL_PARAM_construct_end()};
  return csr_fromdata("EC", p);
}

/* An RSAPublicKey (RFC 8017 A.1.1). */
static EVP_PKEY *csr_rsa_key(const ASN1_BIT_STRING *bits) {
  const unsigned char *q = bits->data;
  CSR_RSA_PUB *rp =
      (CSR_RSA_PUB *)ASN1_item_d2i(NULL, &q, bits->length, ASN1_ITEM_rptr(CSR_RSA_PUB));
  BIGNUM *n = rp ? ASN1_INTEGER_to_BN(rp->n, NULL) : NULL;
  BIGNUM *e = rp ? ASN1_INTEGER_to_BN(rp->e, NULL) : NULL;
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM *p = NULL;
  EVP_PKEY *k = NULL;
  if (n && e && bld && q == bits->data + bits->length && !BN_is_negative(n) &&
      !BN_is_negative(e) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
      (p = OSSL_PARAM_BLD_to_param(bld)))
    k = csr_fromdata("RSA", p);
  OSSL_PARAM_free(p);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  ASN1_item_free((ASN1_VALUE *)rp, ASN1_ITEM_rptr(CSR_RSA_PUB));
  return k;
}

/* The public key of the SubjectPublicKeyInfo: RSA or EC, else NULL with
 * the algorithm's name in alg_name. */
static EVP_PKEY *csr_key(const CSR_SPKI *spki, char alg_name[64]) {
  const ASN1_OBJECT *oid;
  int nid;
  X509_ALGOR_get0(&oid, NULL, NULL, spki->alg);
  nid = OBJ_obj2nid(oid);
  OBJ_obj2txt(alg_name, 64, oid, 0);
  if (spki->bits->flags & 0x07) /* unused bits in a key's BIT STRING */
    return NULL;
  return nid == NID_X9_62_id_ecPublicKey ? csr_ec_key(spki->alg, spki->bits)
         : nid == NID_rsaEncryption      ? csr_rsa_key(spki->bits)
                                         : NULL;
}

/* The X509_REQ the rest of pcad works with, made from the parsed parts,
 * its key copied as it is (nothing decoded). */
static X509_REQ *csr_rebuild(const CSR_INFO *info) {
  X509_REQ *req = X509_REQ_new();
  int ok = req && X509_REQ_set_version(req, ASN1_INTEGER_get(info->version)) &&
           X509_REQ_set_subject_name(req, info->subject) &&
           csr_set_key(X509_REQ_get_X509_PUBKEY(req), info->spki->alg, info->spki->bits) == 0;
  for (int i = 0; ok && i < sk_X509_ATTRIBUTE_num(info->attributes); i++)
    ok = X509_REQ_add1_attr(req, sk_X509_ATTRIBUTE_value(info->attributes, i));
  if (ok)
    return req;
  X509_REQ_free(req);
  return NULL;
}

/* The digest of the CSR's signature algorithm (RSASSA-PSS: its hash
 * parameter, SHA-1 when absent), or NID_undef. */
static int csr_sig_digest(const X509_ALGOR *alg) {
  int md = NID_undef, pk;
  RSA_PSS_PARAMS *pss = NULL;
  const ASN1_TYPE *t = alg->parameter;
  const unsigned char *q;
  if (OBJ_obj2nid(alg->algorithm) != NID_rsassaPss)
    return OBJ_find_sigid_algs(OBJ_obj2nid(alg->algorithm), &md, &pk) ? md : NID_undef;
  if (!t || t->type != V_ASN1_SEQUENCE)
    return NID_sha1;
  q = t->value.sequence->data;
  pss = d2i_RSA_PSS_PARAMS(NULL, &q, t->value.sequence->length);
  md = !pss ? NID_undef : pss->hashAlgorithm ? OBJ_obj2nid(pss->hashAlgorithm->algorithm)
                                               : NID_sha1;
  RSA_PSS_PARAMS_free(pss);
  return md;
}

/* SHA-1 and the older digests are refused in a CSR's signature. */
static int csr_sig_digest_weak(const X509_ALGOR *alg) {
  int md = csr_sig_digest(alg);
  return md == NID_sha1 || md == NID_md5 || md == NID_md4 || md == NID_md2 || md == NID_mdc2 ||
         md == NID_md5_sha1;
}

X509_REQ *csr_parse(const unsigned char *raw, size_t n, EVP_PKEY **pub, err_t *e) {
  long len = 0;
  int owned = 0;
  unsigned char *der = raw ? csr_der(raw, n, &len, &owned) : NULL;
  const unsigned char *q = der;
  CSR_DER *c = der ? (CSR_DER *)ASN1_item_d2i(NULL, &q, len, ASN1_ITEM_rptr(CSR_DER)) : NULL;
  X509_REQ *req = NULL;
  char alg[64] = "unknown";
  *pub = NULL;
  if (!c || q != der + len) {
    err_set(e, ERR_MalformedCSRException, "The certificate signing request is not valid.");
  } else if (!(*pub = csr_key(c->info->spki, alg))) {
    err_set(e, ERR_MalformedCSRException,
            "The CSR's key (%s) is not supported: use RSA 2048-8192 or EC P-256/P-384/P-521",
            alg);
  } else if (csr_sig_digest_weak(c->sig_alg)) {
    err_set(e, ERR_MalformedCSRException,
            "The CSR is signed with SHA-1 or an older digest; sign it with SHA-256 or stronger");
  } else if (ASN1_item_verify(ASN1_ITEM_rptr(CSR_INFO), c->sig_alg, c->sig, c->info, *pub) !=
             1) {
    /* 1 only for a good signature (-1 on malformed input) */
    err_set(e, ERR_MalformedCSRException, "The CSR's signature does not verify.");
  } else if (!(req = csr_rebuild(c->info))) {
    err_set(e, ERR_InternalFailure, "cannot read the certificate signing request");
  }
  ERR_clear_error();
  ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(CSR_DER));
  if (owned)
    OPENSSL_free(der);
  if (!req) {
    EVP_PKEY_free(*pub);
    *pub = NULL;
  }
  return req;
}

/* RSA 2048..8192 bits, EC P-256/P-384/P-521, and a good key (goodkey.h). */
int csr_key_policy(EVP_PKEY *k, err_t *e) {
  char group[64], why[160];
  size_t gl = 0;
  int bits = EVP_PKEY_get_bits(k);
  if (EVP_PKEY_is_a(k, "RSA")) {
    if (bits < 2048 || bits > 8192)
      return err_set(e, ERR_MalformedCSRException,
                     "The CSR's RSA key has %d bits; 2048 to 8192 are accepted", bits);
  } else if (!EVP_PKEY_is_a(k, "EC") ||
             EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &gl) != 1 ||
             (strcmp(group, "prime256v1") != 0 && strcmp(group, "secp384r1") != 0 &&
              strcmp(group, "secp521r1") != 0)) {
    return err_set(e, ERR_MalformedCSRException,
                   "The CSR's key (%s) is not supported: use RSA 2048-8192 or EC "
                   "P-256/P-384/P-521",
                   EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown");
  }
  if (goodkey_check(k, why, sizeof why) < 0)
    return err_set(e, ERR_MalformedCSRException, "The CSR's key %s", why);
  return 0;
}

/* An AlgorithmIdentifier's parameters, copied (NULL or an OID for the keys
 * csr_key_policy accepts; a SEQUENCE for explicit curves). */
static void *csr_param_dup(int ptype, const void *pval) {
  if (ptype == V_ASN1_OBJECT)
    return OBJ_dup(pval);
  if (ptype == V_ASN1_SEQUENCE)
    return ASN1_STRING_dup(pval);
  return NULL;
}

/* to := the algorithm a and key bits, copied. */
static int csr_set_key(X509_PUBKEY *to, const X509_ALGOR *a, const ASN1_BIT_STRING *bits) {
  const ASN1_OBJECT *alg;
  int ptype;
  const void *pval;
  ASN1_OBJECT *alg_copy;
  void *param_copy;
  unsigned char *bits_copy;
  if (!to)
    return -1;
  X509_ALGOR_get0(&alg, &ptype, &pval, a);
  alg_copy = OBJ_dup(alg);
  param_copy = csr_param_dup(ptype, pval);
  bits_copy = OPENSSL_memdup(bits->data, (size_t)bits->length);
  if (alg_copy && (param_copy || !pval || ptype == V_ASN1_NULL) && bits_copy &&
      X509_PUBKEY_set0_param(to, alg_copy, ptype, param_copy, bits_copy, bits->length))
    return 0;
  ASN1_OBJECT_free(alg_copy);
  OPENSSL_free(bits_copy);
  if (ptype == V_ASN1_OBJECT)
    ASN1_OBJECT_free(param_copy);
  else
    ASN1_STRING_free(param_copy);
  return -1;
}

int csr_copy_key(X509 *x, X509_REQ *req) {
  X509_PUBKEY *from = X509_REQ_get_X509_PUBKEY(req);
  ASN1_OBJECT *alg;
  const unsigned char *bits;
  int blen;
  X509_ALGOR *a;
  ASN1_BIT_STRING b;
  if (!from || !X509_PUBKEY_get0_param(&alg, &bits, &blen, &a, from))
    return -1;
  memset(&b, 0, sizeof b);
  b.data = (unsigned char *)bits;
  b.length = blen;
  return csr_set_key(X509_get_X509_PUBKEY(x), a, &b);
}
