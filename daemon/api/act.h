#ifndef PCAD_ACT_H
#define PCAD_ACT_H
/* Operation handlers: decoded JSON in, JSON out, through the domain layer.
 * No SQL and no PKCS#11 here. Handlers run on a worker thread; the input
 * has passed model validation for the operation's input shape. On success
 * *out is the response object (NULL means {}). */
#include <jansson.h>

#include "base/err.h"
#include "core/ctx.h"
#include "core/tag.h"
#include "core/templates.h"

/* What the router decoded from the request and authorized: the CA the
 * operation acts on (its actions.def member, canonical; NULL for an
 * operation on none) and IssueCertificate's template (NULL: none given).
 * The router removes both members from the input, so a handler acts on
 * exactly these. */
typedef struct {
  const char *ca_arn;
  const template_t *tmpl;
} act_res_t;

typedef int (*act_fn_t)(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                        err_t *e);

MUST_CHECK
int act_create_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e);
MUST_CHECK
int act_describe_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                    err_t *e);
MUST_CHECK
int act_list_cas(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                 err_t *e);
MUST_CHECK
int act_update_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e);
MUST_CHECK
int act_delete_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e);
MUST_CHECK
int act_restore_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e);
MUST_CHECK
int act_get_ca_csr(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e);
MUST_CHECK
int act_get_ca_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                           err_t *e);
MUST_CHECK
int act_import_ca_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                              err_t *e);
MUST_CHECK
int act_issue_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                          err_t *e);
MUST_CHECK
int act_get_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                        err_t *e);
MUST_CHECK
int act_revoke_certificate(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                           err_t *e);
MUST_CHECK
int act_tag_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
               err_t *e);
MUST_CHECK
int act_untag_ca(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                 err_t *e);
MUST_CHECK
int act_list_tags(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                  err_t *e);
MUST_CHECK
int act_create_audit_report(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                            err_t *e);
MUST_CHECK
int act_describe_audit_report(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                              err_t *e);
MUST_CHECK
int act_put_policy(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e);
MUST_CHECK
int act_get_policy(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                   err_t *e);
MUST_CHECK
int act_delete_policy(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                      err_t *e);
MUST_CHECK
int act_create_permission(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                          err_t *e);
MUST_CHECK
int act_list_permissions(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                         err_t *e);
MUST_CHECK
int act_delete_permission(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                          err_t *e);

/* A Tags list as tag_t pointing into the JSON (act_tags.c); free(*tags). */
MUST_CHECK
int act_tags_decode(const json_t *list, tag_t **tags, size_t *n, err_t *e);

/* Pagination (act_page.c): MaxResults capped at 100 a page; NextToken
 * authenticated for scope. */
typedef struct {
  char scope[512];
  int limit;
  char *cursor; /* NULL: first page */
} act_page_t;

MUST_CHECK
int act_page_begin(const ctx_t *c, const json_t *in, const char *op, const char *filter,
                   act_page_t *p, err_t *e);
/* Sets NextToken in out when next is non-NULL; frees the page's cursor. */
MUST_CHECK
int act_page_end(const ctx_t *c, act_page_t *p, const char *next, json_t *out, err_t *e);

#endif
