#ifndef PCAD_PUBLISH_H
#define PCAD_PUBLISH_H
/* The plain-HTTP publish listener (CRLs and OCSP, which arrive with the
 * revocation issue). */
#include "net/httpd.h"

void publish_handle(void *arg, request_t *req);

#endif
