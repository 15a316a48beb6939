#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "ca.h"
#include "pagetoken.h"

/* AWS returns at most 100 CAs a page whatever MaxResults says. */
#define ACT_LIST_CAS_PAGE 100

int act_list_cas(const act_ctx_t *ctx, const json_t *in, json_t **out, err_t *e) {
  json_t *max = json_object_get(in, "MaxResults");
  const char *token = json_string_value(json_object_get(in, "NextToken"));
  const char *owner = json_string_value(json_object_get(in, "ResourceOwner"));
  int limit = ACT_LIST_CAS_PAGE, rc = -1;
  char scope[128], *cursor = NULL, *next = NULL;
  json_t *cas = NULL;

  if (json_is_integer(max) && json_integer_value(max) < limit)
    limit = (int)json_integer_value(max);
  if (!owner)
    owner = "SELF";
  snprintf(scope, sizeof scope, "ListCertificateAuthorities:%s:%s", ctx->account, owner);
  if (token && !(cursor = pagetoken_decode(ctx->page_key, scope, token)))
    return err_set(e, ERR_InvalidNextTokenException, "The token is not valid for this request.");
  if (strcmp(owner, "OTHER_ACCOUNTS") == 0) {
    /* CAs shared through resource policies arrive with the access issue;
     * until then no other account shares any CA with the caller. */
    cas = json_array();
  } else if (ca_list(ctx->store, ctx->account, cursor, limit, &cas, &next, e) < 0) {
    goto out;
  }
  *out = json_pack("{s:o}", "CertificateAuthorities", cas);
  if (next) {
    char *t = pagetoken_encode(ctx->page_key, scope, next);
    if (!t) {
      err_set(e, ERR_InternalFailure, "cannot make a NextToken");
      goto out;
    }
    json_object_set_new(*out, "NextToken", json_string(t));
    free(t);
  }
  rc = 0;
out:
  free(cursor);
  free(next);
  return rc;
}
