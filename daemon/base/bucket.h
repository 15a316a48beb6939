#ifndef PCAD_BUCKET_H
#define PCAD_BUCKET_H
/* The directory bucket store: object <bucket>/<key> at
 * <root>/<bucket>/<key>. A write goes to a temporary file, is fsynced and
 * renamed over the object, and the directory fsynced: a reader sees the old
 * object or the new one, and a full disk leaves the old one whole. */
#include <stddef.h>

#include "base/err.h"

/* A new object being written: bucket_open, bucket_put as often as needed,
 * then bucket_close(commit 1) puts it in place, or (commit 0) drops it
 * and leaves the old object as it was. target: "<bucket>/<key>"; missing
 * directories below the bucket are made, and the bucket itself when
 * autocreate is set (else ResourceNotFoundException). */
typedef struct bucket_file bucket_file_t;

bucket_file_t *bucket_open(const char *root, const char *target, int autocreate, err_t *e);
int bucket_put(bucket_file_t *f, const void *data, size_t len, err_t *e);
/* Frees f (NULL is fine); with commit 0 always returns 0. */
int bucket_close(bucket_file_t *f, int commit, err_t *e);
/* The three in one, for an object held in memory. */
int bucket_write(const char *root, const char *target, int autocreate, const void *data,
                 size_t len, err_t *e);
/* The object key (a checked path) of whichever bucket under root holds
 * it, malloc'ed with its length, or NULL. At most 64 MiB. */
void *bucket_read(const char *root, const char *key, size_t *len);
/* 1 when a path below root is safe to open: [A-Za-z0-9._/-], no "..", no
 * "//", not absolute. */
int bucket_path_ok(const char *path);

#endif
