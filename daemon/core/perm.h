#ifndef PCAD_PERM_H
#define PCAD_PERM_H
/* Permissions for the ACM service principal: CreatePermission,
 * ListPermissions, DeletePermission. */
#include "base/err.h"
#include "core/ctx.h"

/* One permission as ListPermissions shows it. */
typedef struct {
  char *principal, *source_account; /* source_account NULL: none */
  char *actions;                    /* comma-separated ActionType names */
  char *created_at;                 /* epoch seconds with a fraction */
} perm_info_t;

/* actions: n ActionType names (the model allows only those three). */
MUST_CHECK
int perm_create(const ctx_t *c, const char *arn, const char *principal,
                const char *source_account, const char *const *actions, int n, err_t *e);
MUST_CHECK
int perm_delete(const ctx_t *c, const char *arn, const char *principal,
                const char *source_account, err_t *e);
MUST_CHECK
int perm_list(const ctx_t *c, const char *arn, const char *cursor, int limit, perm_info_t **out,
              int *n, char **next, err_t *e);
void perm_info_free(perm_info_t *v, int n);
/* The resource policy a permission amounts to, as ListPermissions gives
 * it (malloc'ed JSON text). */
char *perm_policy(const char *arn, const perm_info_t *p);

#endif
