#include "api/awsjson.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

int awsjson_decode_body(const char *body, size_t len, json_t **out, err_t *e) {
  json_error_t je;
  json_t *v;
  *out = NULL;
  if (len == 0) {
    *out = json_object();
    return *out ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
  }
  v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
  if (!v)
    return err_set(e, ERR_SerializationException, "Malformed JSON request body: %s at offset %d",
                   je.text, je.position);
  if (!json_is_object(v)) {
    json_decref(v);
    return err_set(e, ERR_SerializationException, "The request body must be a JSON object");
  }
  *out = v;
  return 0;
}

static int awsjson_b64char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/';
}

int awsjson_base64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen) {
  size_t pad = 0;
  int got;
  unsigned char *p;
  *out = NULL;
  *outlen = 0;
  if (n % 4)
    return -1;
  if (n && s[n - 1] == '=')
    pad = (n >= 2 && s[n - 2] == '=') ? 2 : 1;
  for (size_t i = 0; i < n - pad; i++)
    if (!awsjson_b64char((unsigned char)s[i]))
      return -1;
  if (n > 0x7fffffff)
    return -1;
  p = malloc(n / 4 * 3 + 1);
  if (!p)
    return -1;
  got = n ? EVP_DecodeBlock(p, (const unsigned char *)s, (int)n) : 0;
  if (got < 0 || (size_t)got < pad) {
    free(p);
    return -1;
  }
  *out = p;
  *outlen = (size_t)got - pad;
  return 0;
}

char *awsjson_encode(const json_t *v) { return json_dumps(v, JSON_COMPACT); }

json_t *awsjson_timestamp(const char *epoch) {
  return json_real((double)(long long)(strtod(epoch, NULL) * 1000) / 1000.0);
}
