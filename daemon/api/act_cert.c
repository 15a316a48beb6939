#include <stdlib.h>

#include "api/act.h"
#include "api/awsjson.h"
#include "core/cert.h"
#include "core/issue.h"

/* A {Type, Value} member: the type, or NULL when the member is absent. */
static const char *act_cert_validity(const json_t *in, const char *name, long long *value) {
  const json_t *v = json_object_get(in, name);
  *value = (long long)json_integer_value(json_object_get(v, "Value"));
  return json_string_value(json_object_get(v, "Type"));
}

int act_issue_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                          err_t *e) {
  const json_t *csr = json_object_get(in, "Csr");
  unsigned char *raw = NULL;
  size_t raw_len = 0;
  passthrough_t api;
  issue_req_t r = {.ca_arn = res->ca_arn,
                   .tmpl = res->tmpl,
                   .signing_algorithm = json_string_value(json_object_get(in, "SigningAlgorithm")),
                   .token = json_string_value(json_object_get(in, "IdempotencyToken"))};
  char *arn = NULL;
  int rc;
  if (awsjson_base64_decode(json_string_value(csr), json_string_length(csr), &raw, &raw_len) == 0) {
    r.csr = raw;
    r.csr_len = raw_len;
  }
  r.validity_type = act_cert_validity(in, "Validity", &r.validity_value);
  r.not_before_type = act_cert_validity(in, "ValidityNotBefore", &r.not_before_value);
  passthrough_from_json(json_object_get(in, "ApiPassthrough"), &api);
  r.api = &api;
  rc = issue_certificate(c, &r, &arn, e);
  if (rc == 0)
    *out = json_pack("{s:s}", "CertificateArn", arn);
  free(arn);
  free(raw);
  passthrough_clear(&api);
  return rc;
}

int act_get_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                        err_t *e) {
  char *cert = NULL, *chain = NULL;
  if (cert_get(c, res->ca_arn, json_string_value(json_object_get(in, "CertificateArn")),
               &cert, &chain, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Certificate", cert);
  if (chain)
    json_object_set_new(*out, "CertificateChain", json_string(chain));
  free(cert);
  free(chain);
  return 0;
}

int act_revoke_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                           err_t *e) {
  (void)out;
  return cert_revoke(c, res->ca_arn,
                     json_string_value(json_object_get(in, "CertificateSerial")),
                     json_string_value(json_object_get(in, "RevocationReason")), e);
}
