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

/* The algorithms, and the document's text (the stored text when there is
 * one, else cfg's compact form). */
static int cacfg_algorithms(const json_t *cfg, const char *text, cacfg_t *out, err_t *e) {
  const char *ka = json_string_value(json_object_get(cfg, "KeyAlgorithm"));
  const char *sa = json_string_value(json_object_get(cfg, "SigningAlgorithm"));
  memset(out, 0, sizeof *out);
  out->key_algorithm = strdup(ka ? ka : "");
  out->signing_algorithm = strdup(sa ? sa : "");
  out->text = text ? strdup(text) : json_dumps(cfg, JSON_COMPACT);
  if (out->key_algorithm && out->signing_algorithm && out->text)
    return 0;
  cacfg_clear(out);
  return err_set(e, ERR_InternalFailure, "out of memory");
}

/* The CSR's subject and extensions. */
static int cacfg_csr(const json_t *cfg, cacfg_t *out, err_t *e) {
  const json_t *csrx = json_object_get(cfg, "CsrExtensions");
  const json_t *ku = json_object_get(csrx, "KeyUsage");
  const json_t *sia = json_object_get(csrx, "SubjectInformationAccess");
  e->code = ERR_OK;
  if (!(out->csr_ext = sk_X509_EXTENSION_new_null()) ||
      !(out->subject = subject_to_name(json_object_get(cfg, "Subject"), e)) ||
      (ku && cacfg_push(out->csr_ext, ext_key_usage(ku, e)) < 0) ||
      (sia && cacfg_push(out->csr_ext, ext_subject_info_access(sia, e)) < 0)) {
    if (e->code == ERR_OK)
      err_set(e, ERR_InternalFailure, "out of memory");
    cacfg_clear(out);
    return -1;
  }
  return 0;
}

int cacfg_from_json(const json_t *cfg, cacfg_t *out, err_t *e) {
  if (cacfg_algorithms(cfg, NULL, out, e) < 0)
    return -1;
  return cacfg_csr(cfg, out, e);
}

/* A stored document; with the CSR's parts when csr is set. */
static int cacfg_parse(const char *text, cacfg_t *out, int csr, err_t *e) {
  json_t *cfg = text ? json_loads(text, 0, NULL) : NULL;
  int ret;
  memset(out, 0, sizeof *out);
  if (!cfg)
    return err_set(e, ERR_InternalFailure, "the stored CA configuration is not JSON");
  ret = cacfg_algorithms(cfg, text, out, e);
  if (ret == 0 && csr)
    ret = cacfg_csr(cfg, out, e);
  json_decref(cfg);
  return ret;
}

int cacfg_from_text(const char *text, cacfg_t *out, err_t *e) {
  return cacfg_parse(text, out, 1, e);
}

int cacfg_algorithms_from_text(const char *text, cacfg_t *out, err_t *e) {
  return cacfg_parse(text, out, 0, e);
}

void cacfg_clear(cacfg_t *c) {
  free(c->key_algorithm);
  free(c->signing_algorithm);
  X509_NAME_free(c->subject);
  sk_X509_EXTENSION_pop_free(c->csr_ext, X509_EXTENSION_free);
  free(c->text);
  memset(c, 0, sizeof *c);
}
