#include "core/certext.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

/* Adds ext unless an extension with its OID is there already (template >
 * CA configuration > API passthrough > CSR passthrough); takes ext (NULL:
 * its maker failed, -1). */
static int certext_add(X509 *x, X509_EXTENSION *ext) {
  int rc = 0;
  if (!ext)
    return -1;
  if (X509_get_ext_by_OBJ(x, X509_EXTENSION_get_object(ext), -1) < 0)
    rc = X509_add_ext(x, ext, -1) ? 0 : -1;
  X509_EXTENSION_free(ext);
  return rc;
}

static X509_EXTENSION *certext_key_id(int nid, const X509_PUBKEY *key, X509 *issuer) {
  const ASN1_OCTET_STRING *have = issuer ? X509_get0_subject_key_id(issuer) : NULL;
  unsigned char md[20];
  unsigned int mdlen = 0;
  ASN1_OCTET_STRING *id = NULL;
  X509_EXTENSION *x = NULL;
  if (!have) {
    /* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits */
    const unsigned char *bits;
    int blen;
    if (!key || !X509_PUBKEY_get0_param(NULL, &bits, &blen, NULL, key) ||
        !EVP_Digest(bits, (size_t)blen, md, &mdlen, EVP_sha1(), NULL))
      return NULL;
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

static X509_EXTENSION *certext_basic_constraints(const template_t *t) {
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

static X509_EXTENSION *certext_template_ku(const template_t *t) {
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

static X509_EXTENSION *certext_template_eku(const template_t *t) {
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

/* The CDP of the CRL called name (revcfg_crl_url). */
static X509_EXTENSION *certext_cdp(const revcfg_t *rev, const char *name, const char *region) {
  char url[1024];
  CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();
  DIST_POINT *dp = DIST_POINT_new();
  GENERAL_NAME *g = GENERAL_NAME_new();
  X509_EXTENSION *x = NULL;
  if (revcfg_crl_url(rev, name, region, url, sizeof url) < 0)
    goto out;
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

static X509_EXTENSION *certext_aia_ocsp(const char *cname) {
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

/* 1. the template */
static int certext_from_template(X509 *x, const certext_in_t *b) {
  const template_t *t = b->t;
  if (certext_add(x, certext_basic_constraints(t)) < 0)
    return -1;
  if (!t->blank && t->ku && certext_add(x, certext_template_ku(t)) < 0)
    return -1;
  if (!t->blank && t->eku && certext_add(x, certext_template_eku(t)) < 0)
    return -1;
  if (certext_add(x, certext_key_id(NID_subject_key_identifier, X509_get_X509_PUBKEY(x), NULL)) < 0)
    return -1;
  if (t->aki == TPL_AKI_ISSUER && b->issuer &&
      certext_add(x, certext_key_id(NID_authority_key_identifier, X509_get_X509_PUBKEY(b->issuer),
                                    b->issuer)) < 0)
    return -1;
  return 0;
}

/* 2. the CA's configuration: CDP and OCSP */
static int certext_from_config(X509 *x, const certext_in_t *b) {
  const revcfg_t *rev = b->rev;
  if ((b->t->cdp_from & TPL_SRC_CACFG) && rev->crl_enabled && !rev->crl_omit_cdp &&
      certext_add(x, certext_cdp(rev, b->crl_name, b->region)) < 0)
    return -1;
  if (!b->t->root && rev->ocsp_enabled && rev->ocsp_cname &&
      certext_add(x, certext_aia_ocsp(rev->ocsp_cname)) < 0)
    return -1;
  return 0;
}

/* 3. the API passthrough; a CDP only where the template takes it from there */
static int certext_from_api(X509 *x, const certext_in_t *b) {
  for (int i = 0; b->api && i < sk_X509_EXTENSION_num(b->api->ext); i++) {
    X509_EXTENSION *ae = sk_X509_EXTENSION_value(b->api->ext, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ae)) == NID_crl_distribution_points &&
        !(b->t->cdp_from & TPL_SRC_API))
      continue;
    if (certext_add(x, X509_EXTENSION_dup(ae)) < 0)
      return -1;
  }
  return 0;
}

/* 4. the CSR: its SAN always, everything with a CSR passthrough */
static int certext_from_csr(X509 *x, const certext_in_t *b) {
  STACK_OF(X509_EXTENSION) *csrx = X509_REQ_get_extensions(b->req);
  int rc = 0;
  for (int k = 0; rc == 0 && csrx && k < sk_X509_EXTENSION_num(csrx); k++) {
    X509_EXTENSION *ce = sk_X509_EXTENSION_value(csrx, k);
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ce));
    if (nid != NID_subject_alt_name && !(b->t->variety & TPL_CSR))
      continue;
    if (nid == NID_crl_distribution_points && !(b->t->cdp_from & TPL_SRC_CSR))
      continue;
    rc = certext_add(x, X509_EXTENSION_dup(ce));
  }
  sk_X509_EXTENSION_pop_free(csrx, X509_EXTENSION_free);
  return rc;
}

int certext_build(X509 *x, const certext_in_t *b, err_t *e) {
  if (certext_from_template(x, b) < 0 || certext_from_config(x, b) < 0 ||
      certext_from_api(x, b) < 0 || certext_from_csr(x, b) < 0)
    return err_set(e, ERR_InvalidArgsException, "The certificate's extensions cannot be built");
  return 0;
}
