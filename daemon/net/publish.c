#include "net/publish.h"

#include <event2/http.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish/bucket.h"

#define PUBLISH_MAX_OCSP_GET 4096

unsigned char *publish_ocsp_der(const char *path, size_t *len) {
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
static void publish_ocsp(const pubjob_env_t *env, request_t *req, const char *key) {
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
    der = publish_ocsp_der(key, &len);
  }
  if (!der) { /* a GET of something that is not there, or a bad POST */
    if (strcmp(req->method, "POST") == 0)
      request_reply(req, 400, "text/plain", NULL, bad, sizeof bad - 1);
    else
      request_reply(req, 404, "text/plain", NULL, none, sizeof none - 1);
    return;
  }
  pubjob_ocsp(env, req, der, len);
}

/* GET /<CustomPath or crl>/<CA_ID>.crl: the CRL as the bucket holds it
 * (read on a worker); anything else is OCSP. */
void publish_handle(void *arg, request_t *req) {
  static const char none[] = "no such object\n";
  const pubjob_env_t *env = arg;
  const char *key = req->path[0] == '/' ? req->path + 1 : req->path;
  size_t n = strlen(key);
  int get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  if (get && n > 4 && strcmp(key + n - 4, ".crl") == 0) {
    if (bucket_path_ok(key))
      pubjob_crl(env, req, key);
    else
      request_reply(req, 404, "text/plain", NULL, none, sizeof none - 1);
  } else if ((get && n > 0) || strcmp(req->method, "POST") == 0) {
    publish_ocsp(env, req, key);
  } else {
    request_reply(req, 404, "text/plain", NULL, none, sizeof none - 1);
  }
}
