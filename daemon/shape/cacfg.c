#include "shape/cacfg.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "shape/ext.h"
#include "shape/subject.h"

/* Pushes ext (NULL: its maker failed, e set) onto the stack. */
static int cacfg_push(STACK_OF(X509_EXTENSION) *sk, X509_EXTENSION *ext) {
  if (!ext)
    return -1;
  if (!sk_X509_EXTENSION_push(sk, ext)) {
    X509_EXTENSION_free(ext);
    return -1;
  }
  return 0;
}

int cacfg_from_json(const json_t *cfg, cacfg_t *out, err_t *e) {
  const json_t *csrx = json_object_get(cfg, "CsrExtensions");
  const json_t *ku = json_object_get(csrx, "KeyUsage");
  const json_t *sia = json_object_get(csrx, "SubjectInformationAccess");
  const char *ka = json_string_value(json_object_get(cfg, "KeyAlgorithm"));
  const char *sa = json_string_value(json_object_get(cfg, "SigningAlgorithm"));
  memset(out, 0, sizeof *out);
  e->code = ERR_OK;
  out->key_algorithm = strdup(ka ? ka : "");
  out->signing_algorithm = strdup(sa ? sa : "");
  out->csr_ext = sk_X509_EXTENSION_new_null();
  out->text = json_dumps(cfg, JSON_COMPACT);
  if (!out->key_algorithm || !out->signing_algorithm || !out->csr_ext || !out->text)
    goto fail;
  if (!(out->subject = subject_to_name(json_object_get(cfg, "Subject"), e)))
    goto fail;
  if (ku && cacfg_push(out->csr_ext, ext_key_usage(ku, e)) < 0)
    goto fail;
  if (sia && cacfg_push(out->csr_ext, ext_subject_info_access(sia, e)) < 0)
    goto fail;
  return 0;
fail:
  if (e->code == ERR_OK)
    err_set(e, ERR_InternalFailure, "out of memory");
  cacfg_clear(out);
  return -1;
}

int cacfg_from_text(const char *text, cacfg_t *out, err_t *e) {
  json_t *cfg = text ? json_loads(text, 0, NULL) : NULL;
  int ret;
  if (!cfg) {
    memset(out, 0, sizeof *out);
    return err_set(e, ERR_InternalFailure, "the stored CA configuration is not JSON");
  }
  ret = cacfg_from_json(cfg, out, e);
  json_decref(cfg);
  return ret;
}

void cacfg_clear(cacfg_t *c) {
  free(c->key_algorithm);
  free(c->signing_algorithm);
  X509_NAME_free(c->subject);
  sk_X509_EXTENSION_pop_free(c->csr_ext, X509_EXTENSION_free);
  free(c->text);
  memset(c, 0, sizeof *c);
}
