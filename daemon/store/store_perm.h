#ifndef PCAD_STORE_PERM_H
#define PCAD_STORE_PERM_H
/* The ca_permissions table. */
#include "store/store.h"

typedef struct {
  char *principal, *source_account; /* source_account NULL: none */
  char *actions;                    /* comma-separated */
  char *created_at;                 /* epoch seconds with a fraction */
} store_perm_t;

/* Inside the caller's transaction: 0 added, 1 when (principal,
 * source_account) has one already. actions: comma-separated. */
MUST_CHECK
int store_perm_insert(store_t *s, const char *ca_id, const char *principal,
                      const char *source_account, const char *actions, err_t *e);
/* 0 removed, 1 when there was none. */
MUST_CHECK
int store_perm_delete(store_t *s, const char *ca_id, const char *principal,
                      const char *source_account, err_t *e);
/* In creation order after cursor (NULL: from the start), at most limit;
 * *next for the rest or NULL. */
MUST_CHECK
int store_perm_list(store_t *s, const char *ca_id, const char *cursor, int limit,
                    store_perm_t **out, int *n, char **next, err_t *e);
void store_perm_free(store_perm_t *v, int n);

#endif
