#include "net/publish.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bucket.h"
#include "base/cfg.h"

#define PUBLISH_MAX_OBJECT (64L << 20)

/* The object at <root>/<any bucket>/<key>: malloc'ed, or NULL. */
static char *publish_find(const char *root, const char *key, size_t *len) {
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
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < PUBLISH_MAX_OBJECT &&
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

/* GET /<CustomPath or crl>/<CA_ID>.crl: the CRL as the bucket holds it. */
void publish_handle(void *arg, request_t *req) {
  static const char none[] = "no such object\n";
  const cfg_t *cfg = arg;
  const char *key = req->path[0] == '/' ? req->path + 1 : req->path;
  size_t n = strlen(key), len = 0;
  char *data = NULL;
  if ((strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) && n > 4 &&
      strcmp(key + n - 4, ".crl") == 0 && bucket_path_ok(key))
    data = publish_find(cfg->bucket_root, key, &len);
  if (!data) {
    request_reply(req, 404, "text/plain", NULL, none, sizeof none - 1);
    return;
  }
  request_reply(req, 200, "application/pkix-crl", NULL, data, len);
  free(data);
}
