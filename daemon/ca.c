#include "ca.h"

#include <stdlib.h>

#include "store_ca.h"

static void ca_put_str(json_t *o, const char *k, const char *v) {
  if (v)
    json_object_set_new(o, k, json_string(v));
}

static void ca_put_time(json_t *o, const char *k, const char *v) {
  /* epoch seconds as a JSON number, millisecond precision like AWS */
  if (v)
    json_object_set_new(o, k, json_real((double)(long long)(strtod(v, NULL) * 1000) / 1000.0));
}

static void ca_put_json(json_t *o, const char *k, const char *text) {
  json_t *v = text ? json_loads(text, 0, NULL) : NULL;
  if (v)
    json_object_set_new(o, k, v);
}

static json_t *ca_to_json(const store_ca_t *c) {
  json_t *o = json_object();
  ca_put_str(o, "Arn", c->arn);
  ca_put_str(o, "OwnerAccount", c->account_id);
  ca_put_time(o, "CreatedAt", c->created_at);
  ca_put_time(o, "LastStateChangeAt", c->last_state_change_at);
  ca_put_str(o, "Type", c->type);
  ca_put_str(o, "Serial", c->serial);
  ca_put_str(o, "Status", c->status);
  ca_put_time(o, "NotBefore", c->not_before);
  ca_put_time(o, "NotAfter", c->not_after);
  ca_put_str(o, "FailureReason", c->failure_reason);
  ca_put_json(o, "CertificateAuthorityConfiguration", c->ca_config);
  if (c->revocation_config)
    ca_put_json(o, "RevocationConfiguration", c->revocation_config);
  else
    json_object_set_new(o, "RevocationConfiguration",
                        json_pack("{s:{s:b}, s:{s:b}}", "CrlConfiguration", "Enabled", 0,
                                  "OcspConfiguration", "Enabled", 0));
  ca_put_time(o, "RestorableUntil", c->restorable_until);
  ca_put_str(o, "KeyStorageSecurityStandard", c->key_storage_security_standard);
  ca_put_str(o, "UsageMode", c->usage_mode);
  return o;
}

int ca_list(store_t *s, const char *account, const char *cursor, int limit, json_t **cas,
            char **next, err_t *e) {
  store_ca_t *rows = NULL;
  int n = 0;
  *cas = NULL;
  if (store_ca_list(s, account, cursor, limit, &rows, &n, next, e) < 0)
    return -1;
  *cas = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(*cas, ca_to_json(&rows[i]));
  store_ca_free(rows, n);
  return 0;
}
