#include <stdlib.h>
#include <string.h>

#include "api/act.h"
#include "api/awsjson.h"
#include "core/ca.h"
#include "shape/cacfg.h"
#include "shape/revcfg.h"

static void act_ca_put_str(json_t *o, const char *k, const char *v) {
  if (v)
    json_object_set_new(o, k, json_string(v));
}

static void act_ca_put_time(json_t *o, const char *k, const char *v) {
  if (v)
    json_object_set_new(o, k, awsjson_timestamp(v));
}

static void act_ca_put_json(json_t *o, const char *k, const char *text) {
  json_t *v = text ? json_loads(text, 0, NULL) : NULL;
  if (v)
    json_object_set_new(o, k, v);
}

/* Always present (shape/revcfg.h: both blocks, as stored or off). */
static void act_ca_put_revcfg(json_t *o, const char *k, const char *text) {
  json_object_set_new(o, k, revcfg_describe(text));
}

/* The CA as an API CertificateAuthority object (core/ca.h: CA_INFO_FIELDS). */
static json_t *act_ca_encode(const ca_info_t *c) {
  json_t *o = json_object();
#define ACT_CA_PUT(member, row, json, kind) act_ca_put_##kind(o, json, c->member);
  CA_INFO_FIELDS(ACT_CA_PUT)
#undef ACT_CA_PUT
  return o;
}

int act_create_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e) {
  const json_t *rc_json = json_object_get(in, "RevocationConfiguration");
  cacfg_t cfg;
  revcfg_t rev;
  tag_t *tags = NULL;
  ca_new_t n = {.type = json_string_value(json_object_get(in, "CertificateAuthorityType")),
                .usage_mode = json_string_value(json_object_get(in, "UsageMode")),
                .kss = json_string_value(json_object_get(in, "KeyStorageSecurityStandard")),
                .token = json_string_value(json_object_get(in, "IdempotencyToken")),
                .cfg = &cfg,
                .rev = rc_json ? &rev : NULL};
  char *arn = NULL;
  int rc = -1;
  (void)res;
  memset(&rev, 0, sizeof rev);
  memset(&cfg, 0, sizeof cfg);
  if (cacfg_from_json(json_object_get(in, "CertificateAuthorityConfiguration"), &cfg, e) < 0 ||
      (rc_json && revcfg_from_json(rc_json, &rev, e) < 0) ||
      act_tags_decode(json_object_get(in, "Tags"), &tags, &n.ntags, e) < 0)
    goto out;
  n.tags = tags;
  if (ca_create(c, &n, &arn, e) < 0)
    goto out;
  *out = json_pack("{s:s}", "CertificateAuthorityArn", arn);
  rc = 0;
out:
  free(arn);
  free(tags);
  cacfg_clear(&cfg);
  revcfg_clear(&rev);
  return rc;
}

int act_describe_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                    err_t *e) {
  ca_info_t ca;
  (void)in;
  if (ca_describe(c, res->ca_arn, &ca, e) < 0)
    return -1;
  *out = json_pack("{s:o}", "CertificateAuthority", act_ca_encode(&ca));
  ca_info_clear(&ca);
  return 0;
}

int act_list_cas(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                 err_t *e) {
  const char *owner = json_string_value(json_object_get(in, "ResourceOwner"));
  act_page_t p;
  ca_info_t *cas = NULL;
  json_t *list = json_array();
  char *next = NULL;
  int n = 0, rc;
  (void)res;
  if (!owner)
    owner = "SELF";
  if (act_page_begin(c, in, "ListCertificateAuthorities", owner, &p, e) < 0) {
    json_decref(list);
    return -1;
  }
  if (ca_list(c, strcmp(owner, "OTHER_ACCOUNTS") == 0, p.cursor, p.limit, &cas, &n, &next,
              e) < 0) {
    free(p.cursor);
    json_decref(list);
    return -1;
  }
  for (int i = 0; i < n; i++)
    json_array_append_new(list, act_ca_encode(&cas[i]));
  ca_info_free(cas, n);
  *out = json_pack("{s:o}", "CertificateAuthorities", list);
  rc = act_page_end(c, &p, next, *out, e);
  free(next);
  return rc;
}

int act_update_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e) {
  const json_t *rc_json = json_object_get(in, "RevocationConfiguration");
  revcfg_t rev;
  int rc = -1;
  (void)out;
  memset(&rev, 0, sizeof rev);
  if (!rc_json || revcfg_from_json(rc_json, &rev, e) == 0)
    rc = ca_update(c, res->ca_arn, json_string_value(json_object_get(in, "Status")),
                   rc_json ? &rev : NULL, e);
  revcfg_clear(&rev);
  return rc;
}

int act_delete_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e) {
  json_t *days = json_object_get(in, "PermanentDeletionTimeInDays");
  (void)out;
  return ca_delete(c, res->ca_arn, days ? (int)json_integer_value(days) : 30, e);
}

int act_restore_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e) {
  (void)in;
  (void)out;
  return ca_restore(c, res->ca_arn, e);
}

int act_get_ca_csr(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e) {
  char *pem = NULL;
  (void)in;
  if (ca_get_csr(c, res->ca_arn, &pem, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Csr", pem);
  free(pem);
  return 0;
}

int act_get_ca_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                           err_t *e) {
  char *cert = NULL, *chain = NULL;
  (void)in;
  if (ca_get_certificate(c, res->ca_arn, &cert, &chain, e) < 0)
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

int act_import_ca_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                              err_t *e) {
  unsigned char *cert = NULL, *chain = NULL;
  size_t cert_len = 0, chain_len = 0;
  int rc = -1;
  (void)out;
  if (act_blob(in, "Certificate", &cert, &cert_len) < 0 ||
      act_blob(in, "CertificateChain", &chain, &chain_len) < 0)
    err_set(e, ERR_SerializationException, "A blob member is not base64");
  else
    rc = ca_import(c, res->ca_arn, cert, cert_len, chain, chain_len, e);
  free(cert);
  free(chain);
  return rc;
}
