#include "store/store_chain.h"

#include <limits.h>
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
  store_chain_head_t *v;
  char *seen; /* the chain has events */
  int n;
} store_chain_heads_t;

typedef struct {
  store_chain_heads_t *heads;
  store_chain_mark_t *marks; /* sorted */
  int nmarks;
  char chain[1024];
  long long next; /* the seq the next row must have */
  unsigned char prev[32];
  int chain_broken; /* reported: the rest of it is skipped */
  long rows, chains, problems;
  char *report;
  size_t reportlen;
} store_chain_walk_t;

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

int store_chain_heads(store_t *s, store_chain_head_t **out, int *n, err_t *e) {
  PGresult *r = store_exec(s, "SELECT chain, seq, hash FROM audit_chain_heads ORDER BY chain",
                           0, NULL, e);
  int rows = r ? PQntuples(r) : 0, i = 0;
  *out = NULL;
  *n = 0;
  if (!r)
    return -1;
  if ((*out = calloc((size_t)rows + 1, sizeof **out)) != NULL)
    for (; i < rows; i++) {
      store_chain_head_t *h = &(*out)[i];
      if (PQgetlength(r, i, 0) >= (int)sizeof h->chain || store_chain_hash(r, i, 2, h->hash) < 0)
        break;
      snprintf(h->chain, sizeof h->chain, "%s", PQgetvalue(r, i, 0));
      h->seq = atoll(PQgetvalue(r, i, 1));
    }
  PQclear(r);
  if (!*out || i != rows) {
    free(*out);
    *out = NULL;
    return err_set(e, ERR_InternalFailure, "cannot read the audit chain heads");
  }
  *n = rows;
  return 0;
}

static int store_chain_load_heads(store_t *s, store_chain_heads_t *h, err_t *e) {
  memset(h, 0, sizeof *h);
  if (store_chain_heads(s, &h->v, &h->n, e) < 0)
    return -1;
  if (!(h->seen = calloc((size_t)h->n + 1, 1))) {
    free(h->v);
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  return 0;
}

static void store_chain_heads_free(store_chain_heads_t *h) {
  free(h->v);
  free(h->seen);
}

static int store_chain_mark_cmp(const char *chain, long long seq, const store_chain_mark_t *m) {
  int c = strcmp(chain, m->at.chain);
  return c ? c : (seq > m->at.seq) - (seq < m->at.seq);
}

static int store_chain_mark_order(const void *a, const void *b) {
  const store_chain_mark_t *x = a;
  return store_chain_mark_cmp(x->at.chain, x->at.seq, b);
}

void store_chain_marks_sort(store_chain_mark_t *marks, int n) {
  if (n > 1)
    qsort(marks, (size_t)n, sizeof *marks, store_chain_mark_order);
}

/* The first mark at or after (chain, seq). */
static int store_chain_mark_first(const store_chain_walk_t *w, const char *chain,
                                  long long seq) {
  int lo = 0, hi = w->nmarks;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (store_chain_mark_cmp(chain, seq, &w->marks[mid]) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int store_chain_broken(store_chain_walk_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds a line to the report (as many as fit) and marks the chain being
 * walked broken: the rest of it is skipped, and its marks are not
 * reported again. 1. */
static int store_chain_broken(store_chain_walk_t *w, const char *fmt, ...) {
  size_t used = strlen(w->report);
  va_list ap;
  if (used + 2 < w->reportlen) {
    va_start(ap, fmt);
    vsnprintf(w->report + used, w->reportlen - used - 1, fmt, ap);
    va_end(ap);
    strcat(w->report, "\n");
  }
  w->problems++;
  w->chain_broken = 1;
  for (int i = store_chain_mark_first(w, w->chain, LLONG_MIN);
       i < w->nmarks && strcmp(w->marks[i].at.chain, w->chain) == 0; i++)
    w->marks[i].matched = 1;
  return 1;
}

/* The chain just walked against its head (marked seen): 0, or 1. */
static int store_chain_end(store_chain_walk_t *w) {
  store_chain_heads_t *h = w->heads;
  if (!w->chain[0])
    return 0;
  for (int i = 0; i < h->n; i++) {
    if (strcmp(h->v[i].chain, w->chain) != 0)
      continue;
    h->seen[i] = 1;
    if (!w->chain_broken &&
        (h->v[i].seq != w->next - 1 || CRYPTO_memcmp(h->v[i].hash, w->prev, 32) != 0))
      return store_chain_broken(w, "chain %s: its head is at seq %lld, its last event is not "
                                "(events deleted from the end)", w->chain, h->v[i].seq);
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

/* One row (single-row mode): 0 when it links (or its chain is already
 * broken), 1 when broken here (reported). */
static int store_chain_row(store_chain_walk_t *w, PGresult *r) {
  const char *chain = PQgetvalue(r, 0, 0);
  long long seq = atoll(PQgetvalue(r, 0, 1));
  unsigned char prev[32], hash[32], want[32];
  if (strcmp(chain, w->chain) != 0) {
    store_chain_end(w);
    snprintf(w->chain, sizeof w->chain, "%s", chain);
    w->next = 1;
    memset(w->prev, 0, 32);
    w->chains++;
    w->chain_broken = 0;
    for (int i = store_chain_mark_first(w, chain, LLONG_MIN);
         i < w->nmarks && strcmp(w->marks[i].at.chain, chain) == 0; i++)
      w->marks[i].chain_seen = 1;
  }
  w->rows++;
  if (w->chain_broken)
    return 0;
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
  for (int i = store_chain_mark_first(w, w->chain, seq);
       i < w->nmarks && store_chain_mark_cmp(w->chain, seq, &w->marks[i]) == 0; i++) {
    if (CRYPTO_memcmp(w->marks[i].at.hash, hash, 32) != 0)
      return store_chain_broken(w, "chain %s: seq %lld is not the event checkpoint %s signed "
                                "(the chain was rewritten)", w->chain, seq, w->marks[i].from);
    w->marks[i].matched = 1;
  }
  memcpy(w->prev, hash, 32);
  w->next++;
  return 0;
}

/* What the walk left: a checkpoint's chain that vanished or was cut (once
 * per chain), a head with no events, a CA with no chain. 0, or -1. */
static int store_chain_after(store_t *s, store_chain_walk_t *w, err_t *e) {
  store_chain_heads_t *h = w->heads;
  char **orphans = NULL;
  int n = 0;
  for (int i = 0; i < w->nmarks; i++)
    if (!w->marks[i].matched) {
      store_chain_mark_t *m = &w->marks[i];
      snprintf(w->chain, sizeof w->chain, "%s", m->at.chain);
      store_chain_broken(w, "chain %s: checkpoint %s signed it at seq %lld; %s", m->at.chain,
                         m->from, m->at.seq, m->chain_seen ? "it ends before that now (events "
                         "deleted from its end)" : "it has no events now (deleted)");
    }
  for (int i = 0; i < h->n; i++)
    if (!h->seen[i] && h->v[i].seq > 0)
      store_chain_broken(w, "chain %s: its head is at seq %lld and it has no events left "
                         "(deleted)", h->v[i].chain, h->v[i].seq);
  if (store_exec_strings(s, "SELECT arn FROM certificate_authorities a WHERE NOT EXISTS"
                         " (SELECT 1 FROM audit_events v WHERE v.chain = a.arn) ORDER BY arn",
                         0, NULL, &orphans, &n, e) < 0)
    return -1;
  for (int i = 0; i < n; i++)
    store_chain_broken(w, "CA %s has no audit chain (its events were deleted)", orphans[i]);
  store_strings_free(orphans, n);
  return 0;
}

int store_chain_verify(store_t *s, store_chain_mark_t *marks, int nmarks,
                       store_chain_result_t *out, err_t *e) {
  store_chain_heads_t heads;
  store_chain_walk_t w = {.heads = &heads, .marks = marks, .nmarks = nmarks,
                          .report = out->report, .reportlen = sizeof out->report};
  PGresult *r;
  int failed = 0;
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
    if (st == PGRES_SINGLE_TUPLE && !failed)
      store_chain_row(&w, r);
    if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed++)
      err_set(e, ERR_InternalFailure, "reading audit_events: %s", PQresultErrorMessage(r));
    PQclear(r);
  }
  if (!s->conn && !failed++)
    store_fail(s, NULL, e);
  if (!failed)
    store_chain_end(&w);
  if (!failed && store_chain_after(s, &w, e) < 0)
    failed = 1;
  out->events = w.rows;
  out->chains = w.chains;
  store_chain_heads_free(&heads);
  return failed ? -1 : w.problems > 0;
}
