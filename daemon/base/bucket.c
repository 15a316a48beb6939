#include "base/bucket.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
  char path[1024], tmp[1100];
  int fd;
};

bucket_file_t *bucket_open(const char *root, const char *target, int autocreate, err_t *e) {
  bucket_file_t *f;
  char *slash;
  struct stat st;
  if (!bucket_path_ok(target) || !(slash = strchr(target, '/')) || !slash[1])
    return err_set(e, ERR_InvalidArgsException, "bad object name %s", target), NULL;
  if (!(f = calloc(1, sizeof *f)))
    return err_set(e, ERR_InternalFailure, "out of memory"), NULL;
  if (snprintf(f->path, sizeof f->path, "%s/%.*s", root, (int)(slash - target), target) >=
          (int)sizeof f->path ||
      (!autocreate && stat(f->path, &st) < 0)) {
    err_set(e, ERR_ResourceNotFoundException, "The bucket %.*s does not exist",
            (int)(slash - target), target);
    free(f);
    return NULL;
  }
  snprintf(f->path, sizeof f->path, "%s/%s", root, target);
  snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%d.%u", f->path, (int)getpid(),
           atomic_fetch_add(&bucket_seq, 1));
  if (bucket_dirs(f->path) < 0 ||
      (f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
    err_set(e, ERR_InternalFailure, "%s: %s", f->path, strerror(errno));
    free(f);
    return NULL;
  }
  return f;
}

int bucket_put(bucket_file_t *f, const void *data, size_t len, err_t *e) {
  const char *p = data;
  for (size_t done = 0; done < len;) {
    ssize_t w = write(f->fd, p + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return err_set(e, ERR_InternalFailure, "%s: %s", f->tmp,
                     w < 0 ? strerror(errno) : "short write");
    done += (size_t)w;
  }
  return 0;
}

int bucket_close(bucket_file_t *f, int commit, err_t *e) {
  int rc = 0;
  if (!f)
    return 0;
  if (commit && fsync(f->fd) < 0)
    rc = err_set(e, ERR_InternalFailure, "%s: %s", f->tmp, strerror(errno));
  if (close(f->fd) < 0 && commit && rc == 0)
    rc = err_set(e, ERR_InternalFailure, "%s: %s", f->tmp, strerror(errno));
  if (commit && rc == 0 && (rename(f->tmp, f->path) < 0 || bucket_sync_dir(f->path) < 0))
    rc = err_set(e, ERR_InternalFailure, "%s: %s", f->path, strerror(errno));
  if (!commit || rc < 0)
    unlink(f->tmp);
  free(f);
  return rc;
}

int bucket_write(const char *root, const char *target, int autocreate, const void *data,
                 size_t len, err_t *e) {
  bucket_file_t *f = bucket_open(root, target, autocreate, e);
  if (!f)
    return -1;
  if (bucket_put(f, data, len, e) < 0) {
    bucket_close(f, 0, e);
    return -1;
  }
  return bucket_close(f, 1, e);
}

#define BUCKET_MAX_OBJECT (64L << 20)

void *bucket_read(const char *root, const char *key, size_t *len) {
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
    if (data)
      *len = (size_t)n;
    fclose(f);
  }
  if (d)
    closedir(d);
  return data;
}
