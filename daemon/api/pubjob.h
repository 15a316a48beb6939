#ifndef PCAD_PUBJOB_H
#define PCAD_PUBJOB_H
/* What the publish listener serves, done on a worker (the database, the
 * token, the disk), the reply sent back on the loop thread: OCSP answers
 * and CRL objects. The workers are the publish listener's own ([publish]
 * worker_threads, queue_max), each with a connection outside the group
 * commit, so OCSP and CRL requests neither wait for nor hold an API
 * worker. A CRL is sent as application/pkix-crl with ETag, Last-Modified
 * and a Cache-Control max-age up to its nextUpdate (crl_next_update), 304
 * for a matching If-None-Match. */
#include <stddef.h>

#include "api/request.h"
#include "base/cfg.h"
#include "base/workq.h"

typedef struct p11 p11_t;   /* pkcs11/p11.h */
typedef struct ocsp ocsp_t; /* core/ocsp.h */

typedef struct {
  const cfg_t *cfg;
  workq_t *q;
  p11_t *p11;
  ocsp_t *ocsp;
} pubjob_env_t;

/* Takes der (malloc'ed, an OCSPRequest) and answers req with an
 * application/ocsp-response. */
void pubjob_ocsp(const pubjob_env_t *env, request_t *req, unsigned char *der, size_t len);
/* Answers req with the object key (a checked path, "<CustomPath or
 * crl>/<CA_ID>.crl") of whichever bucket holds it, or 404. */
void pubjob_crl(const pubjob_env_t *env, request_t *req, const char *key);
/* Both answer 503 when the workers are saturated. */

#endif
