#ifndef PCAD_S3_H
#define PCAD_S3_H
/* A client for an S3-compatible endpoint: PutObject, path-style, signed
 * by libcurl (CURLOPT_AWS_SIGV4) with the payload's SHA-256. */
#include <stddef.h>

#include "base/cfg.h"
#include "base/err.h"

typedef struct s3 s3_t;

/* From [s3]; *out is NULL when no endpoint is configured. -1 when the
 * secret file cannot be read. */
MUST_CHECK
int s3_new(const cfg_t *cfg, s3_t **out, err_t *e);
void s3_free(s3_t *s);
/* PutObject of the len bytes of fd (from its start) whose SHA-256 is
 * sha256_hex; acl NULL for none (x-amz-acl). S3's error code and message
 * on failure: InvalidArgsException for a 4xx (e.g. NoSuchBucket),
 * ServiceUnavailable when the endpoint cannot be reached or answers 5xx. */
MUST_CHECK
int s3_put(const s3_t *s, const char *bucket, const char *key, int fd, size_t len,
           const char *sha256_hex, const char *content_type, const char *acl, err_t *e);

#endif
