#include "net/hparse.h"

#include <http_parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"

#define HPARSE_MAX_HEADERS 100

/* The byte check of a head, one byte at a time, ahead of the parser. */
typedef enum {
  SCAN_START, /* before the request line: empty lines are skipped */
  SCAN_LINE,  /* inside a line */
  SCAN_CR,    /* after a CR inside a line */
  SCAN_LF,    /* at the start of a header line */
  SCAN_LFCR,  /* after the CR of the empty line */
  SCAN_BODY,  /* the head is over */
} hparse_scan_t;

struct hparse {
  http_parser hp;
  size_t max_head, max_body;
  hparse_scan_t scan;
  size_t head_bytes; /* of the head being scanned */
  size_t ahead;      /* bytes scanned that the parser has not consumed yet */
  buf_t url, store, body; /* store: name\0value\0 for each header */
  size_t nheaders;
  int in_value;      /* the last header callback was a value */
  int done;          /* a whole request waits for hparse_take */
  int keepalive;
  err_t err;
  err_t scan_err; /* the byte check stopped here; it counts once the parser
                   * has taken every byte before it without an error of its
                   * own, so the first fault in the stream always wins */
};

/* A refusal from a callback: stops the parser. */
static int hparse_refuse(hparse_t *p, err_code_t code, const char *msg) {
  if (p->err.code == ERR_OK)
    err_set(&p->err, code, "%s", msg);
  return -1;
}

/* Appends to one of the request's buffers from a callback. */
static int hparse_add(hparse_t *p, buf_t *b, const char *at, size_t n) {
  return buf_append(b, at, n) < 0 ? hparse_refuse(p, ERR_InternalFailure, "out of memory") : 0;
}

static int hparse_on_begin(http_parser *hp) {
  hparse_t *p = hp->data;
  p->url.len = p->store.len = p->body.len = 0;
  p->nheaders = 0;
  p->in_value = 0;
  return hparse_add(p, &p->body, "", 0); /* a body, empty or not, is never NULL */
}

static int hparse_on_url(http_parser *hp, const char *at, size_t n) {
  hparse_t *p = hp->data;
  return hparse_add(p, &p->url, at, n);
}

/* Ends the value being stored: its trailing blanks are optional white
 * space, not part of it, and are left out of the store (so every pair is
 * "name\0value\0" as stored, and a walk over them needs no trimming). */
static int hparse_end_value(hparse_t *p) {
  while (p->store.len && (p->store.data[p->store.len - 1] == ' ' ||
                          p->store.data[p->store.len - 1] == '\t'))
    p->store.len--;
  return hparse_add(p, &p->store, "", 1);
}

static int hparse_on_field(http_parser *hp, const char *at, size_t n) {
  hparse_t *p = hp->data;
  if (p->in_value || p->nheaders == 0) {
    if (p->in_value && hparse_end_value(p) < 0)
      return -1;
    p->nheaders++;
    p->in_value = 0;
  }
  return hparse_add(p, &p->store, at, n);
}

static int hparse_on_value(http_parser *hp, const char *at, size_t n) {
  hparse_t *p = hp->data;
  if (!p->in_value) {
    if (hparse_add(p, &p->store, "", 1) < 0) /* ends the name */
      return -1;
    p->in_value = 1;
  }
  return hparse_add(p, &p->store, at, n);
}

/* The "name\0value\0" pair of the store at *at: its name, *value, and
 * where the next pair starts. */
static char *hparse_pair(char *at, char **value, char **next) {
  *value = at + strlen(at) + 1;
  *next = *value + strlen(*value) + 1;
  return at;
}

/* The head as a whole: what the parser lets through and we do not.
 * *expect: the client waits for "100 Continue". */
static int hparse_check_headers(hparse_t *p, int *expect) {
  char *at = p->store.data, *name, *value;
  int hosts = 0;
  for (size_t i = 0; i < p->nheaders; i++) {
    name = hparse_pair(at, &value, &at);
    if (!*name)
      return hparse_refuse(p, ERR_SerializationException, "Empty header name");
    /* RFC 9112 5.1: no white space between a field name and its colon */
    if (strpbrk(name, " \t"))
      return hparse_refuse(p, ERR_SerializationException,
                           "White space in a header name (before its colon)");
    if (strcasecmp(name, "Transfer-Encoding") == 0)
      return hparse_refuse(p, ERR_SerializationException,
                           "Transfer-Encoding is not accepted: send Content-Length");
    if (strcasecmp(name, "Host") == 0)
      hosts++;
    if (strcasecmp(name, "Expect") == 0) {
      if (strcasecmp(value, "100-continue") != 0)
        return hparse_refuse(p, ERR_ExpectationFailed, "Only Expect: 100-continue is understood");
      *expect = p->hp.http_minor == 1;
    }
  }
  if (hosts > 1 || (hosts == 0 && p->hp.http_minor == 1))
    return hparse_refuse(p, ERR_SerializationException, "An HTTP/1.1 request has one Host header");
  return 0;
}

static int hparse_on_headers(http_parser *hp) {
  hparse_t *p = hp->data;
  int has_length = (hp->flags & F_CONTENTLENGTH) != 0, expect = 0;
  if (p->in_value && hparse_end_value(p) < 0)
    return -1;
  /* counted here, not as they come: the parser calls back at chunk ends,
   * so a refusal made earlier would depend on how the bytes arrived */
  if (p->nheaders > HPARSE_MAX_HEADERS)
    return hparse_refuse(p, ERR_RequestEntityTooLarge, "Too many request headers");
  if (hp->method != HTTP_GET && hp->method != HTTP_HEAD && hp->method != HTTP_POST)
    return hparse_refuse(p, ERR_MethodNotAllowed, "Only GET, HEAD and POST are served");
  if (hp->http_major != 1 || hp->http_minor > 1)
    return hparse_refuse(p, ERR_HttpVersionNotSupported, "Only HTTP/1.0 and HTTP/1.1 are served");
  if (p->url.len == 0 || p->url.data[0] != '/' || strchr(p->url.data, '#'))
    return hparse_refuse(p, ERR_SerializationException,
                         "The request target must be an absolute path");
  if (hparse_check_headers(p, &expect) < 0)
    return -1;
  if (hp->method == HTTP_POST && !has_length)
    return hparse_refuse(p, ERR_MissingContentLength, "A POST needs a Content-Length header");
  if (has_length && hp->content_length > p->max_body)
    return hparse_refuse(p, ERR_RequestEntityTooLarge, "The request body is too large");
  p->keepalive = http_should_keep_alive(hp);
  hp->upgrade = 0; /* Upgrade is not offered: the stream stays HTTP/1.1 */
  if (expect && has_length && hp->content_length > 0)
    http_parser_pause(hp, 1); /* hparse_feed: HPARSE_CONTINUE */
  return 0;
}

static int hparse_on_body(http_parser *hp, const char *at, size_t n) {
  hparse_t *p = hp->data;
  return hparse_add(p, &p->body, at, n);
}

static int hparse_on_complete(http_parser *hp) {
  hparse_t *p = hp->data;
  p->done = 1;
  http_parser_pause(hp, 1);
  return 0;
}

static const http_parser_settings hparse_settings = {
    .on_message_begin = hparse_on_begin,
    .on_url = hparse_on_url,
    .on_header_field = hparse_on_field,
    .on_header_value = hparse_on_value,
    .on_headers_complete = hparse_on_headers,
    .on_body = hparse_on_body,
    .on_message_complete = hparse_on_complete,
};

hparse_t *hparse_new(size_t max_head, size_t max_body) {
  hparse_t *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  http_parser_init(&p->hp, HTTP_REQUEST);
  p->hp.data = p;
  p->max_head = max_head;
  p->max_body = max_body;
  return p;
}

void hparse_free(hparse_t *p) {
  if (!p)
    return;
  buf_free(&p->url);
  buf_free(&p->store);
  buf_free(&p->body);
  free(p);
}

const err_t *hparse_error(const hparse_t *p) { return &p->err; }

static int hparse_scan_refuse(hparse_t *p, err_code_t code, const char *msg) {
  err_set(&p->scan_err, code, "%s", msg);
  return -1;
}

/* One byte of a head: 0, or -1 (p->scan_err set) when it is refused. */
static int hparse_scan_byte(hparse_t *p, unsigned char c) {
  int ctl = (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f;
  if (p->scan == SCAN_START && (c == '\r' || c == '\n'))
    return 0;
  if (++p->head_bytes > p->max_head)
    return hparse_scan_refuse(p, ERR_RequestEntityTooLarge, "The request head is too large");
  if (ctl)
    return hparse_scan_refuse(p, ERR_SerializationException, "A control byte in the request head");
  switch (p->scan) {
  case SCAN_CR:
  case SCAN_LFCR:
    if (c != '\n')
      return hparse_scan_refuse(p, ERR_SerializationException,
                                "A CR without LF in the request head");
    p->scan = p->scan == SCAN_CR ? SCAN_LF : SCAN_BODY;
    return 0;
  case SCAN_LF:
    if (c == ' ' || c == '\t')
      return hparse_scan_refuse(p, ERR_SerializationException, "Folded header lines are refused");
    /* fall through */
  default:
    if (c == '\n')
      return hparse_scan_refuse(p, ERR_SerializationException,
                                "An LF without CR in the request head");
    p->scan = c == '\r' ? (p->scan == SCAN_LF ? SCAN_LFCR : SCAN_CR) : SCAN_LINE;
    return 0;
  }
}

/* How many of data's bytes the parser may see now: a head's bytes once
 * checked, up to its end or to the first refused byte (p->scan_err), a
 * body's all. */
static size_t hparse_scan(hparse_t *p, const char *data, size_t len) {
  size_t i = p->ahead < len ? p->ahead : len;
  if (p->scan == SCAN_BODY)
    return len;
  for (; i < len && p->scan != SCAN_BODY; i++)
    if (hparse_scan_byte(p, (unsigned char)data[i]) < 0)
      break;
  return i;
}

hparse_state_t hparse_feed(hparse_t *p, const char *data, size_t len, size_t *used) {
  *used = 0;
  if (p->err.code != ERR_OK)
    return HPARSE_REFUSED;
  if (p->done)
    return HPARSE_REQUEST;
  if (HTTP_PARSER_ERRNO(&p->hp) == HPE_PAUSED) /* after HPARSE_CONTINUE */
    http_parser_pause(&p->hp, 0);
  while (*used < len) {
    size_t ok = hparse_scan(p, data + *used, len - *used), n;
    enum http_errno en;
    /* (a length of 0 would tell the parser the stream has ended) */
    n = ok ? http_parser_execute(&p->hp, &hparse_settings, data + *used, ok) : 0;
    p->ahead = ok > n ? ok - n : 0;
    *used += n;
    en = HTTP_PARSER_ERRNO(&p->hp);
    if (p->err.code != ERR_OK)
      return HPARSE_REFUSED;
    if (en == HPE_PAUSED) {
      if (p->done) {
        p->scan = SCAN_START;
        p->head_bytes = p->ahead = 0;
        return HPARSE_REQUEST;
      }
      return HPARSE_CONTINUE;
    }
    if (en != HPE_OK || n < ok) {
      err_set(&p->err, en == HPE_HEADER_OVERFLOW ? ERR_RequestEntityTooLarge
                                                 : ERR_SerializationException,
              "Malformed HTTP request: %s", http_errno_description(en));
      return HPARSE_REFUSED;
    }
    if (p->scan_err.code != ERR_OK) { /* every byte before it was taken */
      p->err = p->scan_err;
      return HPARSE_REFUSED;
    }
  }
  return HPARSE_MORE;
}

static const char *hparse_method(const http_parser *hp) {
  return hp->method == HTTP_POST ? "POST" : hp->method == HTTP_HEAD ? "HEAD" : "GET";
}

int hparse_take(hparse_t *p, request_t *r, char **store) {
  char *q, *at;
  if (!p->done)
    return -1;
  q = strchr(p->url.data, '?');
  r->method = hparse_method(&p->hp);
  r->path = q ? strndup(p->url.data, (size_t)(q - p->url.data)) : strdup(p->url.data);
  r->query = strdup(q ? q + 1 : "");
  r->headers = calloc(p->nheaders ? p->nheaders : 1, sizeof *r->headers);
  if (!r->path || !r->query || !r->headers)
    return -1;
  at = p->store.data;
  for (size_t i = 0; i < p->nheaders; i++) {
    char *value;
    r->headers[i].name = hparse_pair(at, &value, &at);
    r->headers[i].value = value;
  }
  r->nheaders = p->nheaders;
  r->body_len = p->body.len;
  r->body = (unsigned char *)buf_take(&p->body);
  *store = buf_take(&p->store);
  p->done = 0;
  http_parser_pause(&p->hp, 0);
  return p->keepalive;
}
