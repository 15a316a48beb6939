#include "shape/dn.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

/* The attributes written by name (RFC 2253 section 2.3's table). */
static const struct {
  int nid;
  const char *name;
} dn_keywords[] = {
    {NID_commonName, "CN"},       {NID_countryName, "C"},
    {NID_localityName, "L"},      {NID_stateOrProvinceName, "ST"},
    {NID_organizationName, "O"},  {NID_organizationalUnitName, "OU"},
    {NID_streetAddress, "STREET"}, {NID_domainComponent, "DC"},
    {NID_userId, "UID"},
};

static const char *dn_keyword(int nid) {
  for (size_t i = 0; i < sizeof dn_keywords / sizeof dn_keywords[0]; i++)
    if (dn_keywords[i].nid == nid)
      return dn_keywords[i].name;
  return NULL;
}

/* <dotted OID>=#<hex DER of the value> */
static int dn_put_hex(BIO *b, const X509_NAME_ENTRY *ne) {
  const ASN1_STRING *v = X509_NAME_ENTRY_get_data(ne);
  ASN1_TYPE *t = ASN1_TYPE_new();
  unsigned char *der = NULL;
  char oid[128];
  int len = -1, ok = 0;
  if (t && ASN1_TYPE_set1(t, ASN1_STRING_type(v), v))
    len = i2d_ASN1_TYPE(t, &der);
  if (len > 0 && OBJ_obj2txt(oid, sizeof oid, X509_NAME_ENTRY_get_object(ne), 1) > 0 &&
      BIO_printf(b, "%s=#", oid) > 0) {
    ok = 1;
    for (int i = 0; ok && i < len; i++)
      ok = BIO_printf(b, "%02x", der[i]) == 2;
  }
  OPENSSL_free(der);
  ASN1_TYPE_free(t);
  return ok ? 0 : -1;
}

static int dn_put_entry(BIO *b, const X509_NAME_ENTRY *ne) {
  const char *kw = dn_keyword(OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne)));
  unsigned long fl = ASN1_STRFLGS_ESC_2253 | ASN1_STRFLGS_ESC_CTRL | ASN1_STRFLGS_UTF8_CONVERT;
  if (!kw)
    return dn_put_hex(b, ne);
  if (BIO_printf(b, "%s=", kw) <= 0 ||
      ASN1_STRING_print_ex(b, X509_NAME_ENTRY_get_data(ne), fl) < 0)
    return -1;
  return 0;
}

static char *dn_text(const X509_NAME *name) {
  BIO *b = BIO_new(BIO_s_mem());
  int n = X509_NAME_entry_count(name), ok = b != NULL;
  char *out = NULL, *data;
  long len;
  /* entries are kept in RDN order; the last RDN is written first, and
   * the values of one RDN (same set number) in their own order */
  for (int end = n; ok && end > 0;) {
    int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, end - 1)), start = end - 1;
    while (start > 0 && X509_NAME_ENTRY_set(X509_NAME_get_entry(name, start - 1)) == set)
      start--;
    if (end != n)
      ok = BIO_write(b, ",", 1) == 1;
    for (int i = start; ok && i < end; i++)
      ok = (i == start || BIO_write(b, "+", 1) == 1) &&
           dn_put_entry(b, X509_NAME_get_entry(name, i)) == 0;
    end = start;
  }
  if (ok && (len = BIO_get_mem_data(b, &data)) >= 0 && (out = malloc((size_t)len + 1))) {
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
  }
  BIO_free(b);
  return out;
}

char *dn_rfc2253(const X509_NAME *name) {
  /* through DER, so the values of an RDN come in their encoded (sorted)
   * order, as in the certificate */
  unsigned char *der = NULL;
  const unsigned char *p;
  int len = i2d_X509_NAME(name, &der);
  X509_NAME *enc = NULL;
  char *out;
  p = der;
  if (len > 0)
    enc = d2i_X509_NAME(NULL, &p, len);
  out = enc ? dn_text(enc) : NULL;
  X509_NAME_free(enc);
  OPENSSL_free(der);
  return out;
}
