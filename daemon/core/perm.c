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

/* A change of one permission, the CA row locked: insert (actions) or
 * delete (actions NULL). */
static int perm_change(const ctx_t *c, const char *arn, const char *principal,
                       const char *source_account, const char *actions, err_t *e) {
  store_ca_t row;
  int ret = -1, rc;
  if (ca_lock_live(c, arn, "permissions", &row, e) < 0)
    return -1;
  rc = actions ? store_perm_insert(c->store, row.id, principal, source_account, actions, e)
               : store_perm_delete(c->store, row.id, principal, source_account, e);
  if (rc == 1)
    err_set(e, actions ? ERR_PermissionAlreadyExistsException : ERR_ResourceNotFoundException,
            actions ? "The permission for %s%s%s already exists on %s"
                    : "There is no permission for %s%s%s on %s",
            principal, source_account ? " from account " : "",
            source_account ? source_account : "", arn);
  if (rc == 0 &&
      audit_event(c, e, actions ? AUDIT_CreatePermission : AUDIT_DeletePermission, arn, NULL,
                  "principal=%s source_account=%s actions=%s", principal,
                  source_account ? source_account : "-", actions ? actions : "-") == 0 &&
      store_commit(c->store, e) == 0)
    ret = 0;
  if (ret < 0)
    store_rollback(c->store);
  store_ca_clear(&row);
  return ret;
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
