#include "publish/s3.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"

#define S3_TIMEOUT_S 60

struct s3 {
  char *endpoint; /* without a trailing '/' */
  char sigv4[96]; /* aws:amz:<region>:s3 */
  char *userpwd;  /* <access key>:<secret>: wiped before free */
};

int s3_new(const cfg_t *cfg, s3_t **out, err_t *e) {
  char secret[256];
  FILE *f;
  size_t n;
  s3_t *s;
  *out = NULL;
  if (!cfg->s3_endpoint || !*cfg->s3_endpoint)
    return 0;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return err_set(e, ERR_InternalFailure, "libcurl cannot start");
  if (!(f = fopen(cfg->s3_secret_file, "r")))
    return err_set(e, ERR_InternalFailure, "%s: cannot open", cfg->s3_secret_file);
  n = fread(secret, 1, sizeof secret - 1, f);
  fclose(f);
  while (n && (secret[n - 1] == '\n' || secret[n - 1] == '\r' || secret[n - 1] == ' '))
    n--;
  secret[n] = '\0';
  if (!(s = calloc(1, sizeof *s)) || !(s->endpoint = strdup(cfg->s3_endpoint)) ||
      asprintf(&s->userpwd, "%s:%s", cfg->s3_access_key_id, secret) < 0) {
    OPENSSL_cleanse(secret, sizeof secret);
    if (s)
      s->userpwd = NULL;
    s3_free(s);
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  OPENSSL_cleanse(secret, sizeof secret);
  for (size_t k = strlen(s->endpoint); k && s->endpoint[k - 1] == '/'; k--)
    s->endpoint[k - 1] = '\0';
  snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3",
           cfg->s3_region && *cfg->s3_region ? cfg->s3_region : cfg->region);
  *out = s;
  return 0;
}

void s3_free(s3_t *s) {
  if (!s)
    return;
  if (s->userpwd) {
    OPENSSL_cleanse(s->userpwd, strlen(s->userpwd));
    free(s->userpwd);
  }
  free(s->endpoint);
  free(s);
}

static size_t s3_read(char *p, size_t size, size_t n, void *arg) {
  ssize_t got = read(*(int *)arg, p, size * n);
  return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
}

static size_t s3_body(char *p, size_t size, size_t n, void *arg) {
  buf_t *b = arg;
  if (b->len < 4096 && buf_append(b, p, size * n) < 0)
    return 0;
  return size * n;
}

/* The text of <name> in S3's XML error body, or "". */
static void s3_xml(const char *body, const char *name, char *out, size_t cap) {
  char open[40];
  const char *a, *z;
  snprintf(open, sizeof open, "<%s>", name);
  out[0] = '\0';
  if (body && (a = strstr(body, open)) != NULL && (z = strstr(a, "</")) != NULL)
    snprintf(out, cap, "%.*s", (int)(z - a - strlen(open)), a + strlen(open));
}

/* The outcome of a finished transfer as an error. */
static int s3_result(CURLcode rc, long status, const buf_t *body, const char *what, err_t *e) {
  char code[64], msg[256];
  if (rc != CURLE_OK)
    return err_set(e, ERR_ServiceUnavailable, "S3 %s: %s", what, curl_easy_strerror(rc));
  if (status >= 200 && status < 300)
    return 0;
  s3_xml(body->data, "Code", code, sizeof code);
  s3_xml(body->data, "Message", msg, sizeof msg);
  return err_set(e, status >= 500 ? ERR_ServiceUnavailable : ERR_InvalidArgsException,
                 "S3 %s: HTTP %ld %s: %s", what, status, code[0] ? code : "", msg);
}

int s3_put(const s3_t *s, const char *bucket, const char *key, int fd, size_t len,
           const char *sha256_hex, const char *content_type, const char *acl, err_t *e) {
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  char line[160], *url = NULL, what[300];
  buf_t body = {0};
  long status = 0;
  CURLcode rc = CURLE_OUT_OF_MEMORY;
  int ret;
  snprintf(what, sizeof what, "PutObject %s/%s", bucket, key);
  if (lseek(fd, 0, SEEK_SET) < 0 || asprintf(&url, "%s/%s/%s", s->endpoint, bucket, key) < 0)
    url = NULL;
  snprintf(line, sizeof line, "x-amz-content-sha256: %s", sha256_hex);
  h = curl_slist_append(h, line);
  snprintf(line, sizeof line, "Content-Type: %s", content_type);
  h = curl_slist_append(h, line);
  if (acl) {
    snprintf(line, sizeof line, "x-amz-acl: %s", acl);
    h = curl_slist_append(h, line);
  }
  if (c && url && h) {
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, s3_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &fd);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
    curl_easy_setopt(c, CURLOPT_USERPWD, s->userpwd);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s3_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)S3_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  }
  ret = s3_result(rc, status, &body, what, e);
  buf_free(&body);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  free(url);
  return ret;
}
