#ifndef PCAD_HEALTH_H
#define PCAD_HEALTH_H
/* Readiness: a thread that asks PostgreSQL and the token once a second, so
 * that /readyz answers at once without blocking the loop; it also reads
 * the CAs' notAfter every 30 s for /metrics (base/metrics.h). The token's
 * check is p11_check (pkcs11/p11.h): a real signature with the probe key,
 * or, while the signer is quarantined, a rebuild once its backoff has
 * passed. Each change of the signer's health is one audit event
 * (SignerUnhealthy, SignerRecovered). */
#include <stddef.h>

#include "base/cfg.h"

typedef struct p11 p11_t; /* pkcs11/p11.h */

typedef struct health health_t;

health_t *health_start(const cfg_t *cfg, p11_t *p11);
void health_stop(health_t *h);
/* What the last check found, for /metrics: 1 up, 0 down. */
void health_gauges(health_t *h, int *db_up, int *token_up);
/* 1 when ready; otherwise 0 and the reason in why. */
int health_ready(health_t *h, char *why, size_t n);

#endif
