#ifndef PCAD_SERIAL_H
#define PCAD_SERIAL_H
/* Certificate serial numbers. */
#include <openssl/asn1.h>
#include <stddef.h>

#define SERIAL_BYTES 16 /* 128 bits from the CSPRNG */
#define SERIAL_HEX (2 * SERIAL_BYTES + 1)

/* Normalizes a serial given as hex (colons allowed, any case, leading zeros)
 * into lower-case hex without leading zeros; -1 when it is no serial. */
int serial_normalize(const char *in, char *out, size_t outlen);
/* A fresh random serial: the ARN form (32 hex digits) and the normalized. */
int serial_new(ASN1_INTEGER **ai, char arn_hex[SERIAL_HEX], char norm[SERIAL_HEX]);

#endif
