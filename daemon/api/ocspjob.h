#ifndef PCAD_OCSPJOB_H
#define PCAD_OCSPJOB_H
/* An OCSP request from the publish listener, answered on a worker (the
 * database and the token), the reply sent back on the loop thread. */
#include <stddef.h>

#include "api/request.h"
#include "base/cfg.h"
#include "base/workq.h"

typedef struct p11 p11_t; /* pkcs11/p11.h */

typedef struct {
  const cfg_t *cfg;
  workq_t *q;
  p11_t *p11;
} ocspjob_env_t;

/* Takes der (malloc'ed) and answers req with an application/ocsp-response
 * (503 when the workers are saturated). */
void ocspjob_submit(const ocspjob_env_t *env, request_t *req, unsigned char *der, size_t len);

#endif
