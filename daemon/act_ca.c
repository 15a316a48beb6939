#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "awsjson.h"
#include "ca.h"

int act_create_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  char *arn = NULL;
  if (ca_create(c, in, &arn, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "CertificateAuthorityArn", arn);
  free(arn);
  return 0;
}

int act_describe_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  json_t *ca = NULL;
  if (ca_describe(c, act_ca_arn(in), &ca, e) < 0)
    return -1;
  *out = json_pack("{s:o}", "CertificateAuthority", ca);
  return 0;
}

int act_list_cas(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  const char *owner = json_string_value(json_object_get(in, "ResourceOwner"));
  act_page_t p;
  json_t *cas = NULL;
  char *next = NULL;
  int rc;
  if (!owner)
    owner = "SELF";
  if (act_page_begin(c, in, "ListCertificateAuthorities", owner, &p, e) < 0)
    return -1;
  if (strcmp(owner, "OTHER_ACCOUNTS") == 0) {
    /* CAs shared through resource policies arrive with the access issue;
     * until then no other account shares any CA with the caller. */
    cas = json_array();
  } else if (ca_list(c, p.cursor, p.limit, &cas, &next, e) < 0) {
    free(p.cursor);
    return -1;
  }
  *out = json_pack("{s:o}", "CertificateAuthorities", cas);
  rc = act_page_end(c, &p, next, *out, e);
  free(next);
  return rc;
}

int act_update_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return ca_update(c, act_ca_arn(in), in, e);
}

int act_delete_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  json_t *days = json_object_get(in, "PermanentDeletionTimeInDays");
  (void)out;
  return ca_delete(c, act_ca_arn(in), days ? (int)json_integer_value(days) : 30, e);
}

int act_restore_ca(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return ca_restore(c, act_ca_arn(in), e);
}

int act_get_ca_csr(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  char *pem = NULL;
  if (ca_get_csr(c, act_ca_arn(in), &pem, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Csr", pem);
  free(pem);
  return 0;
}

int act_get_ca_certificate(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  char *cert = NULL, *chain = NULL;
  if (ca_get_certificate(c, act_ca_arn(in), &cert, &chain, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Certificate", cert);
  if (chain)
    json_object_set_new(*out, "CertificateChain", json_string(chain));
  free(cert);
  free(chain);
  return 0;
}

/* A blob member, base64-decoded (the model check made sure it decodes). */
static int act_blob(const json_t *in, const char *name, unsigned char **p, size_t *n) {
  const json_t *v = json_object_get(in, name);
  *p = NULL;
  *n = 0;
  return v ? awsjson_base64_decode(json_string_value(v), json_string_length(v), p, n) : 0;
}

int act_import_ca_certificate(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  unsigned char *cert = NULL, *chain = NULL;
  size_t cert_len = 0, chain_len = 0;
  int rc = -1;
  (void)out;
  if (act_blob(in, "Certificate", &cert, &cert_len) < 0 ||
      act_blob(in, "CertificateChain", &chain, &chain_len) < 0)
    err_set(e, ERR_SerializationException, "A blob member is not base64");
  else
    rc = ca_import(c, act_ca_arn(in), cert, cert_len, chain, chain_len, e);
  free(cert);
  free(chain);
  return rc;
}
