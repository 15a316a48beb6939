#include "core/checkpoint.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "core/sigalg.h"
#include "store/store.h"

#define CHECKPOINT_KEY_ALG "EC_prime256v1"
#define CHECKPOINT_SIGALG "SHA256WITHECDSA"
#define CHECKPOINT_MAGIC "pcad audit checkpoint 1\n"

int checkpoint_key(const ctx_t *c, int create, unsigned char id[KEY_ID_LEN], err_t *e) {
  int rc;
  if (!create)
    return key_labelled(c, CHECKPOINT_KEY_LABEL, NULL, id, e);
  /* two instances starting at once make one key between them */
  if (store_lock(c->store, "audit-key", 1, e) < 0)
    return -1;
  rc = key_labelled(c, CHECKPOINT_KEY_LABEL, CHECKPOINT_KEY_ALG, id, e);
  err_ignore(store_lock(c->store, "audit-key", 0, NULL)); /* or it goes with the connection */
  return rc;
}

static void checkpoint_hex(const unsigned char *v, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", v[i]);
}

int checkpoint_key_sha256(EVP_PKEY *pub, char out[65]) {
  unsigned char *der = NULL, md[32];
  int len = pub ? i2d_PUBKEY(pub, &der) : -1;
  int ok = len > 0 && EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);
  if (ok)
    checkpoint_hex(md, 32, out);
  OPENSSL_free(der);
  return ok ? 0 : -1;
}

char *checkpoint_body(const store_chain_head_t *h, int n, long long written, const char *by,
                      const char key_sha256[65], size_t *len) {
  buf_t b = {0};
  char iso[32], hash[65];
  time_t t = (time_t)written;
  struct tm tm;
  int ok = gmtime_r(&t, &tm) && strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm) &&
           buf_printf(&b, CHECKPOINT_MAGIC "written %lld %s\nby %s\nkey %s\n", written, iso, by,
                      key_sha256) == 0;
  for (int i = 0; ok && i < n; i++) {
    for (const char *p = h[i].chain; ok && *p; p++)
      ok = !iscntrl((unsigned char)*p) && *p != ' '; /* a chain name is one word */
    checkpoint_hex(h[i].hash, 32, hash);
    ok = ok && buf_printf(&b, "chain %lld %s %s\n", h[i].seq, hash, h[i].chain) == 0;
  }
  ok = ok && buf_putc(&b, '\0') == 0;
  if (!ok) {
    buf_free(&b);
    return NULL;
  }
  *len = b.len - 1;
  return (char *)b.data;
}

/* The document whole: the body and its signature by the audit key. */
static char *checkpoint_sign(const ctx_t *c, const unsigned char id[KEY_ID_LEN],
                             const char *body, size_t len, size_t *outlen, err_t *e) {
  size_t siglen = 0;
  unsigned char *sig = key_sign_data(c, id, body, len, CHECKPOINT_SIGALG, &siglen, e);
  char *doc = sig ? malloc(len + 16 + 4 * ((siglen + 2) / 3)) : NULL;
  int n;
  if (doc) {
    memcpy(doc, body, len);
    memcpy(doc + len, "signature ", 10);
    n = EVP_EncodeBlock((unsigned char *)doc + len + 10, sig, (int)siglen);
    doc[len + 10 + n] = '\n';
    doc[len + 11 + n] = '\0';
    *outlen = len + 11 + (size_t)n;
  } else if (sig) {
    err_set(e, ERR_InternalFailure, "out of memory");
  }
  free(sig);
  return doc;
}

/* <host>-<pid>, with what a bucket path cannot hold made '_'. */
static void checkpoint_by(char *out, size_t n) {
  char host[64] = "host";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  for (char *p = host; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
      *p = '_';
  snprintf(out, n, "%s-%ld", host, (long)getpid());
}

/* The document into the directory first (S3 away or refusing must not
 * leave this host without it), then into S3 as well when there is one. */
static int checkpoint_put(const bucket_t *b, const char *target, const char *doc, size_t len,
                          err_t *e) {
  bucket_t local = {b->root, 1, NULL};
  if (bucket_write(&local, target, "text/plain", NULL, doc, len, e) < 0)
    return -1;
  return b->s3 ? bucket_write(b, target, "text/plain", NULL, doc, len, e) : 0;
}

int checkpoint_write(const ctx_t *c, const bucket_t *b, const char *bucket,
                     const unsigned char id[KEY_ID_LEN], err_t *e) {
  static atomic_long count;
  store_chain_head_t *heads = NULL;
  EVP_PKEY *pub = NULL;
  char by[96], keyhex[65], target[384], stamp[24], digest[65], *body = NULL, *doc = NULL;
  unsigned char md[32];
  size_t blen = 0, dlen = 0;
  long long now = clock_now();
  time_t t = (time_t)now;
  struct tm tm;
  int n = 0, rc = -1;
  checkpoint_by(by, sizeof by);
  gmtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(target, sizeof target, "%s/" CHECKPOINT_DIR "/%s-%s-%ld.txt", bucket, stamp, by,
           atomic_fetch_add(&count, 1));
  if (store_chain_heads(c->store, &heads, &n, e) < 0 || !(pub = key_public(c, id, e)))
    goto out;
  if (checkpoint_key_sha256(pub, keyhex) < 0 ||
      !(body = checkpoint_body(heads, n, now, by, keyhex, &blen))) {
    err_set(e, ERR_InternalFailure, "cannot write the checkpoint (a chain name is not one word)");
    goto out;
  }
  if (!(doc = checkpoint_sign(c, id, body, blen, &dlen, e)))
    goto out;
  EVP_Digest(doc, dlen, md, NULL, EVP_sha256(), NULL);
  checkpoint_hex(md, 32, digest);
  /* the log has it even when the bucket write fails */
  log_notice(&c->log, "audit checkpoint %s: %d chains, sha256 %s", target, n, digest);
  rc = checkpoint_put(b, target, doc, dlen, e);
out:
  EVP_PKEY_free(pub);
  free(heads);
  free(body);
  free(doc);
  return rc;
}

void checkpoint_clear(checkpoint_t *cp) {
  free(cp->heads);
  free(cp->sig);
  memset(cp, 0, sizeof *cp);
}

static int checkpoint_unhex(const char *s, unsigned char out[32]) {
  for (int i = 0; i < 32; i++) {
    unsigned v;
    if (!isxdigit((unsigned char)s[2 * i]) || !isxdigit((unsigned char)s[2 * i + 1]) ||
        sscanf(s + 2 * i, "%2x", &v) != 1)
      return -1;
    out[i] = (unsigned char)v;
  }
  return s[64] == '\0' ? 0 : -1;
}

/* One line of the body (NUL-terminated, no '\n'): 0, or -1. */
static int checkpoint_line(checkpoint_t *cp, const char *l) {
  char hex[65], chain[256];
  long long seq;
  int used = 0;
  if (sscanf(l, "written %lld %*s%n", &cp->written, &used) == 1 && l[used] == '\0')
    return 0;
  if (strncmp(l, "by ", 3) == 0)
    return 0;
  if (sscanf(l, "key %64[0-9a-f]%n", cp->key_sha256, &used) == 1 && l[used] == '\0' &&
      strlen(cp->key_sha256) == 64)
    return 0;
  if (sscanf(l, "chain %lld %64[0-9a-f] %255[^ ]%n", &seq, hex, chain, &used) == 3 &&
      l[used] == '\0' && seq > 0) {
    store_chain_head_t *h = &cp->heads[cp->n];
    if (checkpoint_unhex(hex, h->hash) < 0)
      return -1;
    snprintf(h->chain, sizeof h->chain, "%s", chain);
    h->seq = seq;
    cp->n++;
    return 0;
  }
  return -1;
}

/* The signature line's base64 (up to '\n') into cp->sig. */
static int checkpoint_sig(checkpoint_t *cp, const char *b64, size_t n) {
  int len;
  if (n == 0 || n % 4 || !(cp->sig = malloc(n)))
    return -1;
  len = EVP_DecodeBlock(cp->sig, (const unsigned char *)b64, (int)n);
  if (len < 0)
    return -1;
  len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
  cp->siglen = (size_t)len;
  return 0;
}

int checkpoint_parse(const char *doc, size_t len, checkpoint_t *out, err_t *e) {
  char *text = strndup(doc, len), *sig, *p, *nl;
  int lines = 0, rc = -1;
  memset(out, 0, sizeof *out);
  if (!text || strlen(text) != len || strncmp(text, CHECKPOINT_MAGIC, strlen(CHECKPOINT_MAGIC)))
    goto out;
  if (!(sig = strstr(text, "\nsignature ")) || !(nl = strchr(sig + 11, '\n')) || nl[1] != '\0')
    goto out;
  out->body_len = (size_t)(sig - text) + 1;
  if (checkpoint_sig(out, sig + 11, (size_t)(nl - (sig + 11))) < 0)
    goto out;
  sig[1] = '\0';
  for (p = text; *p; p++)
    lines += *p == '\n';
  if (!(out->heads = calloc((size_t)lines + 1, sizeof *out->heads)))
    goto out;
  rc = 0;
  for (p = text + strlen(CHECKPOINT_MAGIC); rc == 0 && *p; p = nl + 1) {
    nl = strchr(p, '\n');
    *nl = '\0';
    rc = checkpoint_line(out, p);
  }
  if (rc == 0 && (!out->written || !out->key_sha256[0]))
    rc = -1;
out:
  free(text);
  if (rc < 0) {
    checkpoint_clear(out);
    err_set(e, ERR_InvalidArgsException, "not a checkpoint document");
  }
  return rc;
}

void checkpoint_free(checkpoint_t *cps, int n) {
  for (int i = 0; cps && i < n; i++)
    checkpoint_clear(&cps[i]);
  free(cps);
}

static int checkpoint_name_order(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir's *.txt files, sorted (oldest first: they start with
 * the time); -1 when dir cannot be read (none yet is 0 names). */
static int checkpoint_names(const char *dir, char ***names, int *n, err_t *e) {
  DIR *d = opendir(dir);
  struct dirent *de;
  size_t cap = 0;
  *names = NULL;
  *n = 0;
  if (!d)
    return errno == ENOENT ? 0 : err_set(e, ERR_InternalFailure, "%s: %s", dir, strerror(errno));
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name);
    char **grown;
    if (l < 5 || strcmp(de->d_name + l - 4, ".txt") != 0 || !bucket_path_ok(de->d_name))
      continue;
    if ((size_t)*n == cap) {
      cap = cap ? 2 * cap : 64;
      if (!(grown = realloc(*names, cap * sizeof *grown)))
        break;
      *names = grown;
    }
    if (!((*names)[*n] = strdup(de->d_name)))
      break;
    (*n)++;
  }
  closedir(d);
  if (de) {
    for (int i = 0; i < *n; i++)
      free((*names)[i]);
    free(*names);
    *names = NULL;
    *n = 0;
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  if (*n > 1)
    qsort(*names, (size_t)*n, sizeof **names, checkpoint_name_order);
  return 0;
}

/* dir/name whole (at most 16 MiB), malloc'ed, or NULL. */
static char *checkpoint_file(const char *dir, const char *name, size_t *len) {
  char path[4096];
  FILE *f = snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path
                ? fopen(path, "rb")
                : NULL;
  char *data = NULL;
  long n = -1;
  if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (16L << 20) &&
      fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) != NULL &&
      fread(data, 1, (size_t)n, f) != (size_t)n) {
    free(data);
    data = NULL;
  }
  if (f)
    fclose(f);
  *len = data ? (size_t)n : 0;
  return data;
}

/* One file read, parsed and its signature checked: 0, or 1 (why set). */
static int checkpoint_read(const char *dir, const char *name, EVP_PKEY *pub,
                           const char *keyhex, checkpoint_t *cp, char *why, size_t whylen) {
  size_t len = 0;
  char *doc = checkpoint_file(dir, name, &len);
  err_t e;
  int rc = 1;
  if (!doc)
    snprintf(why, whylen, "checkpoint %s cannot be read", name);
  else if (checkpoint_parse(doc, len, cp, &e) < 0)
    snprintf(why, whylen, "checkpoint %s is not a checkpoint document", name);
  else if (strcmp(cp->key_sha256, keyhex) != 0)
    snprintf(why, whylen, "checkpoint %s names key %s, not the audit key %s", name,
             cp->key_sha256, keyhex);
  else if (!sigalg_verify_data((const unsigned char *)doc, cp->body_len, cp->sig, cp->siglen,
                               pub, CHECKPOINT_SIGALG))
    snprintf(why, whylen, "checkpoint %s: its signature does not verify (forged or changed)",
             name);
  else
    rc = 0;
  if (rc == 0)
    snprintf(cp->name, sizeof cp->name, "%s", name);
  else
    checkpoint_clear(cp);
  free(doc);
  return rc;
}

/* Every checkpoint's heads as marks, sorted. */
static int checkpoint_marks(checkpoint_t *cps, int ncps, store_chain_mark_t **marks,
                            int *nmarks) {
  int total = 0, k = 0;
  for (int i = 0; i < ncps; i++)
    total += cps[i].n;
  if (!(*marks = calloc((size_t)total + 1, sizeof **marks)))
    return -1;
  for (int i = 0; i < ncps; i++)
    for (int j = 0; j < cps[i].n; j++, k++) {
      (*marks)[k].at = cps[i].heads[j];
      (*marks)[k].from = cps[i].name;
    }
  *nmarks = total;
  store_chain_marks_sort(*marks, total);
  return 0;
}

int checkpoint_load(const char *dir, EVP_PKEY *pub, checkpoint_t **cps, int *ncps,
                    store_chain_mark_t **marks, int *nmarks, char *why, size_t whylen,
                    err_t *e) {
  char **names = NULL, keyhex[65];
  int n = 0, rc = 0;
  *cps = NULL;
  *ncps = *nmarks = 0;
  *marks = NULL;
  if (checkpoint_key_sha256(pub, keyhex) < 0)
    return err_set(e, ERR_InternalFailure, "the audit key cannot be read");
  if (checkpoint_names(dir, &names, &n, e) < 0)
    return -1;
  if (!(*cps = calloc((size_t)n + 1, sizeof **cps)))
    rc = err_set(e, ERR_InternalFailure, "out of memory");
  for (int i = 0; rc == 0 && i < n; i++, (*ncps)++)
    rc = checkpoint_read(dir, names[i], pub, keyhex, &(*cps)[i], why, whylen);
  if (rc == 0 && checkpoint_marks(*cps, *ncps, marks, nmarks) < 0)
    rc = err_set(e, ERR_InternalFailure, "out of memory");
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}
