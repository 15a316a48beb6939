#include "issue.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "awsjson.h"
#include "ca.h"
#include "cacert.h"
#include "clock.h"
#include "ext.h"
#include "log.h"
#include "sigalg.h"
#include "store_cert.h"
#include "subject.h"
#include "templates.h"
#include "validity.h"

#define ISSUE_SERIAL_BYTES 16          /* 128 bits from the CSPRNG */
#define ISSUE_SHORT_LIVED_MAX (7 * 86400)
#define ISSUE_PENDING_DEADLINE 120     /* seconds before a PENDING row fails */

/* ---- the CSR ---- */

static X509_REQ *issue_parse_csr(const json_t *in, err_t *e) {
  const json_t *v = json_object_get(in, "Csr");
  unsigned char *raw = NULL;
  size_t n = 0, skip = 0;
  X509_REQ *req = NULL;
  if (awsjson_base64_decode(json_string_value(v), json_string_length(v), &raw, &n) < 0)
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
  free(raw);
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
static int issue_key_policy(EVP_PKEY *k, err_t *e) {
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

/* ---- extensions ---- */

/* Adds ext unless an extension with its OID is there already (template >
 * CA configuration > API passthrough > CSR passthrough); takes ext. */
static int issue_add(X509 *x, X509_EXTENSION *ext) {
  int rc = 0;
  if (!ext)
    return -1;
  if (X509_get_ext_by_OBJ(x, X509_EXTENSION_get_object(ext), -1) < 0)
    rc = X509_add_ext(x, ext, -1) ? 0 : -1;
  X509_EXTENSION_free(ext);
  return rc;
}

static X509_EXTENSION *issue_key_id(int nid, EVP_PKEY *k, X509 *issuer) {
  const ASN1_OCTET_STRING *have = issuer ? X509_get0_subject_key_id(issuer) : NULL;
  unsigned char md[20];
  unsigned int mdlen = 0;
  ASN1_OCTET_STRING *id = NULL;
  X509_EXTENSION *x = NULL;
  if (!have) {
    /* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits */
    X509_PUBKEY *xp = NULL;
    const unsigned char *bits;
    int blen;
    if (!X509_PUBKEY_set(&xp, k) || !X509_PUBKEY_get0_param(NULL, &bits, &blen, NULL, xp) ||
        !EVP_Digest(bits, (size_t)blen, md, &mdlen, EVP_sha1(), NULL)) {
      X509_PUBKEY_free(xp);
      return NULL;
    }
    X509_PUBKEY_free(xp);
    id = ASN1_OCTET_STRING_new();
    if (!id || !ASN1_OCTET_STRING_set(id, md, (int)mdlen))
      goto out;
    have = id;
  }
  if (nid == NID_subject_key_identifier) {
    x = X509V3_EXT_i2d(nid, 0, (void *)have);
  } else {
    AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
    if (aki) {
      aki->keyid = ASN1_OCTET_STRING_dup(have);
      x = aki->keyid ? X509V3_EXT_i2d(nid, 0, aki) : NULL;
    }
    AUTHORITY_KEYID_free(aki);
  }
out:
  ASN1_OCTET_STRING_free(id);
  return x;
}

static X509_EXTENSION *issue_basic_constraints(const template_t *t) {
  BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
  X509_EXTENSION *x = NULL;
  if (!bc)
    return NULL;
  bc->ca = t->ca ? 0xFF : 0;
  if (t->pathlen >= 0) {
    bc->pathlen = ASN1_INTEGER_new();
    if (bc->pathlen)
      ASN1_INTEGER_set(bc->pathlen, t->pathlen);
  }
  x = X509V3_EXT_i2d(NID_basic_constraints, t->bc_critical, bc);
  BASIC_CONSTRAINTS_free(bc);
  return x;
}

static X509_EXTENSION *issue_template_ku(const template_t *t) {
  ASN1_BIT_STRING *b = ASN1_BIT_STRING_new();
  X509_EXTENSION *x = NULL;
  for (int i = 0; b && i < 9; i++)
    if (t->ku & (1u << i))
      ASN1_BIT_STRING_set_bit(b, i, 1);
  if (b)
    x = X509V3_EXT_i2d(NID_key_usage, t->ku_critical, b);
  ASN1_BIT_STRING_free(b);
  return x;
}

static X509_EXTENSION *issue_template_eku(const template_t *t) {
  static const struct {
    unsigned bit;
    int nid;
  } map[] = {{TPL_EKU_SERVER_AUTH, NID_server_auth},
             {TPL_EKU_CLIENT_AUTH, NID_client_auth},
             {TPL_EKU_CODE_SIGNING, NID_code_sign},
             {TPL_EKU_OCSP_SIGNING, NID_OCSP_sign}};
  EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
  X509_EXTENSION *x = NULL;
  for (size_t i = 0; eku && i < sizeof map / sizeof map[0]; i++)
    if (t->eku & map[i].bit)
      sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(map[i].nid));
  if (eku)
    x = X509V3_EXT_i2d(NID_ext_key_usage, t->eku_critical, eku);
  sk_ASN1_OBJECT_free(eku);
  return x;
}

/* http://<CustomCname>/<CustomPath or crl>/<CA_ID>.crl, or the S3 URL. */
static X509_EXTENSION *issue_cdp(const json_t *crl, const char *ca_id, const char *region) {
  const char *cname = json_string_value(json_object_get(crl, "CustomCname"));
  const char *path = json_string_value(json_object_get(crl, "CustomPath"));
  const char *bucket = json_string_value(json_object_get(crl, "S3BucketName"));
  char url[1024], dir[300];
  CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();
  DIST_POINT *dp = DIST_POINT_new();
  GENERAL_NAME *g = GENERAL_NAME_new();
  X509_EXTENSION *x = NULL;
  size_t n;
  snprintf(dir, sizeof dir, "%s", path ? path : "crl");
  for (n = strlen(dir); n && dir[n - 1] == '/'; n--)
    dir[n - 1] = '\0';
  while (dir[0] == '/')
    memmove(dir, dir + 1, strlen(dir));
  if (cname && *cname)
    snprintf(url, sizeof url, "http://%s/%s%s%s.crl", cname, dir, *dir ? "/" : "", ca_id);
  else
    snprintf(url, sizeof url, "http://%s.s3.%s.amazonaws.com/%s%s%s.crl", bucket ? bucket : "",
             region, dir, *dir ? "/" : "", ca_id);
  if (!cdp || !dp || !g || !(dp->distpoint = DIST_POINT_NAME_new()))
    goto out;
  g->type = GEN_URI;
  g->d.uniformResourceIdentifier = ASN1_IA5STRING_new();
  if (!g->d.uniformResourceIdentifier || !ASN1_STRING_set(g->d.uniformResourceIdentifier, url, -1))
    goto out;
  dp->distpoint->type = 0;
  dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
  if (!dp->distpoint->name.fullname || !sk_GENERAL_NAME_push(dp->distpoint->name.fullname, g))
    goto out;
  g = NULL;
  if (!sk_DIST_POINT_push(cdp, dp))
    goto out;
  dp = NULL;
  x = X509V3_EXT_i2d(NID_crl_distribution_points, 0, cdp);
out:
  GENERAL_NAME_free(g);
  DIST_POINT_free(dp);
  CRL_DIST_POINTS_free(cdp);
  return x;
}

static X509_EXTENSION *issue_aia_ocsp(const char *cname) {
  char url[300];
  AUTHORITY_INFO_ACCESS *aia = AUTHORITY_INFO_ACCESS_new();
  ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
  X509_EXTENSION *x = NULL;
  snprintf(url, sizeof url, "http://%s/", cname);
  if (!aia || !ad)
    goto out;
  ASN1_OBJECT_free(ad->method);
  ad->method = OBJ_nid2obj(NID_ad_OCSP);
  ad->location->type = GEN_URI;
  ad->location->d.uniformResourceIdentifier = ASN1_IA5STRING_new();
  if (!ad->location->d.uniformResourceIdentifier ||
      !ASN1_STRING_set(ad->location->d.uniformResourceIdentifier, url, -1) ||
      !sk_ACCESS_DESCRIPTION_push(aia, ad))
    goto out;
  ad = NULL;
  x = X509V3_EXT_i2d(NID_info_access, 0, aia);
out:
  ACCESS_DESCRIPTION_free(ad);
  AUTHORITY_INFO_ACCESS_free(aia);
  return x;
}

typedef struct {
  const template_t *t;
  const json_t *api;     /* ApiPassthrough when the template honours it */
  X509_REQ *req;
  EVP_PKEY *subject_key;
  X509 *issuer;          /* NULL for a root's own certificate */
  EVP_PKEY *issuer_key;
  const json_t *revocation;
  const char *ca_id, *region;
} issue_build_t;

/* Every extension, in precedence order. */
static int issue_extensions(X509 *x, const issue_build_t *b, err_t *e) {
  const template_t *t = b->t;
  const json_t *apix = b->api ? json_object_get(b->api, "Extensions") : NULL;
  const json_t *crl = json_object_get(b->revocation, "CrlConfiguration");
  const json_t *ocsp = json_object_get(b->revocation, "OcspConfiguration");
  STACK_OF(X509_EXTENSION) *csrx = X509_REQ_get_extensions(b->req);
  size_t i;
  const json_t *v;
  int rc = -1;
  e->code = ERR_OK;

  /* 1. the template */
  if (issue_add(x, issue_basic_constraints(t)) < 0)
    goto out;
  if (!t->blank && t->ku && issue_add(x, issue_template_ku(t)) < 0)
    goto out;
  if (!t->blank && t->eku && issue_add(x, issue_template_eku(t)) < 0)
    goto out;
  if (issue_add(x, issue_key_id(NID_subject_key_identifier, b->subject_key, NULL)) < 0)
    goto out;
  if (t->aki == TPL_AKI_ISSUER && b->issuer &&
      issue_add(x, issue_key_id(NID_authority_key_identifier, b->issuer_key, b->issuer)) < 0)
    goto out;
  /* 2. the CA's configuration: CDP and OCSP */
  if ((t->cdp_from & TPL_SRC_CACFG) && json_is_true(json_object_get(crl, "Enabled")) &&
      !json_is_true(json_object_get(
          json_object_get(crl, "CrlDistributionPointExtensionConfiguration"), "OmitExtension")) &&
      issue_add(x, issue_cdp(crl, b->ca_id, b->region)) < 0)
    goto out;
  if (!t->root && json_is_true(json_object_get(ocsp, "Enabled")) &&
      json_string_value(json_object_get(ocsp, "OcspCustomCname")) &&
      issue_add(x, issue_aia_ocsp(json_string_value(json_object_get(ocsp, "OcspCustomCname")))) < 0)
    goto out;
  /* 3. the API passthrough */
  if (apix) {
    if ((v = json_object_get(apix, "KeyUsage")) && issue_add(x, ext_key_usage(v, e)) < 0)
      goto out;
    if ((v = json_object_get(apix, "ExtendedKeyUsage")) && issue_add(x, ext_eku(v, e)) < 0)
      goto out;
    if ((v = json_object_get(apix, "SubjectAlternativeNames")) && issue_add(x, ext_san(v, e)) < 0)
      goto out;
    if ((v = json_object_get(apix, "CertificatePolicies")) &&
        issue_add(x, ext_policies(v, e)) < 0)
      goto out;
    json_array_foreach(json_object_get(apix, "CustomExtensions"), i, v) {
      X509_EXTENSION *ce = ext_custom(v, e);
      if (!ce)
        goto out;
      if (OBJ_obj2nid(X509_EXTENSION_get_object(ce)) == NID_crl_distribution_points &&
          !(t->cdp_from & TPL_SRC_API)) {
        X509_EXTENSION_free(ce);
        continue;
      }
      if (issue_add(x, ce) < 0)
        goto out;
    }
  }
  /* 4. the CSR: its SAN always, everything with a CSR passthrough */
  for (int k = 0; csrx && k < sk_X509_EXTENSION_num(csrx); k++) {
    X509_EXTENSION *ce = sk_X509_EXTENSION_value(csrx, k);
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ce));
    if (nid != NID_subject_alt_name && !(t->variety & TPL_CSR))
      continue;
    if (nid == NID_crl_distribution_points && !(t->cdp_from & TPL_SRC_CSR))
      continue;
    if (issue_add(x, X509_EXTENSION_dup(ce)) < 0)
      goto out;
  }
  rc = 0;
out:
  if (rc < 0 && e->code == ERR_OK)
    err_set(e, ERR_InvalidArgsException, "The certificate's extensions cannot be built");
  sk_X509_EXTENSION_pop_free(csrx, X509_EXTENSION_free);
  return rc;
}

/* ---- serials ---- */

int issue_serial_normalize(const char *in, char *out, size_t outlen) {
  size_t n = 0;
  int started = 0;
  for (; *in; in++) {
    char ch = (char)tolower((unsigned char)*in);
    if (ch == ':')
      continue;
    if (!isxdigit((unsigned char)ch))
      return -1;
    if (!started && ch == '0')
      continue;
    started = 1;
    if (n + 1 >= outlen)
      return -1;
    out[n++] = ch;
  }
  if (!n)
    return -1; /* zero is no serial */
  out[n] = '\0';
  return 0;
}

/* A fresh random serial: the ARN form (32 hex digits) and the normalized. */
static int issue_new_serial(ASN1_INTEGER **ai, char arn_hex[2 * ISSUE_SERIAL_BYTES + 1],
                            char norm[2 * ISSUE_SERIAL_BYTES + 1]) {
  unsigned char r[ISSUE_SERIAL_BYTES];
  BIGNUM *bn = NULL;
  do {
    if (RAND_bytes(r, sizeof r) != 1)
      return -1;
    for (int i = 0; i < ISSUE_SERIAL_BYTES; i++)
      snprintf(arn_hex + 2 * i, 3, "%02x", r[i]);
  } while (issue_serial_normalize(arn_hex, norm, 2 * ISSUE_SERIAL_BYTES + 1) < 0);
  bn = BN_bin2bn(r, sizeof r, NULL);
  *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
  BN_free(bn);
  return *ai ? 0 : -1;
}

/* ---- IssueCertificate ---- */

static X509 *issue_ca_cert(const store_ca_t *row) {
  const unsigned char *q = row->cert_der;
  return row->cert_der ? d2i_X509(NULL, &q, (long)row->cert_len) : NULL;
}

/* The time rules: notAfter within the CA's; a CA certificate strictly
 * shorter than its issuer's; short-lived CAs at most 7 days. */
static int issue_validity(const json_t *in, const store_ca_t *row, const template_t *t,
                          int self_issue, long long now, long long *nb, long long *na,
                          err_t *e) {
  const json_t *v = json_object_get(in, "Validity"), *vnb = json_object_get(in, "ValidityNotBefore");
  long long ca_na = row->not_after ? (long long)strtod(row->not_after, NULL) : 0;
  if (validity_not_after(json_string_value(json_object_get(v, "Type")),
                         (long long)json_integer_value(json_object_get(v, "Value")), now, na, e) < 0)
    return -1;
  *nb = now - 3600;
  if (vnb) {
    if (strcmp(json_string_value(json_object_get(vnb, "Type")), "ABSOLUTE") != 0)
      return err_set(e, ERR_InvalidArgsException, "ValidityNotBefore accepts only Type ABSOLUTE");
    *nb = (long long)json_integer_value(json_object_get(vnb, "Value"));
    if (*nb > VALIDITY_MAX)
      return err_set(e, ERR_InvalidArgsException, "ValidityNotBefore is after the year 9999");
  }
  if (*na <= *nb)
    return err_set(e, ERR_InvalidArgsException, "The validity ends before it begins");
  if (!self_issue) {
    if (t->ca && *na >= ca_na)
      return err_set(e, ERR_InvalidArgsException,
                     "A CA certificate's validity must end before the issuing CA's certificate "
                     "does");
    if (*na > ca_na)
      return err_set(e, ERR_InvalidArgsException,
                     "The validity ends after the issuing CA's certificate does");
    if (row->usage_mode && strcmp(row->usage_mode, "SHORT_LIVED_CERTIFICATE") == 0 &&
        *na - now > ISSUE_SHORT_LIVED_MAX)
      return err_set(e, ERR_InvalidArgsException,
                     "A SHORT_LIVED_CERTIFICATE CA issues certificates valid for at most 7 days");
  }
  return 0;
}

/* A CA template's path length must fit under the issuer's constraint. */
static int issue_pathlen(const template_t *t, X509 *issuer, err_t *e) {
  long limit;
  if (!t->ca || !issuer)
    return 0;
  limit = X509_get_pathlen(issuer);
  if (limit < 0)
    return 0;
  if (t->pathlen < 0 || t->pathlen >= limit)
    return err_set(e, ERR_InvalidArgsException,
                   "The template's path length (%d) does not fit under the issuing CA's (%ld)",
                   t->pathlen, limit);
  return 0;
}

static int issue_subject(X509 *x, const issue_build_t *b, const json_t *apis, err_t *e) {
  X509_NAME *n = NULL;
  int rc;
  if (apis) {
    n = subject_to_name(apis, e);
    if (!n)
      return -1;
    rc = X509_set_subject_name(x, n);
    X509_NAME_free(n);
  } else {
    rc = X509_set_subject_name(x, X509_REQ_get_subject_name(b->req));
  }
  return rc ? 0 : err_set(e, ERR_InternalFailure, "cannot set the subject");
}

int issue_certificate(const ctx_t *c, const json_t *in, char **arn, err_t *e) {
  const char *tarn = json_string_value(json_object_get(in, "TemplateArn"));
  const char *ca_arn = json_string_value(json_object_get(in, "CertificateAuthorityArn"));
  const char *sig = json_string_value(json_object_get(in, "SigningAlgorithm"));
  const char *token = json_string_value(json_object_get(in, "IdempotencyToken"));
  const template_t *t;
  store_ca_t row, locked;
  json_t *cfg = NULL, *rev = NULL;
  X509_REQ *req = NULL;
  X509 *x = NULL, *ca_cert = NULL;
  EVP_PKEY *ca_pub = NULL, *priv = NULL;
  ASN1_INTEGER *serial = NULL;
  char hex[2 * ISSUE_SERIAL_BYTES + 1], norm[2 * ISSUE_SERIAL_BYTES + 1];
  char op[64], subj[512];
  long long now = (long long)clock_now(), nb, na;
  int self_issue, ret = -1, reserved = 0;
  unsigned char *der = NULL;
  int der_len;
  issue_build_t b;
  memset(&row, 0, sizeof row);
  memset(&locked, 0, sizeof locked);
  memset(&b, 0, sizeof b);
  *arn = NULL;

  t = templates_find(tarn ? tarn : "arn:aws:acm-pca:::template/" TEMPLATE_DEFAULT);
  if (!t)
    return err_set(e, ERR_InvalidArgsException, "TemplateArn %s is not a known template", tarn);
  if (ca_get(c, ca_arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  cfg = json_loads(row.ca_config, 0, NULL);
  rev = row.revocation_config ? json_loads(row.revocation_config, 0, NULL) : json_object();
  if (!cfg || !rev || !row.has_key) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority is not in a valid state for issuing certificates.");
    goto out;
  }
  if (sigalg_fits(sig, json_string_value(json_object_get(cfg, "KeyAlgorithm")), e) < 0)
    goto out;
  if (!(req = issue_parse_csr(in, e)) || issue_key_policy(X509_REQ_get0_pubkey(req), e) < 0)
    goto out;
  if (!(ca_pub = p11_public_key(c->p11, row.key_id, e)))
    goto out;
  /* the state rules: ACTIVE issues; a ROOT signs its own CSR with a root
   * template while PENDING_CERTIFICATE (activation) or ACTIVE (renewal) */
  self_issue = t->root;
  if (self_issue) {
    if (strcmp(row.type, "ROOT") != 0 ||
        EVP_PKEY_eq(X509_REQ_get0_pubkey(req), ca_pub) != 1) {
      err_set(e, ERR_InvalidArgsException,
              "A root template signs only a ROOT certificate authority's own CSR");
      goto out;
    }
    if (strcmp(row.status, "PENDING_CERTIFICATE") != 0 && strcmp(row.status, "ACTIVE") != 0) {
      err_set(e, ERR_InvalidStateException,
              "The certificate authority is not in a valid state for issuing certificates.");
      goto out;
    }
  } else if (strcmp(row.status, "ACTIVE") != 0 || !(ca_cert = issue_ca_cert(&row))) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority is not in a valid state for issuing certificates.");
    goto out;
  }
  if (issue_validity(in, &row, t, self_issue, now, &nb, &na, e) < 0 ||
      issue_pathlen(t, ca_cert, e) < 0)
    goto out;

  /* the certificate, validated to the last field before anything is written */
  b = (issue_build_t){t,       (t->variety & TPL_API) ? json_object_get(in, "ApiPassthrough") : NULL,
                      req,     X509_REQ_get0_pubkey(req),
                      ca_cert, ca_pub,
                      rev,     row.id,
                      c->region};
  x = X509_new();
  if (!x || !X509_set_version(x, 2) || issue_new_serial(&serial, hex, norm) < 0 ||
      !X509_set_serialNumber(x, serial) || !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) ||
      !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) ||
      !X509_set_pubkey(x, X509_REQ_get0_pubkey(req))) {
    err_set(e, ERR_InternalFailure, "cannot build the certificate");
    goto out;
  }
  if (issue_subject(x, &b, b.api ? json_object_get(b.api, "Subject") : NULL, e) < 0 ||
      !X509_set_issuer_name(x, self_issue ? X509_get_subject_name(x)
                                          : X509_get_subject_name(ca_cert)) ||
      issue_extensions(x, &b, e) < 0)
    goto out;
  if (X509_NAME_entry_count(X509_get_subject_name(x)) == 0 &&
      X509_get_ext_by_NID(x, NID_subject_alt_name, -1) < 0) {
    err_set(e, ERR_MalformedCSRException, "The certificate needs a subject or a subject alternative name");
    goto out;
  }
  X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof subj);
  if (asprintf(arn, "%s/certificate/%s", ca_arn, hex) < 0) {
    *arn = NULL;
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }

  /* T1: the intent, serial reserved, durable before the token signs */
  snprintf(op, sizeof op, "IssueCertificate:%s", row.id);
  if (store_begin(c->store, e) < 0 ||
      ca_get(c, ca_arn, STORE_LOCK_SHARE, &locked, e) < 0)
    goto out;
  if (strcmp(locked.status, row.status) != 0) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority is not in a valid state for issuing certificates.");
    goto out;
  }
  if (token) {
    int claimed = store_idem_claim(c->store, c->account, op, token, arn, e);
    if (claimed < 0)
      goto out;
    if (claimed == 1) {
      /* the same token within 5 minutes: that certificate, nothing new */
      store_rollback(c->store);
      ret = 0;
      goto out;
    }
  }
  {
    store_cert_new_t n = {row.id, norm, *arn, t->name, subj, c->actor, nb, na};
    int taken = store_cert_reserve(c->store, &n, e);
    if (taken != 0) {
      if (taken > 0) /* a 128-bit collision: refuse rather than reuse */
        err_set(e, ERR_ServiceUnavailable, "serial collision; retry");
      goto out;
    }
  }
  if (audit_event(c, "IssueCertificate", ca_arn, norm, "template=%s requested", t->name) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  reserved = 1;

  /* sign in the token, outside any transaction; check it in software */
  priv = p11_private_key(c->p11, row.key_id, e);
  if (!priv || sigalg_sign_cert(x, priv, sig, e) < 0)
    goto out;
  if (X509_verify(x, ca_pub) != 1) {
    err_set(e, ERR_InternalFailure, "the token's signature does not verify");
    goto out;
  }
  der_len = i2d_X509(x, &der);
  if (der_len <= 0) {
    err_set(e, ERR_InternalFailure, "cannot encode the certificate");
    goto out;
  }
  /* T2: ISSUED; retried on a fresh connection (the UPDATE is idempotent) */
  for (int attempt = 0; attempt < 3; attempt++) {
    int done;
    err_clear(e);
    if (store_ready(c->store, e) == 0 && store_begin(c->store, e) == 0 &&
        (done = store_cert_issued(c->store, row.id, norm, der, (size_t)der_len, e)) >= 0 &&
        (done == 0 || audit_event(c, "SignCertificate", ca_arn, norm, "issued, %d bytes",
                                  der_len) == 0) &&
        store_commit(c->store, e) == 0) {
      if (done == 0)
        log_warn(c->rid, "ca=%s serial=%s was no longer PENDING at finalize", ca_arn, norm);
      ret = 0;
      goto out;
    }
    store_rollback(c->store);
  }
  log_err(c->rid, "ca=%s serial=%s signed but not recorded: %s", ca_arn, norm, e->msg);
out:
  if (ret < 0) {
    store_rollback(c->store);
    if (reserved && e->code == ERR_InternalFailure)
      log_err(c->rid, "ca=%s serial=%s stays PENDING: %s", ca_arn, norm, e->msg);
    free(*arn);
    *arn = NULL;
  }
  OPENSSL_free(der);
  ASN1_INTEGER_free(serial);
  EVP_PKEY_free(priv);
  EVP_PKEY_free(ca_pub);
  X509_free(x);
  X509_free(ca_cert);
  X509_REQ_free(req);
  json_decref(cfg);
  json_decref(rev);
  store_ca_clear(&row);
  store_ca_clear(&locked);
  return ret;
}

/* ---- GetCertificate, RevokeCertificate ---- */

int issue_get(const ctx_t *c, const char *ca_arn, const char *cert_arn, char **cert,
              char **chain, err_t *e) {
  store_ca_t row;
  store_cert_t crt;
  size_t l = strlen(ca_arn);
  int rc = -1, found;
  *cert = *chain = NULL;
  memset(&crt, 0, sizeof crt);
  if (ca_get(c, ca_arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  if (strncmp(cert_arn, ca_arn, l) != 0 || strncmp(cert_arn + l, "/certificate/", 13) != 0) {
    err_set(e, strncmp(cert_arn, "arn:", 4) == 0 && strstr(cert_arn, "/certificate/")
                   ? ERR_ResourceNotFoundException
                   : ERR_InvalidArnException,
            "Could not find certificate %s in certificate authority %s", cert_arn, ca_arn);
    goto out;
  }
  if (strcmp(row.status, "DELETED") == 0) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is not in the correct state to have issued "
            "certificates.",
            ca_arn);
    goto out;
  }
  found = store_cert_get(c->store, row.id, cert_arn, &crt, e);
  if (found < 0)
    goto out;
  if (found == 1) {
    err_set(e, ERR_ResourceNotFoundException, "Could not find certificate %s", cert_arn);
  } else if (strcmp(crt.status, "PENDING") == 0) {
    err_set(e, ERR_RequestInProgressException, "The certificate is being issued; retry shortly.");
  } else if (strcmp(crt.status, "FAILED") == 0) {
    err_set(e, ERR_RequestFailedException, "The certificate could not be issued.");
  } else if (!(*cert = cacert_pem(crt.der, crt.der_len))) {
    err_set(e, ERR_InternalFailure, "cannot encode the certificate");
  } else {
    char *ca_pem = row.cert_der ? cacert_pem(row.cert_der, row.cert_len) : NULL;
    if (ca_pem && asprintf(chain, "%s%s", ca_pem, row.chain_pem ? row.chain_pem : "") < 0)
      *chain = NULL;
    free(ca_pem);
    rc = 0;
  }
out:
  store_cert_clear(&crt);
  store_ca_clear(&row);
  return rc;
}

int issue_revoke(const ctx_t *c, const char *ca_arn, const char *serial, const char *reason,
                 err_t *e) {
  store_ca_t row;
  store_cert_t crt;
  char norm[64];
  int found, ret = -1;
  memset(&row, 0, sizeof row);
  memset(&crt, 0, sizeof crt);
  if (issue_serial_normalize(serial, norm, sizeof norm) < 0)
    return err_set(e, ERR_InvalidRequestException,
                   "CertificateSerial must be a hexadecimal serial number");
  if (store_begin(c->store, e) < 0 || ca_get(c, ca_arn, STORE_LOCK_SHARE, &row, e) < 0)
    goto out;
  if (strcmp(row.status, "ACTIVE") != 0 && strcmp(row.status, "DISABLED") != 0) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is in the %s state; it must be ACTIVE or DISABLED "
            "to revoke certificates.",
            ca_arn, row.status);
    goto out;
  }
  if (row.serial) {
    char own[64];
    if (issue_serial_normalize(row.serial, own, sizeof own) == 0 && strcmp(own, norm) == 0) {
      err_set(e, ERR_InvalidRequestException,
              "A certificate authority's own certificate cannot be revoked");
      goto out;
    }
  }
  found = store_cert_lock_serial(c->store, row.id, norm, &crt, e);
  if (found < 0)
    goto out;
  if (found == 1) {
    err_set(e, ERR_ResourceNotFoundException, "Could not find certificate %s in %s", serial,
            ca_arn);
    goto out;
  }
  if (strcmp(crt.status, "PENDING") == 0) {
    err_set(e, ERR_RequestInProgressException, "The certificate is still being issued.");
    goto out;
  }
  if (strcmp(crt.status, "FAILED") == 0) {
    err_set(e, ERR_ResourceNotFoundException, "The certificate %s was never issued", serial);
    goto out;
  }
  if (crt.revoked_at) {
    err_set(e, ERR_RequestAlreadyProcessedException, "The certificate is already revoked.");
    goto out;
  }
  if (store_cert_revoke(c->store, row.id, norm, reason, e) < 0 ||
      audit_event(c, "RevokeCertificate", ca_arn, norm, "reason=%s", reason) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_cert_clear(&crt);
  store_ca_clear(&row);
  return ret;
}

static int issue_stale(store_t *s, char ***arns, int *n, err_t *e) {
  return store_cert_fail_stale(s, ISSUE_PENDING_DEADLINE, arns, n, e);
}

int issue_fail_stale(const ctx_t *c, err_t *e) {
  return audit_batch(c, "IssueCertificateFailed", "signing never finished", issue_stale, e);
}
