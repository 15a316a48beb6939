#ifndef PCAD_HPARSE_H
#define PCAD_HPARSE_H
/* One HTTP/1.1 connection's request stream, parsed strictly: bytes in,
 * whole requests (or one refusal) out. No I/O, no libevent: the front door
 * (httpd.c) feeds it and the fuzz target drives it alone.
 *
 * The framing is http-parser's (Debian's libhttp-parser, the parser Node
 * used before llhttp); on top of it every request head is checked byte by
 * byte before the parser sees it (CRLF line ends only, no obs-fold, no NUL
 * or other control bytes) and as a whole once it is parsed (one
 * Content-Length, none for Transfer-Encoding, GET/HEAD/POST, HTTP/1.0 or
 * 1.1, one Host, origin-form targets, caps on the head, the header count
 * and the body). A refusal ends the stream: the caller answers it and
 * closes the connection, so no byte after a framing error is ever read as
 * a request.
 *
 * Why not evhttp: libevent 2.1.12's evhttp frames a request by its first
 * Content-Length, cuts header values at a NUL and accepts empty header
 * names, so one request could be smuggled inside another (issue 12, matrix
 * E8); llhttp is not packaged for Debian 12. The refusals: 413 for a head
 * or body over its cap or more than 100 headers, 405 for a method other
 * than GET/HEAD/POST, 505 for another HTTP version, 411 for a POST without
 * Content-Length, 417 for an Expect other than 100-continue, and
 * SerializationException for anything else malformed (a second
 * Content-Length or Host, any Transfer-Encoding, an empty header name).
 * tests/unit/test_hparse.c feeds every E8 shape at once and byte by byte;
 * tests/faults/test_e_http.py sends them to the daemon over TLS. */
#include <stddef.h>

#include "base/err.h"
#include "api/request.h"

typedef struct hparse hparse_t;

typedef enum {
  HPARSE_MORE,     /* every byte given was used; send more */
  HPARSE_REQUEST,  /* a whole request is ready: hparse_take() it */
  HPARSE_CONTINUE, /* the client waits for "100 Continue" before its body */
  HPARSE_REFUSED,  /* hparse_error() says why; the stream is over */
} hparse_state_t;

hparse_t *hparse_new(size_t max_head, size_t max_body);
void hparse_free(hparse_t *p);
/* Parses from data; *used is how many bytes were consumed (the rest belongs
 * to the next call). After HPARSE_REQUEST, nothing more is parsed until
 * hparse_take(). */
hparse_state_t hparse_feed(hparse_t *p, const char *data, size_t len, size_t *used);
/* Why the stream was refused: code (for its HTTP status and __type) and a
 * message. */
MUST_CHECK
const err_t *hparse_error(const hparse_t *p);
/* Moves the request into r (method, path, query, headers, body); *store
 * gets the block that r->headers point into (the caller frees it with
 * them). Returns whether the connection may carry another request after
 * this one (keep-alive), or -1 when out of memory. */
int hparse_take(hparse_t *p, request_t *r, char **store);

#endif
