#include "shape/ext.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <string.h>

#include "shape/subject.h"

static ASN1_IA5STRING *ext_ia5(const char *s) {
  ASN1_IA5STRING *a = ASN1_IA5STRING_new();
  if (a && !ASN1_STRING_set(a, s, -1)) {
    ASN1_IA5STRING_free(a);
    a = NULL;
  }
  return a;
}

static ASN1_STRING *ext_utf8(const char *s) {
  ASN1_UTF8STRING *a = ASN1_UTF8STRING_new();
  if (a && !ASN1_STRING_set(a, s, -1)) {
    ASN1_UTF8STRING_free(a);
    a = NULL;
  }
  return a;
}

GENERAL_NAME *ext_general_name(const json_t *gn, err_t *e) {
  GENERAL_NAME *g = GENERAL_NAME_new();
  const char *s;
  const json_t *o;
  if (!g || json_object_size(gn) != 1) {
    GENERAL_NAME_free(g);
    err_set(e, ERR_InvalidArgsException, "A GeneralName must have exactly one member set");
    return NULL;
  }
  if ((s = json_string_value(json_object_get(gn, "Rfc822Name")))) {
    g->type = GEN_EMAIL;
    g->d.rfc822Name = ext_ia5(s);
  } else if ((s = json_string_value(json_object_get(gn, "DnsName")))) {
    g->type = GEN_DNS;
    g->d.dNSName = ext_ia5(s);
  } else if ((s = json_string_value(json_object_get(gn, "UniformResourceIdentifier")))) {
    g->type = GEN_URI;
    g->d.uniformResourceIdentifier = ext_ia5(s);
  } else if ((s = json_string_value(json_object_get(gn, "IpAddress")))) {
    g->type = GEN_IPADD;
    g->d.iPAddress = a2i_IPADDRESS(s);
    if (!g->d.iPAddress) {
      err_set(e, ERR_InvalidArgsException, "IpAddress '%s' is not an IPv4 or IPv6 address", s);
      goto fail;
    }
  } else if ((s = json_string_value(json_object_get(gn, "RegisteredId")))) {
    g->type = GEN_RID;
    g->d.registeredID = OBJ_txt2obj(s, 1);
  } else if ((o = json_object_get(gn, "DirectoryName"))) {
    g->type = GEN_DIRNAME;
    g->d.directoryName = subject_to_name(o, e);
    if (!g->d.directoryName)
      goto fail;
  } else if ((o = json_object_get(gn, "OtherName"))) {
    const char *oid = json_string_value(json_object_get(o, "TypeId"));
    const char *v = json_string_value(json_object_get(o, "Value"));
    ASN1_TYPE *t = ASN1_TYPE_new();
    g->type = GEN_OTHERNAME;
    g->d.otherName = OTHERNAME_new();
    if (!t || !g->d.otherName || !oid || !v) {
      ASN1_TYPE_free(t);
      goto oom;
    }
    ASN1_OBJECT_free(g->d.otherName->type_id);
    g->d.otherName->type_id = OBJ_txt2obj(oid, 1);
    ASN1_TYPE_set(t, V_ASN1_UTF8STRING, ext_utf8(v));
    ASN1_TYPE_free(g->d.otherName->value);
    g->d.otherName->value = t;
    if (!g->d.otherName->type_id)
      goto oom;
  } else if ((o = json_object_get(gn, "EdiPartyName"))) {
    const char *party = json_string_value(json_object_get(o, "PartyName"));
    const char *assigner = json_string_value(json_object_get(o, "NameAssigner"));
    g->type = GEN_EDIPARTY;
    g->d.ediPartyName = EDIPARTYNAME_new();
    if (!g->d.ediPartyName || !party)
      goto oom;
    ASN1_STRING_free(g->d.ediPartyName->partyName);
    g->d.ediPartyName->partyName = ext_utf8(party);
    if (assigner)
      g->d.ediPartyName->nameAssigner = ext_utf8(assigner);
  } else {
    err_set(e, ERR_InvalidArgsException, "A GeneralName must have exactly one member set");
    goto fail;
  }
  if (!g->d.ptr)
    goto oom;
  return g;
oom:
  err_set(e, ERR_InvalidArgsException, "The GeneralName cannot be encoded");
fail:
  GENERAL_NAME_free(g);
  return NULL;
}

static const char *const ext_ku_bits[] = {
    "DigitalSignature", "NonRepudiation", "KeyEncipherment", "DataEncipherment", "KeyAgreement",
    "KeyCertSign",      "CRLSign",        "EncipherOnly",    "DecipherOnly",
};

X509_EXTENSION *ext_key_usage(const json_t *ku, err_t *e) {
  ASN1_BIT_STRING *bits = ASN1_BIT_STRING_new();
  X509_EXTENSION *x = NULL;
  int any = 0;
  for (int i = 0; bits && i < (int)(sizeof ext_ku_bits / sizeof ext_ku_bits[0]); i++)
    if (json_is_true(json_object_get(ku, ext_ku_bits[i]))) {
      ASN1_BIT_STRING_set_bit(bits, i, 1);
      any = 1;
    }
  if (bits && any)
    x = X509V3_EXT_i2d(NID_key_usage, 1, bits);
  if (!x)
    err_set(e, ERR_InvalidArgsException, "KeyUsage must set at least one usage");
  ASN1_BIT_STRING_free(bits);
  return x;
}

/* An AWS enum name and the OID it stands for. */
typedef struct {
  const char *name;
  const char *oid;
} ext_oid_name_t;

/* The OID of name in the table (n entries), or oid when name is NULL or
 * not in it. */
static const char *ext_oid_of(const ext_oid_name_t *t, size_t n, const char *name,
                              const char *oid) {
  for (size_t k = 0; name && k < n; k++)
    if (strcmp(name, t[k].name) == 0)
      return t[k].oid;
  return oid;
}

/* The AWS AccessMethodType names and their OIDs. */
static const ext_oid_name_t ext_access_methods[] = {
    {"CA_REPOSITORY", "1.3.6.1.5.5.7.48.5"},
    {"RESOURCE_PKI_MANIFEST", "1.3.6.1.5.5.7.48.10"},
    {"RESOURCE_PKI_NOTIFY", "1.3.6.1.5.5.7.48.13"},
};

/* The AWS ExtendedKeyUsageType names and their OIDs. */
static const ext_oid_name_t ext_eku_types[] = {
    {"SERVER_AUTH", "1.3.6.1.5.5.7.3.1"},       {"CLIENT_AUTH", "1.3.6.1.5.5.7.3.2"},
    {"CODE_SIGNING", "1.3.6.1.5.5.7.3.3"},      {"EMAIL_PROTECTION", "1.3.6.1.5.5.7.3.4"},
    {"TIME_STAMPING", "1.3.6.1.5.5.7.3.8"},     {"OCSP_SIGNING", "1.3.6.1.5.5.7.3.9"},
    {"SMART_CARD_LOGIN", "1.3.6.1.4.1.311.20.2.2"},
    {"DOCUMENT_SIGNING", "1.3.6.1.4.1.311.10.3.12"},
    {"CERTIFICATE_TRANSPARENCY", "1.3.6.1.4.1.11129.2.4.4"},
};

X509_EXTENSION *ext_subject_info_access(const json_t *list, err_t *e) {
  AUTHORITY_INFO_ACCESS *sia = AUTHORITY_INFO_ACCESS_new();
  X509_EXTENSION *x = NULL;
  size_t i;
  const json_t *ad;
  if (!sia)
    goto oom;
  json_array_foreach(list, i, ad) {
    const json_t *m = json_object_get(ad, "AccessMethod");
    const char *type = json_string_value(json_object_get(m, "AccessMethodType"));
    const char *oid = json_string_value(json_object_get(m, "CustomObjectIdentifier"));
    ACCESS_DESCRIPTION *d;
    if ((type != NULL) == (oid != NULL)) {
      err_set(e, ERR_InvalidArgsException,
              "AccessMethod must set exactly one of AccessMethodType and CustomObjectIdentifier");
      goto fail;
    }
    oid = ext_oid_of(ext_access_methods, sizeof ext_access_methods / sizeof ext_access_methods[0],
                     type, oid);
    d = ACCESS_DESCRIPTION_new();
    if (!d || !sk_ACCESS_DESCRIPTION_push(sia, d)) {
      ACCESS_DESCRIPTION_free(d);
      goto oom;
    }
    ASN1_OBJECT_free(d->method);
    d->method = oid ? OBJ_txt2obj(oid, 1) : NULL;
    GENERAL_NAME_free(d->location);
    d->location = ext_general_name(json_object_get(ad, "AccessLocation"), e);
    if (!d->method || !d->location) {
      if (d->location)
        err_set(e, ERR_InvalidArgsException, "AccessMethod %s is not known", type ? type : "");
      goto fail;
    }
  }
  x = X509V3_EXT_i2d(NID_sinfo_access, 0, sia);
  if (!x)
    goto oom;
  AUTHORITY_INFO_ACCESS_free(sia);
  return x;
oom:
  err_set(e, ERR_InternalFailure, "out of memory");
fail:
  AUTHORITY_INFO_ACCESS_free(sia);
  return NULL;
}

X509_EXTENSION *ext_eku(const json_t *list, err_t *e) {
  EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
  X509_EXTENSION *x = NULL;
  size_t i;
  const json_t *item;
  if (!eku)
    goto out;
  json_array_foreach(list, i, item) {
    const char *type = json_string_value(json_object_get(item, "ExtendedKeyUsageType"));
    const char *oid = json_string_value(json_object_get(item, "ExtendedKeyUsageObjectIdentifier"));
    ASN1_OBJECT *o;
    if ((type != NULL) == (oid != NULL)) {
      err_set(e, ERR_InvalidArgsException,
              "An ExtendedKeyUsage sets exactly one of ExtendedKeyUsageType and "
              "ExtendedKeyUsageObjectIdentifier");
      goto out;
    }
    oid = ext_oid_of(ext_eku_types, sizeof ext_eku_types / sizeof ext_eku_types[0], type, oid);
    o = oid ? OBJ_txt2obj(oid, 1) : NULL;
    if (!o || !sk_ASN1_OBJECT_push(eku, o)) {
      ASN1_OBJECT_free(o);
      err_set(e, ERR_InvalidArgsException, "ExtendedKeyUsage %s is not known",
              type ? type : oid ? oid : "?");
      goto out;
    }
  }
  x = X509V3_EXT_i2d(NID_ext_key_usage, 0, eku);
  if (!x)
    err_set(e, ERR_InternalFailure, "cannot encode extKeyUsage");
out:
  sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
  return x;
}

X509_EXTENSION *ext_san(const json_t *list, err_t *e) {
  GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
  X509_EXTENSION *x = NULL;
  size_t i;
  const json_t *gn;
  if (!names)
    goto out;
  json_array_foreach(list, i, gn) {
    GENERAL_NAME *g = ext_general_name(gn, e);
    if (!g || !sk_GENERAL_NAME_push(names, g)) {
      GENERAL_NAME_free(g);
      goto out;
    }
  }
  x = X509V3_EXT_i2d(NID_subject_alt_name, 0, names);
  if (!x)
    err_set(e, ERR_InvalidArgsException, "the SubjectAlternativeNames cannot be encoded");
out:
  GENERAL_NAMES_free(names);
  return x;
}

X509_EXTENSION *ext_policies(const json_t *list, err_t *e) {
  CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
  X509_EXTENSION *x = NULL;
  size_t i, k;
  const json_t *pi, *q;
  if (!pols)
    goto out;
  json_array_foreach(list, i, pi) {
    POLICYINFO *info = POLICYINFO_new();
    const char *oid = json_string_value(json_object_get(pi, "CertPolicyId"));
    if (!info || !sk_POLICYINFO_push(pols, info)) {
      POLICYINFO_free(info);
      goto out;
    }
    ASN1_OBJECT_free(info->policyid);
    info->policyid = oid ? OBJ_txt2obj(oid, 1) : NULL;
    if (!info->policyid) {
      err_set(e, ERR_InvalidArgsException, "CertPolicyId %s is not an OID", oid ? oid : "");
      goto out;
    }
    json_array_foreach(json_object_get(pi, "PolicyQualifiers"), k, q) {
      const char *cps = json_string_value(json_object_get(json_object_get(q, "Qualifier"),
                                                          "CpsUri"));
      POLICYQUALINFO *qi = POLICYQUALINFO_new();
      if (!info->qualifiers)
        info->qualifiers = sk_POLICYQUALINFO_new_null();
      if (!qi || !info->qualifiers || !sk_POLICYQUALINFO_push(info->qualifiers, qi)) {
        POLICYQUALINFO_free(qi);
        goto out;
      }
      qi->pqualid = OBJ_nid2obj(NID_id_qt_cps);
      qi->d.cpsuri = ext_ia5(cps ? cps : "");
      if (!qi->d.cpsuri)
        goto out;
    }
  }
  x = X509V3_EXT_i2d(NID_certificate_policies, 0, pols);
out:
  if (!x && e->code == ERR_OK)
    err_set(e, ERR_InvalidArgsException, "the CertificatePolicies cannot be encoded");
  CERTIFICATEPOLICIES_free(pols);
  return x;
}

X509_EXTENSION *ext_custom(const json_t *ce, err_t *e) {
  const char *oid = json_string_value(json_object_get(ce, "ObjectIdentifier"));
  const char *b64 = json_string_value(json_object_get(ce, "Value"));
  ASN1_OBJECT *o = oid ? OBJ_txt2obj(oid, 1) : NULL;
  ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
  unsigned char *der = NULL;
  int n = -1;
  X509_EXTENSION *x = NULL;
  if (b64) {
    size_t len = strlen(b64);
    der = OPENSSL_malloc(len / 4 * 3 + 3);
    n = der ? EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len) : -1;
    /* EVP_DecodeBlock counts the padding as bytes */
    for (size_t k = len; n > 0 && k > 0 && b64[k - 1] == '='; k--)
      n--;
  }
  if (!o || !v || n <= 0 || !ASN1_OCTET_STRING_set(v, der, n)) {
    err_set(e, ERR_InvalidArgsException, "CustomExtension %s needs an OID and a base64 DER value",
            oid ? oid : "?");
  } else {
    const unsigned char *q = der;
    ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &q, n);
    if (!t || q != der + n)
      err_set(e, ERR_InvalidArgsException, "CustomExtension %s: the value is not DER", oid);
    else
      x = X509_EXTENSION_create_by_OBJ(NULL, o, json_is_true(json_object_get(ce, "Critical")), v);
    ASN1_TYPE_free(t);
  }
  OPENSSL_free(der);
  ASN1_OCTET_STRING_free(v);
  ASN1_OBJECT_free(o);
  return x;
}
