#include "core/cacert.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "core/goodkey.h"

/* Extensions that may be critical in an imported CA certificate; these
 * must not be: AIA, CRL distribution points, freshest CRL, policy
 * constraints. Anything else critical is refused. */
static const int cacert_may_be_critical[] = {
    NID_authority_key_identifier, NID_basic_constraints,   NID_certificate_policies,
    NID_ext_key_usage,            NID_inhibit_any_policy,  NID_issuer_alt_name,
    NID_key_usage,                NID_name_constraints,    NID_policy_mappings,
    NID_subject_alt_name,         NID_subject_directory_attributes,
    NID_subject_key_identifier,   NID_sinfo_access,
};

static int cacert_blank(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isspace(p[i]))
      return 0;
  return 1;
}

/* PEM (one or more CERTIFICATE blocks) or one DER certificate. */
static STACK_OF(X509) *cacert_parse(const unsigned char *p, size_t n, const char *what,
                                    err_t *e) {
  STACK_OF(X509) *sk = sk_X509_new_null();
  size_t skip = 0;
  while (skip < n && isspace(p[skip]))
    skip++;
  if (!sk)
    goto bad;
  if (n - skip >= 10 && memcmp(p + skip, "-----BEGIN", 10) == 0) {
    BIO *b = BIO_new_mem_buf(p, (int)n);
    for (;;) {
      char *name = NULL, *header = NULL;
      unsigned char *data = NULL;
      long len = 0;
      const unsigned char *q;
      X509 *x = NULL;
      if (!PEM_read_bio(b, &name, &header, &data, &len)) {
        ERR_clear_error();
        break;
      }
      q = data;
      if (strcmp(name, "CERTIFICATE") == 0)
        x = d2i_X509(NULL, &q, len);
      if (!x || q != data + len || !sk_X509_push(sk, x)) {
        X509_free(x);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        BIO_free(b);
        goto bad;
      }
      OPENSSL_free(name);
      OPENSSL_free(header);
      OPENSSL_free(data);
    }
    BIO_free(b);
  } else {
    const unsigned char *q = p;
    X509 *x = d2i_X509(NULL, &q, (long)n);
    if (!x || q != p + n || !sk_X509_push(sk, x)) {
      X509_free(x);
      goto bad;
    }
  }
  if (sk_X509_num(sk) == 0)
    goto bad;
  return sk;
bad:
  ERR_clear_error();
  sk_X509_pop_free(sk, X509_free);
  err_set(e, ERR_MalformedCertificateException, "%s is not a PEM or DER X.509 certificate%s",
          what, strcmp(what, "Certificate") == 0 ? "" : " list");
  return NULL;
}

static int cacert_check_extensions(X509 *x, const char *what, err_t *e) {
  int i, n = X509_get_ext_count(x);
  X509_EXTENSION *bc = NULL;
  uint32_t flags = X509_get_extension_flags(x);
  if (flags & EXFLAG_INVALID)
    return err_set(e, ERR_MalformedCertificateException, "%s has malformed extensions", what);
  for (i = 0; i < n; i++) {
    X509_EXTENSION *ext = X509_get_ext(x, i);
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext)), allowed = 0;
    if (nid == NID_basic_constraints)
      bc = ext;
    if (!X509_EXTENSION_get_critical(ext))
      continue;
    for (size_t k = 0; k < sizeof cacert_may_be_critical / sizeof cacert_may_be_critical[0]; k++)
      allowed |= cacert_may_be_critical[k] == nid;
    if (!allowed) {
      char oid[80];
      OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(ext), 0);
      return err_set(e, ERR_MalformedCertificateException,
                     "%s marks the %s extension critical, which is not accepted", what, oid);
    }
  }
  if (!bc || !X509_EXTENSION_get_critical(bc) || !(flags & EXFLAG_CA))
    return err_set(e, ERR_MalformedCertificateException,
                   "%s must have a critical basic constraints extension with CA=true", what);
  return 0;
}

/* The certificate's key meets the key-quality rules (goodkey.h). */
static int cacert_key_rules(X509 *x, const char *what, err_t *e) {
  EVP_PKEY *k = X509_get0_pubkey(x);
  char why[160];
  if (!k)
    return err_set(e, ERR_MalformedCertificateException, "%s has a public key pcad cannot read",
                   what);
  if (goodkey_check(k, why, sizeof why) < 0)
    return err_set(e, ERR_MalformedCertificateException, "%s: the key %s", what, why);
  return 0;
}

static int cacert_self_signed(X509 *x) { return X509_self_signed(x, 1) == 1; }

static long long cacert_time(const ASN1_TIME *t) {
  struct tm tm;
  if (!ASN1_TIME_to_tm(t, &tm))
    return 0;
  return (long long)timegm(&tm);
}

static int cacert_verify(X509 *leaf, STACK_OF(X509) *chain, time_t now, err_t *e) {
  X509_STORE *st = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  int n = chain ? sk_X509_num(chain) : 0, rc = -1;
  X509 *root = n ? sk_X509_value(chain, n - 1) : leaf;
  if (!st || !ctx || !untrusted || !X509_STORE_add_cert(st, root))
    goto out;
  for (int i = 0; i + 1 < n; i++)
    sk_X509_push(untrusted, sk_X509_value(chain, i));
  if (!X509_STORE_CTX_init(ctx, st, leaf, untrusted))
    goto out;
  X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CHECK_SS_SIGNATURE | X509_V_FLAG_USE_CHECK_TIME);
  X509_STORE_CTX_set_time(ctx, 0, now);
  if (X509_verify_cert(ctx) == 1) {
    rc = 0;
  } else {
    int err = X509_STORE_CTX_get_error(ctx);
    err_set(e, ERR_CertificateMismatchException,
            "The certificate does not verify%s: %s (at depth %d)", n ? " against its chain" : "",
            X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(ctx));
  }
out:
  if (rc < 0 && e && e->code == ERR_OK)
    err_set(e, ERR_InternalFailure, "certificate verification could not run");
  ERR_clear_error();
  sk_X509_free(untrusted);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(st);
  return rc;
}

static char *cacert_chain_pem(STACK_OF(X509) *chain) {
  BIO *b = BIO_new(BIO_s_mem());
  char *data, *out = NULL;
  long len;
  for (int i = 0; b && i < sk_X509_num(chain); i++)
    if (!PEM_write_bio_X509(b, sk_X509_value(chain, i)))
      goto out;
  len = b ? BIO_get_mem_data(b, &data) : 0;
  if (len > 0)
    out = strndup(data, (size_t)len);
out:
  BIO_free(b);
  return out;
}

static int cacert_root_rules(X509 *x, const unsigned char *chain, size_t chain_len, err_t *e) {
  if (!cacert_self_signed(x))
    return err_set(e, ERR_InvalidRequestException,
                   "A ROOT certificate authority takes only a self-signed certificate");
  if (chain && !cacert_blank(chain, chain_len))
    return err_set(e, ERR_InvalidRequestException,
                   "A ROOT certificate authority's certificate is imported without a chain");
  return 0;
}

/* Each link signed the one before it, from the issuer up to a root. */
static int cacert_chain_rules(X509 *x, STACK_OF(X509) *links, err_t *e) {
  for (int i = 0; i < sk_X509_num(links); i++) {
    X509 *c = sk_X509_value(links, i), *below = i ? sk_X509_value(links, i - 1) : x;
    char what[64];
    if (X509_cmp(c, x) == 0)
      return err_set(e, ERR_InvalidRequestException,
                     "CertificateChain must not contain the certificate being imported");
    snprintf(what, sizeof what, "CertificateChain certificate %d", i + 1);
    if (cacert_check_extensions(c, what, e) < 0 || cacert_key_rules(c, what, e) < 0)
      return -1;
    if (X509_check_issued(c, below) != X509_V_OK || X509_verify(below, X509_get0_pubkey(c)) != 1)
      return err_set(e, ERR_CertificateMismatchException,
                     "CertificateChain certificate %d did not sign the certificate before it "
                     "(the chain goes from the issuer up to the root)",
                     i + 1);
  }
  if (!cacert_self_signed(sk_X509_value(links, sk_X509_num(links) - 1)))
    return err_set(e, ERR_InvalidRequestException,
                   "CertificateChain must end with its root, a self-signed certificate");
  return 0;
}

/* A subordinate's certificate and its chain; *links is the parsed chain. */
static int cacert_sub_rules(X509 *x, const unsigned char *chain, size_t chain_len,
                            STACK_OF(X509) **links, err_t *e) {
  if (cacert_self_signed(x))
    return err_set(e, ERR_InvalidRequestException,
                   "A SUBORDINATE certificate authority cannot take a self-signed certificate");
  if (!chain || cacert_blank(chain, chain_len))
    return err_set(e, ERR_InvalidRequestException,
                   "CertificateChain is required for a SUBORDINATE certificate authority");
  *links = cacert_parse(chain, chain_len, "CertificateChain", e);
  if (!*links)
    return -1;
  return cacert_chain_rules(x, *links, e);
}

/* What is stored of a certificate that met the rules. */
static int cacert_fill(X509 *x, STACK_OF(X509) *links, cacert_t *out, err_t *e) {
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
  char *hex = bn ? BN_bn2hex(bn) : NULL;
  int rc = -1;
  out->der_len = (size_t)i2d_X509(x, &out->der);
  if (!out->der || !hex || strlen(hex) >= sizeof out->serial) {
    err_set(e, ERR_MalformedCertificateException, "The certificate's serial number is not usable");
    goto out;
  }
  for (size_t i = 0; hex[i]; i++)
    out->serial[i] = (char)tolower((unsigned char)hex[i]);
  out->not_before = cacert_time(X509_get0_notBefore(x));
  out->not_after = cacert_time(X509_get0_notAfter(x));
  if (links && !(out->chain_pem = cacert_chain_pem(links))) {
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  rc = 0;
out:
  OPENSSL_free(hex);
  BN_free(bn);
  return rc;
}

int cacert_check(const char *ca_type, EVP_PKEY *ca_key, const unsigned char *cert,
                 size_t cert_len, const unsigned char *chain, size_t chain_len, time_t now,
                 cacert_t *out, err_t *e) {
  STACK_OF(X509) *certs = NULL, *links = NULL;
  X509 *x;
  int rc = -1;
  memset(out, 0, sizeof *out);
  certs = cacert_parse(cert, cert_len, "Certificate", e);
  if (!certs)
    goto out;
  if (sk_X509_num(certs) != 1) {
    err_set(e, ERR_MalformedCertificateException, "Certificate must hold exactly one certificate");
    goto out;
  }
  x = sk_X509_value(certs, 0);
  if (EVP_PKEY_eq(X509_get0_pubkey(x), ca_key) != 1) {
    err_set(e, ERR_CertificateMismatchException,
            "The certificate's public key is not this certificate authority's key");
    goto out;
  }
  if (cacert_check_extensions(x, "Certificate", e) < 0 ||
      cacert_key_rules(x, "Certificate", e) < 0 ||
      (strcmp(ca_type, "ROOT") == 0 ? cacert_root_rules(x, chain, chain_len, e)
                                    : cacert_sub_rules(x, chain, chain_len, &links, e)) < 0 ||
      cacert_verify(x, links, now, e) < 0 || cacert_fill(x, links, out, e) < 0)
    goto out;
  rc = 0;
out:
  if (rc < 0)
    cacert_clear(out);
  sk_X509_pop_free(certs, X509_free);
  sk_X509_pop_free(links, X509_free);
  ERR_clear_error();
  return rc;
}

void cacert_clear(cacert_t *c) {
  OPENSSL_free(c->der);
  free(c->chain_pem);
  memset(c, 0, sizeof *c);
}

char *cacert_pem(const unsigned char *der, size_t len) {
  /* the DER is ours (the database's): written as it is, not parsed */
  BIO *b = BIO_new(BIO_s_mem());
  char *data, *out = NULL;
  long n;
  if (b && PEM_write_bio(b, PEM_STRING_X509, "", der, (long)len) > 0 &&
      (n = BIO_get_mem_data(b, &data)) > 0)
    out = strndup(data, (size_t)n);
  BIO_free(b);
  return out;
}
