#include "store/store_chain.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/store_priv.h"

/* The columns audit_events_content() (sql/0008_audit_chain.sql) covers, in
 * its order, then prev_hash, hash and id. */
#define STORE_CHAIN_FIELDS 10
#define STORE_CHAIN_SQL                                                                     \
  "SELECT chain, seq::text, (extract(epoch FROM at) * 1000000)::bigint::text, event,"       \
  " account_id, actor, request_id, ca_arn, serial, detail::text, prev_hash, hash, id"       \
  " FROM audit_events ORDER BY audit_events.chain, audit_events.seq"

typedef struct {
  char **chain; /* the heads: chain, seq, hash (32 bytes) */
  long long *seq;
  unsigned char (*hash)[32];
  char *seen; /* the chain has events */
  int n;
} store_chain_heads_t;

typedef struct {
  store_chain_heads_t *heads;
  char chain[1024];
  long long next; /* the seq the next row must have */
  unsigned char prev[32];
  long rows, chains;
  char *report;
  size_t reportlen;
} store_chain_walk_t;

static void store_chain_heads_free(store_chain_heads_t *h) {
  for (int i = 0; i < h->n; i++)
    free(h->chain[i]);
  free(h->chain);
  free(h->seq);
  free(h->hash);
  free(h->seen);
}

/* A bytea column (text format) as 32 bytes: 0, or -1 when it is not. */
static int store_chain_hash(PGresult *r, int row, int col, unsigned char out[32]) {
  size_t n = 0;
  unsigned char *v = PQgetisnull(r, row, col)
                         ? NULL
                         : PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
  int ok = v && n == 32;
  if (ok)
    memcpy(out, v, 32);
  PQfreemem(v);
  return ok ? 0 : -1;
}

static int store_chain_load_heads(store_t *s, store_chain_heads_t *h, err_t *e) {
  PGresult *r = store_exec(s, "SELECT chain, seq, hash FROM audit_chain_heads", 0, NULL, e);
  int n = r ? PQntuples(r) : 0;
  memset(h, 0, sizeof *h);
  if (!r)
    return -1;
  h->chain = calloc((size_t)n + 1, sizeof *h->chain);
  h->seq = calloc((size_t)n + 1, sizeof *h->seq);
  h->hash = calloc((size_t)n + 1, sizeof *h->hash);
  h->seen = calloc((size_t)n + 1, 1);
  for (int i = 0; h->chain && h->seq && h->hash && h->seen && i < n; i++, h->n++) {
    h->chain[i] = strdup(PQgetvalue(r, i, 0));
    h->seq[i] = atoll(PQgetvalue(r, i, 1));
    if (!h->chain[i] || store_chain_hash(r, i, 2, h->hash[i]) < 0) {
      free(h->chain[i]);
      break;
    }
  }
  PQclear(r);
  if (h->n != n) {
    store_chain_heads_free(h);
    return err_set(e, ERR_InternalFailure, "cannot read the audit chain heads");
  }
  return 0;
}

static int store_chain_broken(store_chain_walk_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Says where the chain breaks: 1. */
static int store_chain_broken(store_chain_walk_t *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->report, w->reportlen, fmt, ap);
  va_end(ap);
  return 1;
}

/* The chain just walked against its head: 0, or 1 (reported). */
static int store_chain_end(store_chain_walk_t *w) {
  store_chain_heads_t *h = w->heads;
  if (!w->chain[0])
    return 0;
  for (int i = 0; i < h->n; i++) {
    if (strcmp(h->chain[i], w->chain) != 0)
      continue;
    h->seen[i] = 1;
    if (h->seq[i] != w->next - 1 || CRYPTO_memcmp(h->hash[i], w->prev, 32) != 0)
      return store_chain_broken(w, "chain %s: its head is at seq %lld, its last event is not "
                                "(events deleted from the end)", w->chain, h->seq[i]);
    return 0;
  }
  return store_chain_broken(w, "chain %s (to seq %lld): no head: the chain was not written "
                            "by pcad", w->chain, w->next - 1);
}

/* sha256(prev || <len>:<field>... ) */
static int store_chain_digest(PGresult *r, const unsigned char prev[32], unsigned char out[32]) {
  buf_t b = {0};
  unsigned int n = 0;
  int ok = buf_append(&b, prev, 32) == 0;
  for (int c = 0; ok && c < STORE_CHAIN_FIELDS; c++)
    ok = PQgetisnull(r, 0, c) ? buf_putc(&b, 'N') == 0
                              : buf_printf(&b, "%d:", PQgetlength(r, 0, c)) == 0 &&
                                    buf_append(&b, PQgetvalue(r, 0, c),
                                               (size_t)PQgetlength(r, 0, c)) == 0;
  ok = ok && EVP_Digest(b.data, b.len, out, &n, EVP_sha256(), NULL) && n == 32;
  buf_free(&b);
  return ok ? 0 : -1;
}

/* One row (single-row mode): 0 when it links, 1 when broken (reported). */
static int store_chain_row(store_chain_walk_t *w, PGresult *r) {
  const char *chain = PQgetvalue(r, 0, 0);
  long long seq = atoll(PQgetvalue(r, 0, 1));
  unsigned char prev[32], hash[32], want[32];
  if (strcmp(chain, w->chain) != 0) {
    if (store_chain_end(w))
      return 1;
    snprintf(w->chain, sizeof w->chain, "%s", chain);
    w->next = 1;
    memset(w->prev, 0, 32);
    w->chains++;
  }
  w->rows++;
  if (seq != w->next)
    return store_chain_broken(w, "chain %s: seq %lld %s", w->chain, seq,
                              seq > w->next ? "follows a gap (events deleted)" : "is out of order");
  if (store_chain_hash(r, 0, 10, prev) < 0 || store_chain_hash(r, 0, 11, hash) < 0 ||
      CRYPTO_memcmp(prev, w->prev, 32) != 0)
    return store_chain_broken(w, "chain %s: seq %lld does not link to the one before", w->chain,
                              seq);
  if (store_chain_digest(r, prev, want) < 0 || CRYPTO_memcmp(want, hash, 32) != 0)
    return store_chain_broken(w, "chain %s: seq %lld was changed after it was written",
                              w->chain, seq);
  memcpy(w->prev, hash, 32);
  w->next++;
  return 0;
}

int store_chain_verify(store_t *s, store_chain_result_t *out, err_t *e) {
  store_chain_heads_t heads;
  store_chain_walk_t w = {.heads = &heads, .report = out->report,
                          .reportlen = sizeof out->report};
  PGresult *r;
  int broken = 0, failed = 0;
  out->report[0] = '\0';
  if (store_ready(s, e) < 0 || store_chain_load_heads(s, &heads, e) < 0)
    return -1;
  if (!PQsendQuery(s->conn, STORE_CHAIN_SQL) || !PQsetSingleRowMode(s->conn)) {
    store_chain_heads_free(&heads);
    store_fail(s, NULL, e);
    return -1;
  }
  while ((r = store_result(s)) != NULL) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_SINGLE_TUPLE && !broken && !failed)
      broken = store_chain_row(&w, r);
    if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed++)
      err_set(e, ERR_InternalFailure, "reading audit_events: %s", PQresultErrorMessage(r));
    PQclear(r);
  }
  if (!s->conn && !failed++)
    store_fail(s, NULL, e);
  if (!broken && !failed)
    broken = store_chain_end(&w);
  /* a head with no event left: the whole chain was deleted */
  for (int i = 0; !broken && !failed && i < heads.n; i++)
    if (!heads.seen[i] && heads.seq[i] > 0)
      broken = store_chain_broken(&w, "chain %s: its head is at seq %lld and it has no events "
                                  "left (deleted)", heads.chain[i], heads.seq[i]);
  out->events = w.rows;
  out->chains = w.chains;
  store_chain_heads_free(&heads);
  return failed ? -1 : broken;
}
