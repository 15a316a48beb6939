/* The strict HTTP/1.1 request parser: pipelined requests, every smuggling
 * shape of security-and-faults.md E8 refused with nothing parsed after it,
 * the caps, and the same outcome whether the bytes come at once or one by
 * one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/hparse.h"

#define MAX_REQ 8

typedef struct {
  int nreq, continues;
  char method[MAX_REQ][8], path[MAX_REQ][64], query[MAX_REQ][64], body[MAX_REQ][256];
  char host[MAX_REQ][64], xb[MAX_REQ][64];
  int keepalive[MAX_REQ];
  err_code_t refused;
} outcome_t;

static void record(outcome_t *o, request_t *r, char *store, int keepalive) {
  const char *host = request_header(r, "Host"), *xb = request_header(r, "X-B");
  int i = o->nreq++;
  assert_true(i < MAX_REQ);
  snprintf(o->method[i], sizeof o->method[i], "%s", r->method);
  snprintf(o->path[i], sizeof o->path[i], "%s", r->path);
  snprintf(o->query[i], sizeof o->query[i], "%s", r->query);
  snprintf(o->body[i], sizeof o->body[i], "%.*s", (int)r->body_len, (const char *)r->body);
  snprintf(o->host[i], sizeof o->host[i], "%s", host ? host : "(none)");
  snprintf(o->xb[i], sizeof o->xb[i], "%s", xb ? xb : "(none)");
  o->keepalive[i] = keepalive;
  free(r->path);
  free(r->query);
  free(r->headers);
  free(r->body);
  free(store);
}

/* Feeds data in pieces of step bytes (0: all at once) until it is used up
 * or refused. */
static void run(const char *data, size_t len, size_t step, outcome_t *o) {
  hparse_t *p = hparse_new(1024, 4096);
  size_t off = 0;
  assert_non_null(p);
  memset(o, 0, sizeof *o);
  o->refused = ERR_OK;
  while (off < len) {
    size_t n = step && len - off > step ? step : len - off, used = 0;
    hparse_state_t st = hparse_feed(p, data + off, n, &used);
    off += used;
    if (st == HPARSE_REQUEST) {
      request_t r;
      char *store = NULL;
      int ka;
      memset(&r, 0, sizeof r);
      ka = hparse_take(p, &r, &store);
      assert_true(ka >= 0);
      record(o, &r, store, ka);
    } else if (st == HPARSE_CONTINUE) {
      o->continues++;
    } else if (st == HPARSE_REFUSED) {
      o->refused = hparse_error(p)->code;
      break;
    } else {
      assert_int_equal(used, n);
    }
  }
  hparse_free(p);
}

/* The same outcome at once and byte by byte; returns the first. */
static void run_both(const char *data, size_t len, outcome_t *o) {
  outcome_t bytewise;
  run(data, len, 0, o);
  run(data, len, 1, &bytewise);
  assert_int_equal(o->nreq, bytewise.nreq);
  assert_int_equal(o->refused, bytewise.refused);
  for (int i = 0; i < o->nreq; i++) {
    assert_string_equal(o->path[i], bytewise.path[i]);
    assert_string_equal(o->body[i], bytewise.body[i]);
  }
}

#define RUN(lit, o) run_both(lit, sizeof lit - 1, o)

static void test_pipelined(void **state) {
  outcome_t o;
  (void)state;
  RUN("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}"
      "\r\nGET /x?y=1 HTTP/1.1\r\nHost: b  \r\n\r\n"
      "POST / HTTP/1.1\r\nHost: c\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
      &o);
  assert_int_equal(o.refused, ERR_OK);
  assert_int_equal(o.nreq, 3);
  assert_string_equal(o.method[0], "POST");
  assert_string_equal(o.body[0], "{}");
  assert_int_equal(o.keepalive[0], 1);
  assert_string_equal(o.method[1], "GET");
  assert_string_equal(o.path[1], "/x");
  assert_string_equal(o.query[1], "y=1");
  assert_string_equal(o.host[1], "b"); /* trailing blanks are not the value */
  assert_string_equal(o.body[2], "hello");
  assert_int_equal(o.keepalive[2], 0);
  /* trailing blanks on several headers, not only the last (issue 25: the
   * walk over the headers lost its place: "Empty header name") */
  RUN("POST / HTTP/1.1\r\nHost: a \r\nX-A: 1 \t\r\nContent-Length: 2  \r\nX-B: q r\t \r\n"
      "\r\n{}",
      &o);
  assert_int_equal(o.refused, ERR_OK);
  assert_int_equal(o.nreq, 1);
  assert_string_equal(o.host[0], "a");
  assert_string_equal(o.xb[0], "q r");
  assert_string_equal(o.body[0], "{}");
  /* HTTP/1.0 needs no Host and does not keep the connection by default */
  RUN("GET / HTTP/1.0\r\n\r\n", &o);
  assert_int_equal(o.nreq, 1);
  assert_int_equal(o.keepalive[0], 0);
}

/* A smuggling shape: refused as `code`, and no request parsed from it or
 * from the complete request that follows it. */
static void refused(const char *head, err_code_t code) {
  static const char next[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
  char buf[2048];
  outcome_t o;
  int n = snprintf(buf, sizeof buf, "%s%s", head, next);
  run_both(buf, (size_t)n, &o);
  if (o.refused != code || o.nreq != 0)
    fail_msg("%s: refused %d (want %d), %d requests parsed", head, o.refused, code, o.nreq);
}

static void test_smuggling_shapes(void **state) {
  (void)state;
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 45\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n"
          "2\r\n{}\r\n0\r\n\r\n",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\tfolded\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  /* RFC 9112 5.1: white space before the colon (issue 25: it framed the body) */
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost : a\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nX-A\t: 1\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\n: empty\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\nHost: a\nContent-Length: 2\n\n{}", ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\rX: 1\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.99999999999\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/2.0\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
          ERR_HttpVersionNotSupported);
  refused("POST / HTTP/1.2\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
          ERR_HttpVersionNotSupported);
  refused("POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", ERR_SerializationException);
  refused("POST http://a/ HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}",
          ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\n\r\n", ERR_MissingContentLength);
  refused("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", ERR_MethodNotAllowed);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4097\r\n\r\n", ERR_RequestEntityTooLarge);
  refused("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", ERR_SerializationException);
  refused("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
          ERR_ExpectationFailed);
}

/* A NUL cannot be written in a C literal that snprintf copies. */
static void test_nul_in_header(void **state) {
  static const char head[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\0 445\r\n\r\n{}"
                             "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}";
  outcome_t o;
  (void)state;
  run_both(head, sizeof head - 1, &o);
  assert_int_equal(o.refused, ERR_SerializationException);
  assert_int_equal(o.nreq, 0);
}

static void test_caps(void **state) {
  char buf[4096];
  outcome_t o;
  int n;
  (void)state;
  /* a head over 1024 bytes */
  n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\nX: %01100d\r\n\r\n", 0);
  run_both(buf, (size_t)n, &o);
  assert_int_equal(o.refused, ERR_RequestEntityTooLarge);
  /* 101 headers */
  n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\n");
  for (int i = 0; i < 100; i++)
    n += snprintf(buf + n, sizeof buf - (size_t)n, "X:\r\n");
  n += snprintf(buf + n, sizeof buf - (size_t)n, "\r\n");
  run(buf, (size_t)n, 0, &o);
  assert_int_equal(o.refused, ERR_RequestEntityTooLarge);
}

static void test_expect_continue(void **state) {
  outcome_t o;
  (void)state;
  RUN("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}", &o);
  assert_int_equal(o.refused, ERR_OK);
  assert_int_equal(o.continues, 1);
  assert_int_equal(o.nreq, 1);
  assert_string_equal(o.body[0], "{}");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipelined), cmocka_unit_test(test_smuggling_shapes),
      cmocka_unit_test(test_nul_in_header), cmocka_unit_test(test_caps),
      cmocka_unit_test(test_expect_continue)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
