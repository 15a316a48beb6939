#ifndef PCAD_CACACHE_H
#define PCAD_CACACHE_H
/* The CA cache, inside core/ only; safe from any thread.
 *
 * Rows: IssueCertificate reads its CA's row from here when it was read
 * less than CACACHE_ROW_TTL_MS ago for the same account, which saves a
 * query per call. Such a row can be that stale, so: T1
 * checks under a lock that the CA's status, certificate and revocation
 * configuration are still those the certificate was built from (the rest
 * of the row does not change once a CA has a key); an operation that fails
 * on a cached row runs again on a fresh one; and a change made here (the
 * CA read FOR UPDATE) drops the row, which only saves those retries: a
 * concurrent miss may put the old row back until the change commits.
 *
 * Certificates: parsed once (d2i_X509 costs OpenSSL 3's decoders on every
 * call), keyed by the CA id and the DER they were parsed from; other DER
 * (a renewed or imported certificate) is parsed afresh. */
#include <openssl/x509.h>
#include <stddef.h>

#include "store/store_ca.h"

#define CACACHE_ROW_TTL_MS 1000

/* A copy of arn's row (store_ca_clear it) when account read it less than
 * CACACHE_ROW_TTL_MS ago: 0, else -1. (core/ca_row.c's ca_row_cached is
 * the caller.) */
int cacache_row_get(const char *arn, const char *account, store_ca_t *out);
/* Keeps a copy of row, read from the database at read_ms (clock_now_ms). */
void cacache_row_put(const char *arn, const char *account, long long read_ms,
                     const store_ca_t *row);
/* Forgets the row of arn (its CA is changing, or was found changed). */
void cacache_forget(const char *arn);

/* The certificate of der (a reference: X509_free when done), or NULL when
 * der does not parse. */
X509 *cacache_get(const char *ca_id, const unsigned char *der, size_t len);
/* Drops every entry (at exit, so that leak checkers stay quiet). */
void cacache_flush(void);

#endif
