#include "publish/bucket.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int bucket_path_ok(const char *path) {
  if (!*path || *path == '/' || strstr(path, "..") || strstr(path, "//"))
    return 0;
  for (const char *p = path; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '.' || *p == '_' || *p == '/' || *p == '-'))
      return 0;
  return 1;
}

/* mkdir -p of every directory above path's last component. */
static int bucket_dirs(char *path) {
  for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = '\0';
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
      *p = '/';
      return -1;
    }
    *p = '/';
  }
  return 0;
}

static int bucket_sync_dir(const char *file) {
  char dir[1024];
  char *slash;
  int fd, rc;
  snprintf(dir, sizeof dir, "%s", file);
  slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  rc = fsync(fd);
  close(fd);
  return rc;
}

static atomic_uint bucket_seq;

struct bucket_file {
  const bucket_t *b;
  char path[1024], tmp[1100];
  char target[512], content_type[64], acl[40];
  size_t len;
  EVP_MD_CTX *md; /* the SHA-256 S3 is told */
  int fd;
};

static void bucket_file_free(bucket_file_t *f) {
  EVP_MD_CTX_free(f->md);
  free(f);
}

/* f's names; -1 with e set when the target or its bucket will not do. */
static int bucket_names(bucket_file_t *f, const char *target, err_t *e) {
  const char *slash = strchr(target, '/');
  struct stat st;
  if (!bucket_path_ok(target) || !slash || !slash[1] ||
      snprintf(f->target, sizeof f->target, "%s", target) >= (int)sizeof f->target)
    return err_set(e, ERR_InvalidArgsException, "bad object name %s", target);
  if (snprintf(f->path, sizeof f->path, "%s/%.*s", f->b->root, (int)(slash - target), target) >=
          (int)sizeof f->path ||
      (!f->b->autocreate && !f->b->s3 && stat(f->path, &st) < 0))
    return err_set(e, ERR_ResourceNotFoundException, "The bucket %.*s does not exist",
                   (int)(slash - target), target);
  snprintf(f->path, sizeof f->path, "%s/%s", f->b->root, target);
  snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%d.%u", f->path, (int)getpid(),
           atomic_fetch_add(&bucket_seq, 1));
  return 0;
}

bucket_file_t *bucket_open(const bucket_t *b, const char *target, const char *content_type,
                           const char *acl, err_t *e) {
  bucket_file_t *f = calloc(1, sizeof *f);
  if (!f)
    return err_set(e, ERR_InternalFailure, "out of memory"), NULL;
  f->b = b;
  f->fd = -1;
  snprintf(f->content_type, sizeof f->content_type, "%s", content_type);
  snprintf(f->acl, sizeof f->acl, "%s", acl ? acl : "");
  if (bucket_names(f, target, e) < 0) {
    bucket_file_free(f);
    return NULL;
  }
  if ((b->s3 && (!(f->md = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(f->md, EVP_sha256(), NULL))) ||
      bucket_dirs(f->path) < 0 ||
      (f->fd = open(f->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
    err_set(e, ERR_InternalFailure, "%s: %s", f->path, strerror(errno));
    bucket_file_free(f);
    return NULL;
  }
  return f;
}

int bucket_put(bucket_file_t *f, const void *data, size_t len, err_t *e) {
  const char *p = data;
  if (f->md && !EVP_DigestUpdate(f->md, data, len))
    return err_set(e, ERR_InternalFailure, "cannot hash %s", f->tmp);
  for (size_t done = 0; done < len;) {
    ssize_t w = write(f->fd, p + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return err_set(e, ERR_InternalFailure, "%s: %s", f->tmp,
                     w < 0 ? strerror(errno) : "short write");
    done += (size_t)w;
  }
  f->len += len;
  return 0;
}

/* The written file to S3, when there is one: the object counts as written
 * only once S3 has it. */
static int bucket_upload(bucket_file_t *f, err_t *e) {
  unsigned char md[32];
  char hex[65];
  const char *slash = strchr(f->target, '/');
  char bucket[256];
  if (!f->b->s3)
    return 0;
  if (!EVP_DigestFinal_ex(f->md, md, NULL))
    return err_set(e, ERR_InternalFailure, "cannot hash %s", f->tmp);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  snprintf(bucket, sizeof bucket, "%.*s", (int)(slash - f->target), f->target);
  return s3_put(f->b->s3, bucket, slash + 1, f->fd, f->len, hex, f->content_type,
                f->acl[0] ? f->acl : NULL, e);
}

int bucket_close(bucket_file_t *f, int commit, err_t *e) {
  int rc = 0;
  if (!f)
    return 0;
  if (commit && fsync(f->fd) < 0)
    rc = err_set(e, ERR_InternalFailure, "%s: %s", f->tmp, strerror(errno));
  if (commit && rc == 0)
    rc = bucket_upload(f, e);
  if (close(f->fd) < 0 && commit && rc == 0)
    rc = err_set(e, ERR_InternalFailure, "%s: %s", f->tmp, strerror(errno));
  if (commit && rc == 0 && (rename(f->tmp, f->path) < 0 || bucket_sync_dir(f->path) < 0))
    rc = err_set(e, ERR_InternalFailure, "%s: %s", f->path, strerror(errno));
  if (!commit || rc < 0)
    unlink(f->tmp);
  bucket_file_free(f);
  return rc;
}

int bucket_write(const bucket_t *b, const char *target, const char *content_type,
                 const char *acl, const void *data, size_t len, err_t *e) {
  bucket_file_t *f = bucket_open(b, target, content_type, acl, e);
  if (!f)
    return -1;
  if (bucket_put(f, data, len, e) < 0) {
    err_ignore(bucket_close(f, 0, e)); /* no commit: nothing can fail */
    return -1;
  }
  return bucket_close(f, 1, e);
}

#define BUCKET_MAX_OBJECT (64L << 20)

void *bucket_read(const char *root, const char *key, size_t *len, long long *mtime) {
  DIR *d = opendir(root);
  struct dirent *de;
  char *data = NULL;
  while (d && !data && (de = readdir(d)) != NULL) {
    char path[1024];
    FILE *f;
    long n;
    if (de->d_name[0] == '.' ||
        snprintf(path, sizeof path, "%s/%s/%s", root, de->d_name, key) >= (int)sizeof path ||
        !(f = fopen(path, "rb")))
      continue;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < BUCKET_MAX_OBJECT &&
        fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) != NULL &&
        fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
    }
    if (data) {
      struct stat st;
      *len = (size_t)n;
      *mtime = fstat(fileno(f), &st) == 0 ? (long long)st.st_mtime : 0;
    }
    fclose(f);
  }
  if (d)
    closedir(d);
  return data;
}
