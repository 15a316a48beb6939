#ifndef PCAD_STORE_CA_H
#define PCAD_STORE_CA_H
/* The certificate_authorities table. */
#include "store.h"

/* One CA row as text (NULL where the column is NULL). Timestamps are epoch
 * seconds with a fraction. */
typedef struct {
  char *arn, *account_id, *type, *status, *failure_reason, *usage_mode;
  char *key_storage_security_standard, *ca_config, *revocation_config, *serial;
  char *created_at, *last_state_change_at, *not_before, *not_after, *restorable_until;
} store_ca_t;

/* The account's CAs in creation order after cursor (NULL: from the start),
 * at most limit. *next is a cursor for the rest, or NULL when none is left. */
int store_ca_list(store_t *s, const char *account, const char *cursor, int limit,
                  store_ca_t **rows, int *nrows, char **next, err_t *e);
void store_ca_free(store_ca_t *rows, int n);

#endif
