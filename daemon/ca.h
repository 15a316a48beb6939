#ifndef PCAD_CA_H
#define PCAD_CA_H
/* Certificate authorities: the domain rules above the store. */
#include <jansson.h>

#include "err.h"
#include "store.h"

/* The account's CAs as API CertificateAuthority objects, in creation order
 * after cursor (NULL: from the start). *next: cursor for the rest or NULL. */
int ca_list(store_t *s, const char *account, const char *cursor, int limit, json_t **cas,
            char **next, err_t *e);

#endif
