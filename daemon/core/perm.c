#include "core/perm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "core/audit.h"
#include "core/ca_row.h"
#include "store/store_perm.h"

/* The only principal AWS lets a permission name. */
#define PERM_PRINCIPAL "acm.amazonaws.com"

typedef struct {
  const char *principal, *source_account;
  const char *actions; /* NULL: delete */
} perm_change_t;

/* A change of one permission, the CA row locked: insert (actions) or
 * delete (actions NULL). */
static int perm_step(const ctx_t *c, const store_ca_t *row, void *arg, err_t *e) {
  const perm_change_t *p = arg;
  const char *src = p->source_account;
  int rc = p->actions
               ? store_perm_insert(c->store, row->id, p->principal, src, p->actions, e)
               : store_perm_delete(c->store, row->id, p->principal, src, e);
  if (rc < 0)
    return -1;
  if (rc == 1)
    return err_set(e,
                   p->actions ? ERR_PermissionAlreadyExistsException
                              : ERR_ResourceNotFoundException,
                   p->actions ? "The permission for %s%s%s already exists on %s"
                              : "There is no permission for %s%s%s on %s",
                   p->principal, src ? " from account " : "", src ? src : "", row->arn);
  return audit_event(c, e, p->actions ? AUDIT_CreatePermission : AUDIT_DeletePermission,
                     row->arn, NULL, "principal=%s source_account=%s actions=%s", p->principal,
                     src ? src : "-", p->actions ? p->actions : "-");
}

static int perm_change(const ctx_t *c, const char *arn, const char *principal,
                       const char *source_account, const char *actions, err_t *e) {
  perm_change_t p = {principal, source_account, actions};
  return ca_change_live(c, arn, "permissions", perm_step, &p, e);
}

/* Whether the comma-separated list holds a. */
static int perm_has(const char *list, const char *a) {
  size_t n = strlen(a);
  for (const char *p = list; *p;) {
    const char *comma = strchr(p, ',');
    if (strncmp(p, a, n) == 0 && (p[n] == ',' || p[n] == '\0'))
      return 1;
    p = comma ? comma + 1 : p + strlen(p);
  }
  return 0;
}

int perm_create(const ctx_t *c, const char *arn, const char *principal,
                const char *source_account, const char *const *actions, int n, err_t *e) {
  char list[96] = "";
  if (strcmp(principal, PERM_PRINCIPAL) != 0)
    return err_set(e, ERR_RequestFailedException,
                   "Permissions can be granted to " PERM_PRINCIPAL " only, not to %s",
                   principal);
  for (int i = 0; i < n; i++) /* each once, in the order given */
    if (!perm_has(list, actions[i])) {
      size_t l = strlen(list);
      snprintf(list + l, sizeof list - l, "%s%s", l ? "," : "", actions[i]);
    }
  return perm_change(c, arn, principal, source_account, list, e);
}

int perm_delete(const ctx_t *c, const char *arn, const char *principal,
                const char *source_account, err_t *e) {
  return perm_change(c, arn, principal, source_account, NULL, e);
}

int perm_list(const ctx_t *c, const char *arn, const char *cursor, int limit, perm_info_t **out,
              int *n, char **next, err_t *e) {
  char id[37];
  store_perm_t *rows = NULL;
  int nrows = 0;
  *out = NULL;
  *n = 0;
  if (ca_resolve(c, arn, STORE_LOCK_NONE, id, e) < 0 ||
      store_perm_list(c->store, id, cursor, limit, &rows, &nrows, next, e) < 0)
    return -1;
  if (!(*out = calloc((size_t)(nrows ? nrows : 1), sizeof **out))) {
    store_perm_free(rows, nrows);
    free(*next);
    *next = NULL;
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  for (int i = 0; i < nrows; i++) { /* the strings change hands */
    (*out)[i] = (perm_info_t){rows[i].principal, rows[i].source_account, rows[i].actions,
                              rows[i].created_at};
    memset(&rows[i], 0, sizeof rows[i]);
  }
  *n = nrows;
  store_perm_free(rows, nrows);
  return 0;
}

void perm_info_free(perm_info_t *v, int n) {
  for (int i = 0; v && i < n; i++) {
    free(v[i].principal);
    free(v[i].source_account);
    free(v[i].actions);
    free(v[i].created_at);
  }
  free(v);
}

char *perm_policy(const char *arn, const perm_info_t *p) {
  buf_t b = {0};
  const char *a = p->actions;
  int ok = buf_printf(&b,
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"%s\","
                      "\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"%s\"},"
                      "\"Action\":[",
                      "acm-pca-permission", p->principal) == 0;
  for (int first = 1; ok && *a; first = 0) {
    size_t len = strcspn(a, ",");
    ok = buf_printf(&b, "%s\"acm-pca:%.*s\"", first ? "" : ",", (int)len, a) == 0;
    a += len + (a[len] == ',');
  }
  if (ok)
    ok = buf_printf(&b, "],\"Resource\":\"%s\"", arn) == 0;
  if (ok && p->source_account)
    ok = buf_printf(&b, ",\"Condition\":{\"StringEquals\":{\"aws:SourceAccount\":\"%s\"}}",
                    p->source_account) == 0;
  if (ok)
    ok = buf_puts(&b, "}]}") == 0;
  if (!ok) {
    buf_free(&b);
    return NULL;
  }
  return buf_take(&b);
}
