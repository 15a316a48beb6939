#include "base/bucket.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

int bucket_write(const char *root, const char *target, const void *data, size_t len, err_t *e) {
  char path[1024], tmp[1100];
  const char *p = data;
  int fd;
  if (!bucket_path_ok(target) ||
      snprintf(path, sizeof path, "%s/%s", root, target) >= (int)sizeof path)
    return err_set(e, ERR_InvalidArgsException, "bad object name %s", target);
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  if (bucket_dirs(path) < 0 ||
      (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
    return err_set(e, ERR_InternalFailure, "%s: %s", path, strerror(errno));
  for (size_t done = 0; done < len;) {
    ssize_t w = write(fd, p + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      err_set(e, ERR_InternalFailure, "%s: %s", tmp, w < 0 ? strerror(errno) : "short write");
      close(fd);
      unlink(tmp);
      return -1;
    }
    done += (size_t)w;
  }
  if ((fsync(fd) < 0) | (close(fd) < 0) || rename(tmp, path) < 0 || bucket_sync_dir(path) < 0) {
    err_set(e, ERR_InternalFailure, "%s: %s", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
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
