/* Server secrets (server_secrets): keys pcad derives from, never logged. */
#include "store/store.h"

#include <string.h>

#include "store/store_priv.h"

int store_secret(store_t *s, const char *name, unsigned char out[32], err_t *e) {
  const char *p[1] = {name};
  PGresult *r = store_exec(s, "SELECT value FROM server_secrets WHERE name = $1", 1, p, e);
  size_t n = 0;
  unsigned char *v;
  if (!r)
    return -1;
  if (PQntuples(r) != 1) {
    PQclear(r);
    return err_set(e, ERR_InternalFailure, "server secret %s is missing", name);
  }
  v = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &n);
  PQclear(r);
  if (!v || n < 32) {
    PQfreemem(v);
    return err_set(e, ERR_InternalFailure, "server secret %s is malformed", name);
  }
  memcpy(out, v, 32);
  memset(v, 0, n);
  PQfreemem(v);
  return 0;
}
