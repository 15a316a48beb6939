#include "net/publish.h"

#include <dirent.h>
#include <event2/http.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bucket.h"

#define PUBLISH_MAX_OBJECT (64L << 20)
#define PUBLISH_MAX_OCSP_GET 4096

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

/* The DER of GET /<url-encoded base64 OCSPRequest> (malloc'ed), or NULL. */
static unsigned char *publish_ocsp_get(const char *path, size_t *len) {
  size_t n = 0;
  char *b64 = strlen(path) < PUBLISH_MAX_OCSP_GET ? evhttp_uridecode(path, 0, &n) : NULL;
  unsigned char *der = b64 ? malloc(n / 4 * 3 + 3) : NULL;
  int got = der && n % 4 == 0 ? EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n) : -1;
  if (got > 0) /* EVP_DecodeBlock counts the padding as bytes */
    got -= (n > 0 && b64[n - 1] == '=') + (n > 1 && b64[n - 2] == '=');
  free(b64);
  if (got <= 0) {
    free(der);
    return NULL;
  }
  *len = (size_t)got;
  return der;
}

/* An OCSP request: the body of a POST, or the path of a GET. */
static void publish_ocsp(const ocspjob_env_t *env, request_t *req, const char *key) {
  static const char bad[] = "not an OCSP request\n", none[] = "no such object\n";
  unsigned char *der = NULL;
  size_t len = 0;
  if (strcmp(req->method, "POST") == 0) {
    const char *ct = request_header(req, "Content-Type");
    if (ct && strcmp(ct, "application/ocsp-request") == 0 && req->body_len > 0 &&
        (der = malloc(req->body_len)) != NULL) {
      memcpy(der, req->body, req->body_len);
      len = req->body_len;
    }
  } else if (*key) {
    der = publish_ocsp_get(key, &len);
  }
  if (!der) { /* a GET of something that is not there, or a bad POST */
    if (strcmp(req->method, "POST") == 0)
      request_reply(req, 400, "text/plain", NULL, bad, sizeof bad - 1);
    else
      request_reply(req, 404, "text/plain", NULL, none, sizeof none - 1);
    return;
  }
  ocspjob_submit(env, req, der, len);
}

/* GET /<CustomPath or crl>/<CA_ID>.crl: the CRL as the bucket holds it;
 * anything else is OCSP. */
void publish_handle(void *arg, request_t *req) {
  static const char none[] = "no such object\n";
  const ocspjob_env_t *env = arg;
  const char *key = req->path[0] == '/' ? req->path + 1 : req->path;
  size_t n = strlen(key), len = 0;
  char *data = NULL;
  int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  if (get && n > 4 && strcmp(key + n - 4, ".crl") == 0) {
    if (bucket_path_ok(key))
      data = publish_find(env->cfg->bucket_root, key, &len);
  } else if ((get && n > 0) || strcmp(req->method, "POST") == 0) {
    publish_ocsp(env, req, key);
    return;
  }
  if (!data) {
    request_reply(req, 404, "text/plain", NULL, none, sizeof none - 1);
    return;
  }
  request_reply(req, 200, "application/pkix-crl", NULL, data, len);
  free(data);
}
