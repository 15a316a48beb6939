#include "core/serial.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/rand.h>
#include <stdio.h>

int serial_normalize(const char *in, char *out, size_t outlen) {
  size_t n = 0;
  int started = 0;
  for (; *in; in++) {
    char ch = (char)tolower((unsigned char)*in);
    if (ch == ':')
      continue;
    if (!isxdigit((unsigned char)ch))
      return -1;
    if (!started && ch == '0')
      continue;
    started = 1;
    if (n + 1 >= outlen)
      return -1;
    out[n++] = ch;
  }
  if (!n)
    return -1; /* zero is no serial */
  out[n] = '\0';
  return 0;
}

/* A fresh random serial: the ARN form (32 hex digits) and the normalized. */
int serial_new(ASN1_INTEGER **ai, char arn_hex[2 * SERIAL_BYTES + 1],
                            char norm[2 * SERIAL_BYTES + 1]) {
  unsigned char r[SERIAL_BYTES];
  BIGNUM *bn = NULL;
  do {
    if (RAND_bytes(r, sizeof r) != 1)
      return -1;
    for (int i = 0; i < SERIAL_BYTES; i++)
      snprintf(arn_hex + 2 * i, 3, "%02x", r[i]);
  } while (serial_normalize(arn_hex, norm, 2 * SERIAL_BYTES + 1) < 0);
  bn = BN_bin2bn(r, sizeof r, NULL);
  *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
  BN_free(bn);
  return *ai ? 0 : -1;
}
