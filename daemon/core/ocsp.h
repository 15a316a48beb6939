#ifndef PCAD_OCSP_H
#define PCAD_OCSP_H
/* The OCSP responder (RFC 6960, RFC 5019 profile): answers from the
 * database, so a revocation is answered as revoked as soon as
 * RevokeCertificate has returned, signed in the token by the CA key.
 * A response: thisUpdate now, nextUpdate an hour later, the nonce echoed,
 * ResponderID by name and no certificates (OCSP_NOCERTS, core/sigalg.c).
 * Only a request for one known serial without a nonce is answered from
 * the cache (core/ocspcache.h); every signature is counted for the audit
 * trail (core/ocspcount.h). */
#include <stddef.h>

#include "core/ctx.h"

struct store_ca;  /* store/store_ca.h: a CA row */
struct ocspcount; /* core/ocspcount.h */

/* The responder's state, shared by the workers: the CAs it answers for
 * (read again when a request names an unknown issuer, at most once a
 * second, or when a CA's certificate changed) and the cache of signed
 * responses (core/ocspcache.h). */
typedef struct ocsp ocsp_t;

ocsp_t *ocsp_new(long cache_slots, long cache_age_s);
void ocsp_free(ocsp_t *o);

/* Replaces the issuers it answers for with the CAs of rows (as
 * store_ca_ocsp selects them; a row that cannot be read is left out with
 * a log line): what every reload does, and how the fuzz target sets them.
 * 0, or -1 out of memory. */
int ocsp_install(ocsp_t *o, const ctx_t *c, const struct store_ca *rows, int n);

/* The DER OCSPResponse to a DER OCSPRequest, always: malformedRequest for
 * one that does not parse, that asks about more than 16 CertIDs or whose
 * nonce is not 1 to 32 octets (RFC 8954); unauthorized for an issuer pcad
 * does not answer for (no such CA, or its OCSP not enabled) or for CertIDs
 * of two issuers; tryLater when the database or the token is away. One
 * database round trip whatever the number of CertIDs. *out is OPENSSL_malloc'ed; -1 only when
 * no response can be encoded at all. */
int ocsp_respond(ocsp_t *o, const ctx_t *c, const unsigned char *der, size_t len,
                 unsigned char **out, int *out_len);

/* The count of responses signed per CA (core/ocspcount.h), for the thread
 * that writes it to the audit trail; NULL for o NULL. */
struct ocspcount *ocsp_count(ocsp_t *o);

#endif
