#ifndef PCAD_SIGV4_H
#define PCAD_SIGV4_H
/* AWS Signature Version 4 verification: a pure codec (no I/O).
 * sigv4_verify holds a request to: content-type, host, x-amz-date and
 * x-amz-target signed (else the operation could be swapped on replay); the
 * scope <date>/<region>/acm-pca/aws4_request; x-amz-date within
 * max_clock_skew of now; the body's SHA-256 (and X-Amz-Content-Sha256,
 * when present, equal to it); no session token; the signature compared in
 * constant time, an unknown key costing the same work as a known one. */
#include <stddef.h>
#include <time.h>

#include "base/buf.h"
#include "base/err.h"

typedef struct {
  const char *name; /* as received, any case */
  const char *value;
} sigv4_header_t;

typedef struct {
  const char *method;
  const char *path;  /* raw, possibly percent-encoded */
  const char *query; /* raw, NULL or "" for none */
  const sigv4_header_t *headers;
  size_t nheaders;
  const unsigned char *body;
  size_t body_len;
} sigv4_request_t;

typedef struct {
  char access_key[129];
  char date[9];
  char region[64];
  char service[64];
  char signed_headers[1024];
  char signature[65];
} sigv4_auth_t;

/* Looks up an access key: 0 with secret and account set, or -1 when unknown. */
typedef int (*sigv4_lookup_fn)(void *ctx, const char *akid, const char **secret,
                               const char **account);

typedef struct {
  const char *region;
  const char *service;
  time_t now;
  long max_skew; /* seconds */
  sigv4_lookup_fn lookup;
  void *lookup_ctx;
} sigv4_policy_t;

/* What a verified request is bound to. */
typedef struct {
  char access_key[129];
  char account[13];
} sigv4_principal_t;

MUST_CHECK
int sigv4_parse_authorization(const char *hdr, sigv4_auth_t *a, err_t *e);
/* The canonical request for the given SignedHeaders list and payload hash. */
int sigv4_canonical_request(const sigv4_request_t *r, const char *signed_headers,
                            const char *payload_hash, buf_t *out);
int sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq,
                         buf_t *out);
/* Hex signature of sts with the key derived from secret/date/region/service. */
int sigv4_signature(const char *secret, const char *date, const char *region,
                    const char *service, const char *sts, char out[65]);
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);
/* Full verification of r; on success fills who. Errors are the AWS auth errors. */
MUST_CHECK
int sigv4_verify(const sigv4_request_t *r, const sigv4_policy_t *pol, sigv4_principal_t *who,
                 err_t *e);

#endif
