#ifndef PCAD_AWSJSON_H
#define PCAD_AWSJSON_H
/* AWS JSON 1.1 codec: request bodies, blobs, error bodies. No I/O. */
#include <jansson.h>
#include <stddef.h>

#include "base/err.h"

/* Parses a request body into an object: duplicate keys, trailing garbage,
 * invalid UTF-8, NUL and non-objects give SerializationException. An empty
 * body is {}. */
MUST_CHECK
int awsjson_decode_body(const char *body, size_t len, json_t **out, err_t *e);
/* Strict standard base64 (padded, no whitespace); *out is malloc'ed. */
int awsjson_base64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen);
/* A timestamp given as epoch seconds (text, with a fraction) as AWS JSON
 * writes it: a number with millisecond precision. */
json_t *awsjson_timestamp(const char *epoch);
/* Compact serialization, malloc'ed. */
char *awsjson_encode(const json_t *v);

#endif
