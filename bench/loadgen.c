/* pcad-loadgen: keeps N keep-alive TLS connections to pcad, signs every
 * request afresh with SigV4 (a new X-Amz-Date second and a per-request
 * nonce header in the signature: never a replay) and runs a mix of
 * operations for a duration or a count; prints throughput, p50/p95/p99
 * latency and the errors by __type.
 *
 * usage: pcad-loadgen --endpoint HOST:PORT --ca-bundle PEM --akid ID
 *          --secret-file F [--region R] [--conns N] [--seconds S | --count C]
 *          [--record FILE] [--post PATH] --op Operation=BODYFILE [--op ...]
 * Operations are taken in turn. --record writes the body of every 200, one
 * per line, flushed as it comes (what pcad acknowledged, for crash tests).
 * --post PATH sends each body as a plain JSON POST to PATH instead, without
 * SigV4 or credentials (cfssl serve's /api/v1/cfssl/sign, for bench/run). The secret is read from a file so it is
 * never on a command line. One thread per connection. */
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/sigv4.h"
#include "base/buf.h"

#define LG_MAX_OPS 8
#define LG_MAX_ERRTYPES 16

typedef struct {
  char name[64];
  char *body;
  size_t len;
} lg_op_t;

typedef struct {
  const char *host, *port, *ca, *akid, *region;
  const char *post_path; /* --post: a plain JSON POST (cfssl), no SigV4 */
  char secret[256];
  int conns;
  double seconds;
  long count;
  lg_op_t ops[LG_MAX_OPS];
  int nops;
  SSL_CTX *ctx;
  FILE *record; /* --record: every 200's body, one per line */
  pthread_mutex_t record_mu;
  atomic_long issued; /* requests started (for --count) */
  double t_end;
} lg_t;

typedef struct {
  char type[64];
  long n;
} lg_errtype_t;

typedef struct {
  lg_t *g;
  int idx;
  double *lat; /* ms */
  long nlat, cap;
  lg_errtype_t errs[LG_MAX_ERRTYPES];
  int nerrs;
  long failed_io;
} lg_worker_t;

static double lg_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void lg_count_err(lg_worker_t *w, const char *type) {
  int i = 0;
  while (i < w->nerrs && strcmp(w->errs[i].type, type) != 0)
    i++;
  if (i == w->nerrs && w->nerrs < LG_MAX_ERRTYPES)
    snprintf(w->errs[w->nerrs++].type, sizeof w->errs[0].type, "%s", type);
  if (i < w->nerrs)
    w->errs[i].n++;
}

static SSL *lg_connect(lg_t *g) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
  SSL *ssl = NULL;
  int fd = -1;
  if (getaddrinfo(g->host, g->port, &hints, &ai) != 0)
    return NULL;
  fd = socket(ai->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 && (ssl = SSL_new(g->ctx))) {
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, g->host);
    if (SSL_connect(ssl) != 1) {
      SSL_free(ssl);
      ssl = NULL;
    }
  }
  if (!ssl && fd >= 0)
    close(fd);
  freeaddrinfo(ai);
  return ssl;
}

/* A plain POST of op's body to --post's path (cfssl's API): no signature. */
static int lg_plain(lg_t *g, const lg_op_t *op, buf_t *out) {
  out->len = 0;
  return buf_printf(out,
                    "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    g->post_path, g->host, g->port, op->len) == 0 &&
                 buf_append(out, op->body, op->len) == 0
             ? 0
             : -1;
}

/* The whole HTTP request for op, signed now. */
static int lg_request(lg_t *g, const lg_op_t *op, buf_t *out) {
  char date[17], day[9], target[96], host[300], nonce[33], hash[65], sig[65], scope[160];
  unsigned char rnd[16];
  time_t now = time(NULL);
  struct tm tm;
  buf_t creq = {0}, sts = {0};
  int rc;
  if (g->post_path)
    return lg_plain(g, op, out);
  gmtime_r(&now, &tm);
  strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(day, sizeof day, "%.8s", date);
  snprintf(target, sizeof target, "ACMPrivateCA.%s", op->name);
  snprintf(host, sizeof host, "%s:%s", g->host, g->port);
  if (RAND_bytes(rnd, sizeof rnd) != 1)
    return -1;
  for (int i = 0; i < 16; i++)
    snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
  sigv4_header_t h[5] = {{"Content-Type", "application/x-amz-json-1.1"},
                         {"Host", host},
                         {"X-Amz-Date", date},
                         {"X-Amz-Target", target},
                         {"X-Bench-Nonce", nonce}};
  sigv4_request_t r = {"POST", "/", "", h, 5, (const unsigned char *)op->body, op->len};
  sigv4_sha256_hex(op->body, op->len, hash);
  snprintf(scope, sizeof scope, "%s/%s/acm-pca/aws4_request", day, g->region);
  rc = sigv4_canonical_request(&r, "content-type;host;x-amz-date;x-amz-target;x-bench-nonce",
                               hash, &creq) == 0 &&
               sigv4_string_to_sign(date, scope, creq.data, &sts) == 0 &&
               sigv4_signature(g->secret, day, g->region, "acm-pca", sts.data, sig) == 0
           ? 0
           : -1;
  out->len = 0;
  if (rc == 0)
    rc = buf_printf(out,
                    "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.1\r\n"
                    "X-Amz-Date: %s\r\nX-Amz-Target: %s\r\nX-Bench-Nonce: %s\r\n"
                    "Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders="
                    "content-type;host;x-amz-date;x-amz-target;x-bench-nonce, Signature=%s\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    host, date, target, nonce, g->akid, scope, sig, op->len) == 0 &&
                 buf_append(out, op->body, op->len) == 0
             ? 0
             : -1;
  buf_free(&creq);
  buf_free(&sts);
  return rc;
}

/* One response: its status, and in type its __type when not 200; its body
 * starts at in->data + *body. -1 when the connection broke. */
static int lg_response(SSL *ssl, buf_t *in, char type[64], size_t *body) {
  char *end, *cl;
  size_t need;
  int status;
  in->len = 0;
  if (in->data)
    in->data[0] = '\0'; /* not the last response's head */
  while (!(in->data && (end = strstr(in->data, "\r\n\r\n")))) {
    char chunk[16384];
    int n = SSL_read(ssl, chunk, sizeof chunk);
    if (n <= 0 || buf_append(in, chunk, (size_t)n) < 0)
      return -1;
  }
  if (sscanf(in->data, "HTTP/1.1 %d", &status) != 1)
    return -1;
  /* offsets, not pointers: reading the rest may move in->data */
  *body = (size_t)(end + 4 - in->data);
  cl = strcasestr(in->data, "\r\nContent-Length:");
  need = *body + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
  while (in->len < need) {
    char chunk[16384];
    int n = SSL_read(ssl, chunk, sizeof chunk);
    if (n <= 0 || buf_append(in, chunk, (size_t)n) < 0)
      return -1;
  }
  type[0] = '\0';
  if (status != 200) {
    char *t = strstr(in->data + *body, "\"__type\":\"");
    snprintf(type, 64, "%.*s", t ? (int)strcspn(t + 10, "\"") : 4, t ? t + 10 : "HTTP");
  }
  return status;
}

static void lg_record(lg_t *g, const char *body, size_t n) {
  pthread_mutex_lock(&g->record_mu);
  fprintf(g->record, "%.*s\n", (int)n, body);
  fflush(g->record);
  pthread_mutex_unlock(&g->record_mu);
}

static int lg_more(lg_t *g) {
  if (g->count > 0)
    return atomic_fetch_add(&g->issued, 1) < g->count;
  return lg_now() < g->t_end;
}

static void *lg_worker(void *arg) {
  lg_worker_t *w = arg;
  lg_t *g = w->g;
  buf_t req = {0}, in = {0};
  SSL *ssl = lg_connect(g);
  char type[64];
  for (long k = w->idx; ssl && lg_more(g); k++) {
    const lg_op_t *op = &g->ops[k % g->nops];
    double t0 = lg_now();
    int status;
    size_t body;
    if (lg_request(g, op, &req) < 0 || SSL_write(ssl, req.data, (int)req.len) <= 0 ||
        (status = lg_response(ssl, &in, type, &body)) < 0) {
      w->failed_io++;
      SSL_free(ssl); /* reconnect */
      ssl = lg_connect(g);
      continue;
    }
    if (status != 200)
      lg_count_err(w, type);
    else if (g->record)
      lg_record(g, in.data + body, in.len - body);
    if (w->nlat == w->cap) {
      double *grown = realloc(w->lat, (size_t)(w->cap ? w->cap * 2 : 4096) * sizeof *grown);
      if (!grown)
        break;
      w->lat = grown;
      w->cap = w->cap ? w->cap * 2 : 4096;
    }
    w->lat[w->nlat++] = (lg_now() - t0) * 1000;
  }
  if (!ssl)
    w->failed_io++;
  SSL_free(ssl);
  buf_free(&req);
  buf_free(&in);
  return NULL;
}

static int lg_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void lg_report(lg_t *g, lg_worker_t *w, double took) {
  long n = 0, io = 0, errs = 0;
  double *all;
  for (int i = 0; i < g->conns; i++)
    n += w[i].nlat, io += w[i].failed_io;
  all = calloc((size_t)(n ? n : 1), sizeof *all);
  for (int i = 0, k = 0; all && i < g->conns; i++)
    for (long j = 0; j < w[i].nlat; j++)
      all[k++] = w[i].lat[j];
  if (all)
    qsort(all, (size_t)n, sizeof *all, lg_cmp);
  printf("requests %ld in %.2f s: %.1f/s with %d connections\n", n, took, (double)n / took,
         g->conns);
  if (all && n)
    printf("latency ms: p50 %.2f p95 %.2f p99 %.2f max %.2f\n", all[n / 2],
           all[(long)(n * 0.95)], all[(long)(n * 0.99)], all[n - 1]);
  for (int i = 1; i < g->conns; i++) /* all counts into worker 0's table */
    for (int k = 0; k < w[i].nerrs; k++)
      for (long c = 0; c < w[i].errs[k].n; c++)
        lg_count_err(&w[0], w[i].errs[k].type);
  for (int k = 0; k < w[0].nerrs; k++) {
    printf("error %s: %ld\n", w[0].errs[k].type, w[0].errs[k].n);
    errs += w[0].errs[k].n;
  }
  printf("errors %ld, broken connections %ld\n", errs, io);
  free(all);
}

/* Operation=BODYFILE */
static int lg_add_op(lg_t *g, const char *spec) {
  const char *eq = strchr(spec, '=');
  lg_op_t *op = &g->ops[g->nops];
  FILE *f;
  buf_t b = {0};
  char chunk[4096];
  size_t n;
  if (!eq || g->nops == LG_MAX_OPS || (size_t)(eq - spec) >= sizeof op->name ||
      !(f = fopen(eq + 1, "rb")))
    return -1;
  snprintf(op->name, sizeof op->name, "%.*s", (int)(eq - spec), spec);
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    buf_append(&b, chunk, n);
  fclose(f);
  op->len = b.len;
  op->body = b.data ? buf_take(&b) : strdup("{}");
  g->nops++;
  return 0;
}

static int lg_args(lg_t *g, int argc, char **argv) {
  const char *endpoint = NULL, *secret_file = NULL;
  static char host[256];
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (strcmp(k, "--endpoint") == 0)
      endpoint = v;
    else if (strcmp(k, "--ca-bundle") == 0)
      g->ca = v;
    else if (strcmp(k, "--akid") == 0)
      g->akid = v;
    else if (strcmp(k, "--secret-file") == 0)
      secret_file = v;
    else if (strcmp(k, "--region") == 0)
      g->region = v;
    else if (strcmp(k, "--conns") == 0)
      g->conns = atoi(v);
    else if (strcmp(k, "--seconds") == 0)
      g->seconds = atof(v);
    else if (strcmp(k, "--count") == 0)
      g->count = atol(v);
    else if (strcmp(k, "--post") == 0)
      g->post_path = v;
    else if (strcmp(k, "--record") == 0) {
      if (!(g->record = fopen(v, "w")))
        return -1;
    }
    else if (strcmp(k, "--op") != 0 || lg_add_op(g, v) < 0)
      return -1;
  }
  if (!endpoint || !strchr(endpoint, ':') || !g->ca ||
      (!g->post_path && (!g->akid || !secret_file)) || g->nops == 0 || g->conns < 1 ||
      (g->seconds <= 0 && g->count <= 0))
    return -1;
  snprintf(host, sizeof host, "%.*s", (int)(strchr(endpoint, ':') - endpoint), endpoint);
  g->host = host;
  g->port = strchr(endpoint, ':') + 1;
  if (g->post_path)
    return 0;
  FILE *f = fopen(secret_file, "r");
  if (!f || !fgets(g->secret, sizeof g->secret, f)) {
    if (f)
      fclose(f);
    return -1;
  }
  fclose(f);
  g->secret[strcspn(g->secret, "\r\n")] = '\0';
  return 0;
}

int main(int argc, char **argv) {
  static lg_t g = {.region = "us-east-1", .conns = 16, .record_mu = PTHREAD_MUTEX_INITIALIZER};
  lg_worker_t *w;
  pthread_t *th;
  double t0;
  if (lg_args(&g, argc, argv) < 0) {
    fprintf(stderr, "usage: pcad-loadgen --endpoint HOST:PORT --ca-bundle PEM --akid ID"
                    " --secret-file F [--region R] [--conns N] (--seconds S | --count C)"
                    " [--record FILE] [--post PATH] --op Operation=BODYFILE [--op ...]\n");
    return 2;
  }
  g.ctx = SSL_CTX_new(TLS_client_method());
  if (!g.ctx || SSL_CTX_load_verify_locations(g.ctx, g.ca, NULL) != 1) {
    fprintf(stderr, "pcad-loadgen: cannot read %s\n", g.ca);
    return 1;
  }
  SSL_CTX_set_verify(g.ctx, SSL_VERIFY_PEER, NULL);
  w = calloc((size_t)g.conns, sizeof *w);
  th = calloc((size_t)g.conns, sizeof *th);
  if (!w || !th)
    return 1;
  t0 = lg_now();
  g.t_end = t0 + g.seconds;
  for (int i = 0; i < g.conns; i++) {
    w[i] = (lg_worker_t){.g = &g, .idx = i};
    pthread_create(&th[i], NULL, lg_worker, &w[i]);
  }
  for (int i = 0; i < g.conns; i++)
    pthread_join(th[i], NULL);
  lg_report(&g, w, lg_now() - t0);
  for (int i = 0; i < g.conns; i++)
    free(w[i].lat);
  free(w);
  free(th);
  SSL_CTX_free(g.ctx);
  if (g.record)
    fclose(g.record);
  return 0;
}
