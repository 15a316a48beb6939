#ifndef PCAD_PUBLISH_H
#define PCAD_PUBLISH_H
/* The plain-HTTP publish listener: CRLs from the bucket directory, and the
 * OCSP responder (POST application/ocsp-request at /, or GET /<url-encoded
 * base64 request>), both answered on the workers. */
#include "api/pubjob.h"
#include "net/httpd.h"

/* The largest request body the publish listener takes (above it: 413, the
 * connection closed): an OCSP request asks about 16 CertIDs at most (a
 * CertID with SHA-512 hashes is under 200 bytes), so a few KiB suffice,
 * with room for a signed request's certificates. */
#define PUBLISH_MAX_BODY (64 * 1024)

/* arg: a pubjob_env_t (its cfg gives the bucket root). */
void publish_handle(void *arg, request_t *req);
/* The DER of GET /<url-encoded base64 OCSPRequest> (malloc'ed), or NULL. */
unsigned char *publish_ocsp_der(const char *path, size_t *len);

#endif
