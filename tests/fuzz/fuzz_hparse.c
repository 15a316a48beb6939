/* The HTTP/1.1 request parser (net/hparse.c), differentially: the same
 * bytes fed at once and in pieces (sizes from the first byte) must give
 * the same requests and the same refusal. */
#include <string.h>

#include "fuzz.h"
#include "net/hparse.h"

#define FUZZ_MAX_REQ 16

typedef struct {
  int n;
  size_t body[FUZZ_MAX_REQ];
  unsigned hash[FUZZ_MAX_REQ];
  int refused;
} fuzz_outcome_t;

static unsigned fuzz_hash(const request_t *r) {
  unsigned h = 2166136261u;
  for (const char *p = r->path; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  for (size_t i = 0; i < r->nheaders; i++)
    for (const char *p = r->headers[i].value; *p; p++)
      h = (h ^ (unsigned char)*p) * 16777619u;
  for (size_t i = 0; i < r->body_len; i++)
    h = (h ^ r->body[i]) * 16777619u;
  return h;
}

static void fuzz_run(const uint8_t *data, size_t size, size_t step, fuzz_outcome_t *o) {
  hparse_t *p = hparse_new(2048, 4096);
  size_t off = 0;
  memset(o, 0, sizeof *o);
  FUZZ_ASSERT(p);
  while (off < size && o->n < FUZZ_MAX_REQ) {
    size_t n = step && size - off > step ? step : size - off, used = 0;
    hparse_state_t st = hparse_feed(p, (const char *)data + off, n, &used);
    FUZZ_ASSERT(used <= n);
    off += used;
    if (st == HPARSE_REQUEST) {
      request_t r;
      char *store = NULL;
      memset(&r, 0, sizeof r);
      FUZZ_ASSERT(hparse_take(p, &r, &store) >= 0);
      FUZZ_ASSERT(r.body && r.body[r.body_len] == '\0');
      o->body[o->n] = r.body_len;
      o->hash[o->n++] = fuzz_hash(&r);
      free(r.path);
      free(r.query);
      free(r.headers);
      free(r.body);
      free(store);
    } else if (st == HPARSE_REFUSED) {
      o->refused = hparse_error(p)->code;
      break;
    } else if (st == HPARSE_MORE) {
      FUZZ_ASSERT(used == n);
    }
  }
  hparse_free(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_outcome_t whole, pieces;
  size_t step;
  if (size < 1)
    return 0;
  step = (size_t)(data[0] % 17) + 1;
  fuzz_run(data + 1, size - 1, 0, &whole);
  fuzz_run(data + 1, size - 1, step, &pieces);
  FUZZ_ASSERT(whole.n == pieces.n || whole.n == FUZZ_MAX_REQ || pieces.n == FUZZ_MAX_REQ);
  for (int i = 0; i < whole.n && i < pieces.n; i++) {
    FUZZ_ASSERT(whole.body[i] == pieces.body[i]);
    FUZZ_ASSERT(whole.hash[i] == pieces.hash[i]);
  }
  if (whole.n == pieces.n)
    FUZZ_ASSERT(whole.refused == pieces.refused);
  return 0;
}
