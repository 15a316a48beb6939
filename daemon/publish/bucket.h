#ifndef PCAD_BUCKET_H
#define PCAD_BUCKET_H
/* The directory bucket store: object <bucket>/<key> at
 * <root>/<bucket>/<key>. A write goes to a temporary file, is fsynced and
 * renamed over the object, and the directory fsynced: a reader sees the old
 * object or the new one, and a full disk leaves the old one whole. */
#include <stddef.h>

#include "base/err.h"
#include "publish/s3.h"

/* Where objects go: the directory root, whether a missing bucket there is
 * made (bucket_autocreate), and an S3 endpoint every object is also PUT
 * to (NULL: none; then S3's answer decides, and the directory is only
 * this instance's copy, always made). */
typedef struct {
  const char *root;
  int autocreate;
  const s3_t *s3;
} bucket_t;

/* A new object being written: bucket_open, bucket_put as often as needed,
 * then bucket_close(commit 1) puts it in place (in S3 first, when there is
 * one), or (commit 0) drops it and leaves the old object as it was.
 * target: "<bucket>/<key>"; missing directories below the bucket are
 * made, and the bucket itself when autocreate is set (else
 * ResourceNotFoundException). acl: S3's x-amz-acl, or NULL. */
typedef struct bucket_file bucket_file_t;

MUST_CHECK
bucket_file_t *bucket_open(const bucket_t *b, const char *target, const char *content_type,
                           const char *acl, err_t *e);
MUST_CHECK
int bucket_put(bucket_file_t *f, const void *data, size_t len, err_t *e);
/* Frees f (NULL is fine); with commit 0 always returns 0. */
MUST_CHECK
int bucket_close(bucket_file_t *f, int commit, err_t *e);
/* The three in one, for an object held in memory. */
MUST_CHECK
int bucket_write(const bucket_t *b, const char *target, const char *content_type,
                 const char *acl, const void *data, size_t len, err_t *e);
/* The object key (a checked path) of whichever bucket under root holds
 * it, malloc'ed with its length and when it was written (epoch seconds),
 * or NULL. At most 64 MiB. */
void *bucket_read(const char *root, const char *key, size_t *len, long long *mtime);
/* 1 when a path below root is safe to open: [A-Za-z0-9._/-], no "..", no
 * "//", not absolute. */
int bucket_path_ok(const char *path);

#endif
