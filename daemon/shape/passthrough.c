#include "shape/passthrough.h"

#include <jansson.h>
#include <string.h>

#include "shape/ext.h"
#include "shape/subject.h"

/* The Extensions members that make one extension each, in order. */
static const struct {
  const char *member;
  X509_EXTENSION *(*make)(const json_t *v, err_t *e);
} passthrough_members[] = {
    {"KeyUsage", ext_key_usage},
    {"ExtendedKeyUsage", ext_eku},
    {"SubjectAlternativeNames", ext_san},
    {"CertificatePolicies", ext_policies},
};

static int passthrough_push(passthrough_t *p, X509_EXTENSION *x) {
  if (x && sk_X509_EXTENSION_push(p->ext, x))
    return 0;
  X509_EXTENSION_free(x);
  return -1;
}

static int passthrough_extensions(const json_t *apix, passthrough_t *p) {
  const json_t *v;
  size_t i;
  for (i = 0; i < sizeof passthrough_members / sizeof passthrough_members[0]; i++)
    if ((v = json_object_get(apix, passthrough_members[i].member)) &&
        passthrough_push(p, passthrough_members[i].make(v, &p->err)) < 0)
      return -1;
  json_array_foreach(json_object_get(apix, "CustomExtensions"), i, v) {
    if (passthrough_push(p, ext_custom(v, &p->err)) < 0)
      return -1;
  }
  return 0;
}

void passthrough_from_json(const json_t *api, passthrough_t *out) {
  const json_t *subj = json_object_get(api, "Subject");
  memset(out, 0, sizeof *out);
  err_clear(&out->err);
  if (!api)
    return;
  out->present = 1;
  out->ext = sk_X509_EXTENSION_new_null();
  if (!out->ext) {
    err_set(&out->err, ERR_InternalFailure, "out of memory");
    return;
  }
  if (subj && !(out->subject = subject_to_name(subj, &out->err)))
    return;
  if (passthrough_extensions(json_object_get(api, "Extensions"), out) < 0 &&
      out->err.code == ERR_OK)
    err_set(&out->err, ERR_InvalidArgsException, "The certificate's extensions cannot be built");
}

void passthrough_clear(passthrough_t *p) {
  X509_NAME_free(p->subject);
  sk_X509_EXTENSION_pop_free(p->ext, X509_EXTENSION_free);
  memset(p, 0, sizeof *p);
}
