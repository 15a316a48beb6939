#ifndef PCAD_OCSPCACHE_H
#define PCAD_OCSPCACHE_H
/* Signed OCSP responses kept for reuse: a fixed number of slots (direct
 * mapped by the request's CertID), each holding one response with what it
 * said. A response is handed out again only for the same CertID, while
 * the database still says what the response says (the same status,
 * revocation time and reason, the same CA certificate) and while it is
 * younger than max_age: so a revocation, on any instance, is answered
 * from the database at once. Thread-safe. */
#include <stddef.h>

/* What a response says; compared whole. */
typedef struct {
  int status;             /* V_OCSP_CERTSTATUS_* */
  long long revoked_at;   /* -1 when not revoked */
  int reason;             /* -1 when none */
  char ca_sha256[65];     /* the CA certificate it was signed with */
} ocspcache_says_t;

typedef struct ocspcache ocspcache_t;

/* slots: rounded up to a power of two; 0 makes a cache that keeps nothing. */
ocspcache_t *ocspcache_new(long slots, long max_age_s);
void ocspcache_free(ocspcache_t *c);
/* A copy (OPENSSL_malloc'ed) of the response kept for key that says what
 * says says, or NULL. */
unsigned char *ocspcache_get(ocspcache_t *c, const unsigned char *key, size_t klen,
                             const ocspcache_says_t *says, int *len);
/* Keeps a copy of der for key (replacing what its slot held). */
void ocspcache_put(ocspcache_t *c, const unsigned char *key, size_t klen,
                   const ocspcache_says_t *says, const unsigned char *der, int len);

#endif
