#ifndef PCAD_PUBLISH_H
#define PCAD_PUBLISH_H
/* The plain-HTTP publish listener: CRLs from the bucket directory, and the
 * OCSP responder (POST application/ocsp-request at /, or GET /<url-encoded
 * base64 request>), both answered on the workers. */
#include "api/pubjob.h"
#include "net/httpd.h"

/* arg: a pubjob_env_t (its cfg gives the bucket root). */
void publish_handle(void *arg, request_t *req);
/* The DER of GET /<url-encoded base64 OCSPRequest> (malloc'ed), or NULL. */
unsigned char *publish_ocsp_der(const char *path, size_t *len);

#endif
