#include "core/csr.h"

#include <ctype.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

/* One PEM block or one DER structure, nothing around it; its signature
 * must verify. */
X509_REQ *csr_parse(const unsigned char *raw, size_t n, err_t *e) {
  size_t skip = 0;
  X509_REQ *req = NULL;
  if (!raw)
    goto out;
  while (skip < n && isspace(raw[skip]))
    skip++;
  if (n - skip >= 10 && memcmp(raw + skip, "-----BEGIN", 10) == 0) {
    BIO *b = BIO_new_mem_buf(raw, (int)n);
    req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
    /* exactly one PEM block */
    if (req) {
      char *name = NULL, *hdr = NULL;
      unsigned char *data = NULL;
      long len;
      if (PEM_read_bio(b, &name, &hdr, &data, &len)) {
        X509_REQ_free(req);
        req = NULL;
      }
      OPENSSL_free(name);
      OPENSSL_free(hdr);
      OPENSSL_free(data);
    }
    BIO_free(b);
  } else {
    const unsigned char *q = raw;
    req = d2i_X509_REQ(NULL, &q, (long)n);
    if (req && q != raw + n) {
      X509_REQ_free(req);
      req = NULL;
    }
  }
out:
  ERR_clear_error();
  if (!req) {
    err_set(e, ERR_MalformedCSRException, "The certificate signing request is not valid.");
    return NULL;
  }
  /* X509_REQ_verify is 1 only for a good signature (-1 on malformed input) */
  if (X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) {
    ERR_clear_error();
    X509_REQ_free(req);
    err_set(e, ERR_MalformedCSRException, "The CSR's signature does not verify.");
    return NULL;
  }
  return req;
}

/* RSA 2048..8192 bits, EC P-256/P-384/P-521. */
int csr_key_policy(EVP_PKEY *k, err_t *e) {
  char group[64];
  size_t gl = 0;
  int bits = EVP_PKEY_get_bits(k);
  if (EVP_PKEY_is_a(k, "RSA")) {
    if (bits >= 2048 && bits <= 8192)
      return 0;
    return err_set(e, ERR_MalformedCSRException,
                   "The CSR's RSA key has %d bits; 2048 to 8192 are accepted", bits);
  }
  if (EVP_PKEY_is_a(k, "EC") &&
      EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &gl) == 1 &&
      (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
       strcmp(group, "secp521r1") == 0))
    return 0;
  return err_set(e, ERR_MalformedCSRException,
                 "The CSR's key (%s) is not supported: use RSA 2048-8192 or EC P-256/P-384/P-521",
                 EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "unknown");
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

int csr_copy_key(X509 *x, X509_REQ *req) {
  X509_PUBKEY *from = X509_REQ_get_X509_PUBKEY(req), *to = X509_get_X509_PUBKEY(x);
  ASN1_OBJECT *alg;
  const unsigned char *bits;
  int blen, ptype;
  const void *pval;
  X509_ALGOR *a;
  ASN1_OBJECT *alg_copy;
  void *param_copy;
  unsigned char *bits_copy;
  if (!from || !to || !X509_PUBKEY_get0_param(&alg, &bits, &blen, &a, from))
    return -1;
  X509_ALGOR_get0(NULL, &ptype, &pval, a);
  alg_copy = OBJ_dup(alg);
  param_copy = csr_param_dup(ptype, pval);
  bits_copy = OPENSSL_memdup(bits, (size_t)blen);
  if (alg_copy && (param_copy || !pval || ptype == V_ASN1_NULL) && bits_copy &&
      X509_PUBKEY_set0_param(to, alg_copy, ptype, param_copy, bits_copy, blen))
    return 0;
  ASN1_OBJECT_free(alg_copy);
  OPENSSL_free(bits_copy);
  if (ptype == V_ASN1_OBJECT)
    ASN1_OBJECT_free(param_copy);
  else
    ASN1_STRING_free(param_copy);
  return -1;
}
