#include "store/store_key.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_priv.h"

int store_key_destroy_claim(store_t *s, char **label, char **arn, err_t *e) {
  PGresult *r = store_exec(s,
                           "DELETE FROM key_destroy_pending WHERE key_label = (SELECT key_label"
                           " FROM key_destroy_pending ORDER BY created_at LIMIT 1"
                           " FOR UPDATE SKIP LOCKED) RETURNING key_label, ca_arn",
                           0, NULL, e);
  int rc = 0;
  *label = *arn = NULL;
  if (!r)
    return -1;
  if (PQntuples(r) == 1) {
    *label = strdup(PQgetvalue(r, 0, 0));
    *arn = strdup(PQgetvalue(r, 0, 1));
    rc = *label && *arn ? 1 : -1;
    if (rc < 0)
      err_set(e, ERR_InternalFailure, "out of memory");
  }
  PQclear(r);
  return rc;
}
