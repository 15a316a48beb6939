#ifndef PCAD_PUBLISHER_H
#define PCAD_PUBLISHER_H
/* The publishing schedule: once a second, the CRLs that are due are made
 * (core/crl.c) and the newest CRL of every CA is written into its bucket
 * when this instance has not written it yet (after a failed write: again
 * with a backoff up to a minute, the previous object left whole). */
#include "publish/bucket.h"
#include "base/cfg.h"

typedef struct publisher publisher_t;
typedef struct p11 p11_t; /* pkcs11/p11.h */

publisher_t *publisher_start(const cfg_t *cfg, const bucket_t *bucket, p11_t *p11);
void publisher_stop(publisher_t *p);

#endif
