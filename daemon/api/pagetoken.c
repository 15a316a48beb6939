#include "api/pagetoken.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "api/awsjson.h"
#include "base/buf.h"

#define PAGETOKEN_MAC 16

static int pagetoken_mac(const unsigned char key[32], const char *scope, const char *cursor,
                         unsigned char out[32]) {
  buf_t m = {0};
  unsigned int len = 32;
  int rc;
  /* scope and cursor never hold NUL, so the separator is unambiguous */
  rc = buf_puts(&m, scope) | buf_putc(&m, '\0') | buf_puts(&m, cursor);
  if (!rc)
    rc = HMAC(EVP_sha256(), key, 32, (unsigned char *)m.data, m.len, out, &len) ? 0 : -1;
  buf_free(&m);
  return rc;
}

char *pagetoken_encode(const unsigned char key[32], const char *scope, const char *cursor) {
  unsigned char mac[32];
  size_t clen = strlen(cursor), n = clen + PAGETOKEN_MAC;
  unsigned char *raw = malloc(n);
  char *out = malloc(4 * ((n + 2) / 3) + 1);
  if (!raw || !out || pagetoken_mac(key, scope, cursor, mac) < 0) {
    free(raw);
    free(out);
    return NULL;
  }
  memcpy(raw, mac, PAGETOKEN_MAC);
  memcpy(raw + PAGETOKEN_MAC, cursor, clen);
  EVP_EncodeBlock((unsigned char *)out, raw, (int)n);
  free(raw);
  return out;
}

char *pagetoken_decode(const unsigned char key[32], const char *scope, const char *token) {
  unsigned char *raw = NULL, mac[32];
  size_t n = 0;
  char *cursor = NULL;
  if (awsjson_base64_decode(token, strlen(token), &raw, &n) < 0 || n <= PAGETOKEN_MAC ||
      memchr(raw + PAGETOKEN_MAC, '\0', n - PAGETOKEN_MAC))
    goto out;
  cursor = strndup((char *)raw + PAGETOKEN_MAC, n - PAGETOKEN_MAC);
  if (!cursor || pagetoken_mac(key, scope, cursor, mac) < 0 ||
      CRYPTO_memcmp(mac, raw, PAGETOKEN_MAC) != 0) {
    free(cursor);
    cursor = NULL;
  }
out:
  free(raw);
  return cursor;
}
