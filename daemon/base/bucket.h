#ifndef PCAD_BUCKET_H
#define PCAD_BUCKET_H
/* The directory bucket store: object <bucket>/<key> at
 * <root>/<bucket>/<key>. A write goes to a temporary file, is fsynced and
 * renamed over the object, and the directory fsynced: a reader sees the old
 * object or the new one, and a full disk leaves the old one whole. */
#include <stddef.h>

#include "base/err.h"

/* target: "<bucket>/<key>"; missing directories are made (the bucket is
 * created on first write). */
int bucket_write(const char *root, const char *target, const void *data, size_t len, err_t *e);
/* The object key (a checked path) of whichever bucket under root holds
 * it, malloc'ed with its length, or NULL. At most 64 MiB. */
void *bucket_read(const char *root, const char *key, size_t *len);
/* 1 when a path below root is safe to open: [A-Za-z0-9._/-], no "..", no
 * "//", not absolute. */
int bucket_path_ok(const char *path);

#endif
