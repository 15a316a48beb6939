#ifndef PCAD_REPORTER_H
#define PCAD_REPORTER_H
/* The audit report writer: once a second, every CREATING audit report
 * that no other pcad instance is writing is built (core/report.c) into
 * the bucket store. A thread of its own, so a long report never delays a
 * CRL. */
#include "publish/bucket.h"
#include "base/cfg.h"

typedef struct reporter reporter_t;

reporter_t *reporter_start(const cfg_t *cfg, const bucket_t *bucket);
void reporter_stop(reporter_t *r);

#endif
