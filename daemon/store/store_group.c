#include "store/store_group.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_priv.h"

#define STORE_GROUP_HARD_MAX 64 /* bounds the pipeline (libpq runs it blocking) */

typedef struct store_gitem {
  const store_stmt_t *st;
  int rows; /* the result's rows (SELECT) or rows touched; -1 failed */
  err_t err;
  int done;
  pthread_cond_t cv; /* its waiter's own: woken when done */
  struct store_gitem *next;
} store_gitem_t;

struct store_group {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* the committer's: statements waiting, or stop */
  store_gitem_t *head, *tail;
  int max_batch, stop, running;
  store_t *s; /* the committer's own connection */
  pthread_t thread;
  store_group_stats_t stats;
};

static void *store_group_main(void *arg);

store_group_t *store_group_new(const cfg_t *cfg) {
  store_group_t *g = calloc(1, sizeof *g);
  long max_batch = cfg->db_group_commit_max;
  if (!g || !(g->s = store_new(cfg))) {
    free(g);
    return NULL;
  }
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  g->max_batch = max_batch < 1 ? 1 : max_batch > STORE_GROUP_HARD_MAX ? STORE_GROUP_HARD_MAX
                                                                      : (int)max_batch;
  if (pthread_create(&g->thread, NULL, store_group_main, g) != 0) {
    store_group_free(g);
    return NULL;
  }
  g->running = 1;
  return g;
}

void store_group_free(store_group_t *g) {
  if (!g)
    return;
  if (g->running) {
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
  }
  store_free(g->s);
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g);
}

void store_group_join(store_t *s, store_group_t *g) { s->group = g; }

void store_group_stats(store_group_t *g, store_group_stats_t *out) {
  pthread_mutex_lock(&g->mu);
  *out = g->stats;
  pthread_mutex_unlock(&g->mu);
}

/* The rows of a statement's result: returned (SELECT, RETURNING) or
 * touched (INSERT, UPDATE without RETURNING). */
static int store_group_rows(PGresult *r) {
  return PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : atoi(PQcmdTuples(r));
}

/* Runs one statement alone: its own (implicit) transaction. */
static void store_group_alone(store_t *s, store_gitem_t *it) {
  const store_stmt_t *st = it->st;
  PGresult *r = store_exec_bin(s, st->sql, st->n, st->params, st->lens, st->fmts, &it->err);
  it->rows = r ? store_group_rows(r) : -1;
  PQclear(r);
}

/* The next result of the pipeline, and the NULL that ends it (NULL when
 * the server did not answer in time: the connection is then gone). */
static PGresult *store_group_result(store_t *s) {
  PGresult *r = store_result(s), *end;
  while (r && (end = store_result(s)) != NULL)
    PQclear(end);
  return r;
}

/* The last statement before COMMIT fails (and so rolls the batch back)
 * once pcad has stopped waiting for the batch: a server that hung with the
 * batch in its socket and runs it later commits none of it. */
static const char store_group_guard[] =
    "SELECT 1 / (clock_timestamp() < to_timestamp($1::double precision))::int";

/* Sends BEGIN, the statements, the guard, COMMIT and a sync. 0, or -1. */
static int store_group_send(store_t *s, store_gitem_t **it, int n, char (*names)[32]) {
  PGconn *c = s->conn;
  struct timespec now;
  char until[32];
  const char *gp[1] = {until};
  clock_gettime(CLOCK_REALTIME, &now);
  snprintf(until, sizeof until, "%.3f",
           (double)now.tv_sec + (double)now.tv_nsec / 1e9 + (double)(s->stmt_timeout_ms + 1000) / 1e3);
  if (!PQenterPipelineMode(c) || !PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
    return -1;
  for (int i = 0; i < n; i++) {
    const store_stmt_t *st = it[i]->st;
    int ok = names[i][0] ? PQsendQueryPrepared(c, names[i], st->n, st->params, st->lens,
                                               st->fmts, 0)
                         : PQsendQueryParams(c, st->sql, st->n, NULL, st->params, st->lens,
                                             st->fmts, 0);
    if (!ok)
      return -1;
  }
  return PQsendQueryParams(c, store_group_guard, 1, NULL, gp, NULL, NULL, 0) &&
                 PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) &&
                 PQpipelineSync(c)
             ? 0
             : -1;
}

/* Reads the pipeline's results into the items: 0 when every statement
 * succeeded and the transaction committed, else -1. */
static int store_group_read(store_t *s, store_gitem_t **it, int n) {
  PGresult *r = store_group_result(s);
  int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  for (int i = 0; i < n; i++) {
    ExecStatusType st;
    r = store_group_result(s);
    st = PQresultStatus(r);
    it[i]->rows = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK ? store_group_rows(r) : -1;
    ok &= it[i]->rows >= 0;
    PQclear(r);
  }
  r = store_group_result(s); /* the guard */
  ok &= PQresultStatus(r) == PGRES_TUPLES_OK;
  PQclear(r);
  r = store_group_result(s); /* COMMIT: "ROLLBACK" when the transaction failed */
  ok &= PQresultStatus(r) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(r), "COMMIT") == 0;
  PQclear(r);
  r = store_result(s);
  ok &= PQresultStatus(r) == PGRES_PIPELINE_SYNC;
  PQclear(r);
  return s->conn && PQexitPipelineMode(s->conn) && ok ? 0 : -1;
}

/* The batch as one transaction; when that fails, each statement alone. How
 * many ran alone. */
static int store_group_run(store_t *s, store_gitem_t **it, int n) {
  char names[STORE_GROUP_HARD_MAX][32];
  err_t e;
  if (store_ready(s, &e) < 0) {
    for (int i = 0; i < n; i++)
      store_group_alone(s, it[i]);
    return n;
  }
  for (int i = 0; i < n; i++)
    if (!store_prepared(s, it[i]->st->sql, it[i]->st->n, names[i]))
      names[i][0] = '\0';
  if (store_group_send(s, it, n, names) == 0 && store_group_read(s, it, n) == 0)
    return 0;
  /* a pipeline that did not end cleanly: the connection is not trusted */
  if (s->conn && PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF && !PQexitPipelineMode(s->conn))
    store_drop(s);
  store_rollback(s);
  for (int i = 0; i < n; i++)
    store_group_alone(s, it[i]);
  return n;
}

/* Under g->mu: takes up to max_batch waiting items. */
static int store_group_take(store_group_t *g, store_gitem_t **batch) {
  int n = 0;
  while (g->head && n < g->max_batch) {
    batch[n++] = g->head;
    g->head = g->head->next;
  }
  if (!g->head)
    g->tail = NULL;
  return n;
}

/* Under g->mu, the batch done: counted, and each of its waiters woken. */
static void store_group_done(store_group_t *g, store_gitem_t **batch, int n, int alone) {
  g->stats.batches++;
  g->stats.statements += n;
  g->stats.retried_alone += alone;
  for (int i = 0; i < n; i++) {
    batch[i]->done = 1;
    pthread_cond_signal(&batch[i]->cv);
  }
}

/* The committer: runs batches on its own connection while statements
 * wait, so that the next batch starts as soon as one ends, with no hand-over
 * to another thread in between; drains the queue before it stops. */
static void *store_group_main(void *arg) {
  store_group_t *g = arg;
  pthread_mutex_lock(&g->mu);
  for (;;) {
    store_gitem_t *batch[STORE_GROUP_HARD_MAX];
    int n, alone;
    while (!g->head && !g->stop)
      pthread_cond_wait(&g->cv, &g->mu);
    if (!g->head)
      break;
    n = store_group_take(g, batch);
    pthread_mutex_unlock(&g->mu);
    alone = store_group_run(g->s, batch, n);
    pthread_mutex_lock(&g->mu);
    store_group_done(g, batch, n, alone);
  }
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

int store_group_exec(store_t *s, const store_stmt_t *st, err_t *e) {
  store_group_t *g = s->group;
  store_gitem_t me = {.st = st, .rows = -1};
  int queued = 0;
  if (g) {
    pthread_cond_init(&me.cv, NULL);
    pthread_mutex_lock(&g->mu);
    if (!g->stop) { /* a stopped committer takes no more */
      if (g->tail)
        g->tail->next = &me;
      else
        g->head = &me;
      g->tail = &me;
      pthread_cond_signal(&g->cv);
      while (!me.done)
        pthread_cond_wait(&me.cv, &g->mu);
      queued = 1;
    }
    pthread_mutex_unlock(&g->mu);
    pthread_cond_destroy(&me.cv);
  }
  if (!queued)
    store_group_alone(s, &me);
  if (me.rows < 0)
    *e = me.err;
  return me.rows;
}
