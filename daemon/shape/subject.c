#include "shape/subject.h"

#include <jansson.h>
#include <openssl/objects.h>
#include <string.h>

/* The model's member order is the RDN order. */
static const struct {
  const char *member;
  int nid;
} subject_attrs[] = {
    {"Country", NID_countryName},
    {"Organization", NID_organizationName},
    {"OrganizationalUnit", NID_organizationalUnitName},
    {"DistinguishedNameQualifier", NID_dnQualifier},
    {"State", NID_stateOrProvinceName},
    {"CommonName", NID_commonName},
    {"SerialNumber", NID_serialNumber},
    {"Locality", NID_localityName},
    {"Title", NID_title},
    {"Surname", NID_surname},
    {"GivenName", NID_givenName},
    {"Initials", NID_initials},
    {"Pseudonym", NID_pseudonym},
    {"GenerationQualifier", NID_generationQualifier},
};

X509_NAME *subject_to_name(const json_t *subject, err_t *e) {
  X509_NAME *n = X509_NAME_new();
  const json_t *custom = json_object_get(subject, "CustomAttributes");
  int standard = 0;
  if (!n) {
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < sizeof subject_attrs / sizeof subject_attrs[0]; i++) {
    const char *v = json_string_value(json_object_get(subject, subject_attrs[i].member));
    if (!v || !*v)
      continue;
    standard++;
    if (!X509_NAME_add_entry_by_NID(n, subject_attrs[i].nid, MBSTRING_UTF8,
                                    (const unsigned char *)v, -1, -1, 0)) {
      err_set(e, ERR_InvalidArgsException, "Subject %s '%s' cannot be encoded",
              subject_attrs[i].member, v);
      goto fail;
    }
  }
  if (custom && standard) {
    err_set(e, ERR_InvalidArgsException,
            "Subject CustomAttributes cannot be combined with the standard attributes");
    goto fail;
  }
  if (custom) {
    size_t i;
    const json_t *a;
    json_array_foreach(custom, i, a) {
      const char *oid = json_string_value(json_object_get(a, "ObjectIdentifier"));
      const char *v = json_string_value(json_object_get(a, "Value"));
      ASN1_OBJECT *obj = oid ? OBJ_txt2obj(oid, 1) : NULL;
      int ok = obj && v && X509_NAME_add_entry_by_OBJ(n, obj, MBSTRING_UTF8,
                                                      (const unsigned char *)v, -1, -1, 0);
      ASN1_OBJECT_free(obj);
      if (!ok) {
        err_set(e, ERR_InvalidArgsException, "Subject custom attribute %s cannot be encoded",
                oid ? oid : "?");
        goto fail;
      }
    }
  }
  if (X509_NAME_entry_count(n) == 0) {
    err_set(e, ERR_InvalidArgsException, "The Subject must contain at least one attribute");
    goto fail;
  }
  return n;
fail:
  X509_NAME_free(n);
  return NULL;
}
