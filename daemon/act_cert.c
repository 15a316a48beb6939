#include <stdlib.h>

#include "act.h"
#include "issue.h"

int act_issue_certificate(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  char *arn = NULL;
  if (issue_certificate(c, in, &arn, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "CertificateArn", arn);
  free(arn);
  return 0;
}

int act_get_certificate(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  char *cert = NULL, *chain = NULL;
  if (issue_get(c, act_ca_arn(in), json_string_value(json_object_get(in, "CertificateArn")),
                &cert, &chain, e) < 0)
    return -1;
  *out = json_pack("{s:s}", "Certificate", cert);
  if (chain)
    json_object_set_new(*out, "CertificateChain", json_string(chain));
  free(cert);
  free(chain);
  return 0;
}

int act_revoke_certificate(const ctx_t *c, const json_t *in, json_t **out, err_t *e) {
  (void)out;
  return issue_revoke(c, act_ca_arn(in),
                      json_string_value(json_object_get(in, "CertificateSerial")),
                      json_string_value(json_object_get(in, "RevocationReason")), e);
}
