#include "api/sigv4.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGV4_ALGO "AWS4-HMAC-SHA256"

/* Headers a request must sign: without x-amz-target the operation could be
 * swapped on replay (security-and-faults.md 3.1). */
static const char *const sigv4_required[] = {"content-type", "host", "x-amz-date",
                                             "x-amz-target"};

static const char sigv4_hex[] = "0123456789abcdef";

static void sigv4_to_hex(const unsigned char *p, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = sigv4_hex[p[i] >> 4];
    out[2 * i + 1] = sigv4_hex[p[i] & 15];
  }
  out[2 * n] = '\0';
}

/* SHA-256 and HMAC-SHA256 fetched once: EVP_sha256() and HMAC() look the
 * algorithms up again on every call in OpenSSL 3 (five HMACs and a digest
 * per request). The HMAC context has its digest set; each use duplicates
 * it and sets the key. */
static pthread_once_t sigv4_once = PTHREAD_ONCE_INIT;
static EVP_MD *sigv4_md;
static EVP_MAC_CTX *sigv4_hmac_proto;

static void sigv4_fetch(void) {
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                    OSSL_PARAM_construct_end()};
  sigv4_md = EVP_MD_fetch(NULL, "SHA256", NULL);
  sigv4_hmac_proto = mac ? EVP_MAC_CTX_new(mac) : NULL;
  if (sigv4_hmac_proto && !EVP_MAC_CTX_set_params(sigv4_hmac_proto, p)) {
    EVP_MAC_CTX_free(sigv4_hmac_proto);
    sigv4_hmac_proto = NULL;
  }
  EVP_MAC_free(mac); /* the context keeps its own reference */
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[32];
  unsigned int mdlen = 0;
  pthread_once(&sigv4_once, sigv4_fetch);
  EVP_Digest(data, len, md, &mdlen, sigv4_md ? sigv4_md : EVP_sha256(), NULL);
  sigv4_to_hex(md, 32, out);
}

static int sigv4_unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static int sigv4_hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) and re-encodes it the SigV4 way into out. */
static int sigv4_reencode(buf_t *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '%' && i + 2 < n && sigv4_hexval(s[i + 1]) >= 0 &&
        sigv4_hexval(s[i + 2]) >= 0) {
      c = (unsigned char)(sigv4_hexval(s[i + 1]) * 16 + sigv4_hexval(s[i + 2]));
      i += 2;
    }
    if (sigv4_unreserved(c)) {
      if (buf_putc(out, (char)c) < 0)
        return -1;
    } else if (buf_printf(out, "%%%02X", c) < 0) {
      return -1;
    }
  }
  return 0;
}

/* Canonical URI: dot segments resolved, empty segments dropped, each segment
 * encoded once. (botocore quotes the already-encoded path again for non-S3
 * services; acm-pca paths are "/", where both agree.) */
static int sigv4_canonical_uri(const char *path, buf_t *out) {
  const char *segs[128];
  size_t lens[128], nseg = 0, plen = strlen(path);
  const char *p = path;
  int rc = 0;
  while (*p) {
    const char *q;
    size_t l;
    while (*p == '/')
      p++;
    if (!*p)
      break;
    q = strchr(p, '/');
    l = q ? (size_t)(q - p) : strlen(p);
    if (l == 1 && p[0] == '.') {
      /* nothing */
    } else if (l == 2 && p[0] == '.' && p[1] == '.') {
      if (nseg)
        nseg--;
    } else {
      if (nseg == sizeof segs / sizeof segs[0])
        return -1;
      segs[nseg] = p;
      lens[nseg++] = l;
    }
    p += l;
  }
  rc |= buf_putc(out, '/');
  for (size_t i = 0; i < nseg; i++) {
    if (i)
      rc |= buf_putc(out, '/');
    rc |= sigv4_reencode(out, segs[i], lens[i]);
  }
  if (nseg && plen > 1 && path[plen - 1] == '/')
    rc |= buf_putc(out, '/');
  return rc ? -1 : 0;
}

typedef struct {
  char *key;
  char *val;
} sigv4_param_t;

static int sigv4_param_cmp(const void *a, const void *b) {
  const sigv4_param_t *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  return c ? c : strcmp(x->val, y->val);
}

static int sigv4_canonical_query(const char *q, buf_t *out) {
  sigv4_param_t params[64];
  size_t n = 0;
  int rc = -1;
  const char *p = q;
  if (!q || !*q)
    return 0;
  while (*p) {
    const char *amp = strchr(p, '&'), *eq;
    size_t l = amp ? (size_t)(amp - p) : strlen(p);
    buf_t k = {0}, v = {0};
    if (l) {
      if (n == sizeof params / sizeof params[0])
        goto out;
      eq = memchr(p, '=', l);
      if (sigv4_reencode(&k, p, eq ? (size_t)(eq - p) : l) < 0 ||
          (eq && sigv4_reencode(&v, eq + 1, l - (size_t)(eq - p) - 1) < 0)) {
        buf_free(&k);
        buf_free(&v);
        goto out;
      }
      params[n].key = buf_take(&k);
      params[n].val = buf_take(&v);
      n++;
    }
    p += l + (amp ? 1 : 0);
  }
  qsort(params, n, sizeof params[0], sigv4_param_cmp);
  rc = 0;
  for (size_t i = 0; i < n; i++)
    rc |= buf_printf(out, "%s%s=%s", i ? "&" : "", params[i].key, params[i].val);
out:
  for (size_t i = 0; i < n; i++) {
    free(params[i].key);
    free(params[i].val);
  }
  return rc ? -1 : 0;
}

/* Appends a header value trimmed, with whitespace runs (folded lines too)
 * collapsed to one space. */
static int sigv4_put_value(buf_t *out, const char *v) {
  int space = 0, started = 0;
  for (; *v; v++) {
    if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
      space = started;
      continue;
    }
    if (space && buf_putc(out, ' ') < 0)
      return -1;
    if (buf_putc(out, *v) < 0)
      return -1;
    space = 0;
    started = 1;
  }
  return 0;
}

int sigv4_canonical_request(const sigv4_request_t *r, const char *signed_headers,
                            const char *payload_hash, buf_t *out) {
  const char *p = signed_headers;
  int rc = 0;
  rc |= buf_printf(out, "%s\n", r->method);
  rc |= sigv4_canonical_uri(r->path, out);
  rc |= buf_putc(out, '\n');
  rc |= sigv4_canonical_query(r->query, out);
  rc |= buf_putc(out, '\n');
  while (*p && !rc) {
    const char *semi = strchr(p, ';');
    size_t l = semi ? (size_t)(semi - p) : strlen(p);
    int first = 1;
    rc |= buf_append(out, p, l);
    rc |= buf_putc(out, ':');
    for (size_t i = 0; i < r->nheaders; i++) {
      if (strlen(r->headers[i].name) != l || strncasecmp(r->headers[i].name, p, l))
        continue;
      if (!first)
        rc |= buf_putc(out, ',');
      rc |= sigv4_put_value(out, r->headers[i].value);
      first = 0;
    }
    rc |= buf_putc(out, '\n');
    p += l + (semi ? 1 : 0);
  }
  rc |= buf_printf(out, "\n%s\n%s", signed_headers, payload_hash);
  return rc ? -1 : 0;
}

int sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq,
                         buf_t *out) {
  char h[65];
  sigv4_sha256_hex(creq, strlen(creq), h);
  return buf_printf(out, SIGV4_ALGO "\n%s\n%s\n%s", amz_date, scope, h);
}

static int sigv4_hmac(const void *key, size_t klen, const char *msg, unsigned char out[32]) {
  EVP_MAC_CTX *c;
  size_t len = 0;
  int ok;
  pthread_once(&sigv4_once, sigv4_fetch);
  c = sigv4_hmac_proto ? EVP_MAC_CTX_dup(sigv4_hmac_proto) : NULL;
  ok = c && EVP_MAC_init(c, key, klen, NULL) &&
       EVP_MAC_update(c, (const unsigned char *)msg, strlen(msg)) &&
       EVP_MAC_final(c, out, &len, 32) && len == 32;
  EVP_MAC_CTX_free(c);
  return ok ? 0 : -1;
}

int sigv4_signature(const char *secret, const char *date, const char *region,
                    const char *service, const char *sts, char out[65]) {
  unsigned char k[32], mac[32];
  buf_t key = {0};
  int rc = -1;
  if (buf_printf(&key, "AWS4%s", secret) < 0)
    goto out;
  if (sigv4_hmac(key.data, key.len, date, k) || sigv4_hmac(k, 32, region, k) ||
      sigv4_hmac(k, 32, service, k) || sigv4_hmac(k, 32, "aws4_request", k) ||
      sigv4_hmac(k, 32, sts, mac))
    goto out;
  sigv4_to_hex(mac, 32, out);
  rc = 0;
out:
  OPENSSL_cleanse(k, sizeof k);
  buf_free(&key);
  return rc;
}

/* Copies the value of "Name=value" up to ',' (trimmed) into dst. */
static int sigv4_take(const char *v, char *dst, size_t dstlen) {
  size_t l = 0;
  while (v[l] && v[l] != ',')
    l++;
  while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
    l--;
  if (l == 0 || l >= dstlen)
    return -1;
  memcpy(dst, v, l);
  dst[l] = '\0';
  return 0;
}

int sigv4_parse_authorization(const char *hdr, sigv4_auth_t *a, err_t *e) {
  char cred[512];
  const char *p;
  int have_c = 0, have_h = 0, have_s = 0;
  memset(a, 0, sizeof *a);
  if (strncmp(hdr, SIGV4_ALGO " ", sizeof SIGV4_ALGO) != 0)
    return err_set(e, ERR_IncompleteSignatureException,
                   "Authorization header requires the algorithm " SIGV4_ALGO);
  p = hdr + sizeof SIGV4_ALGO;
  while (*p) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    if (!*p)
      break;
    if (strncmp(p, "Credential=", 11) == 0 && !have_c) {
      have_c = sigv4_take(p + 11, cred, sizeof cred) == 0;
      if (!have_c)
        break;
    } else if (strncmp(p, "SignedHeaders=", 14) == 0 && !have_h) {
      have_h = sigv4_take(p + 14, a->signed_headers, sizeof a->signed_headers) == 0;
      if (!have_h)
        break;
    } else if (strncmp(p, "Signature=", 10) == 0 && !have_s) {
      have_s = sigv4_take(p + 10, a->signature, sizeof a->signature) == 0;
      if (!have_s)
        break;
    } else {
      return err_set(e, ERR_IncompleteSignatureException,
                     "Authorization header has an unexpected or repeated element");
    }
    while (*p && *p != ',')
      p++;
  }
  if (!have_c || !have_h || !have_s)
    return err_set(e, ERR_IncompleteSignatureException,
                   "Authorization header requires 'Credential', 'SignedHeaders' and "
                   "'Signature' parameters");
  if (strlen(a->signature) != 64 || strspn(a->signature, sigv4_hex) != 64)
    return err_set(e, ERR_IncompleteSignatureException,
                   "Signature must be 64 lower-case hexadecimal characters");
  for (p = a->signed_headers; *p; p++)
    if (isupper((unsigned char)*p) || *p == ' ')
      return err_set(e, ERR_IncompleteSignatureException,
                     "SignedHeaders must be lower-case names separated by ';'");
  {
    /* Credential = AKID/date/region/service/aws4_request */
    char *parts[5], *save = NULL, *tok;
    int n = 0;
    for (tok = strtok_r(cred, "/", &save); tok && n < 5; tok = strtok_r(NULL, "/", &save))
      parts[n++] = tok;
    if (n != 5 || tok || strlen(parts[0]) >= sizeof a->access_key || strlen(parts[1]) != 8 ||
        strlen(parts[2]) >= sizeof a->region || strlen(parts[3]) >= sizeof a->service)
      return err_set(e, ERR_IncompleteSignatureException,
                     "Credential must have the form "
                     "<key id>/<YYYYMMDD>/<region>/<service>/aws4_request");
    strcpy(a->access_key, parts[0]);
    strcpy(a->date, parts[1]);
    strcpy(a->region, parts[2]);
    strcpy(a->service, parts[3]);
    if (strcmp(parts[4], "aws4_request") != 0)
      return err_set(e, ERR_IncompleteSignatureException,
                     "Credential should be scoped with a valid terminator: 'aws4_request'");
  }
  return 0;
}

static size_t sigv4_count(const sigv4_request_t *r, const char *name, const char **first) {
  size_t n = 0;
  for (size_t i = 0; i < r->nheaders; i++)
    if (strcasecmp(r->headers[i].name, name) == 0) {
      if (!n && first)
        *first = r->headers[i].value;
      n++;
    }
  return n;
}

static int sigv4_has_signed(const char *list, const char *name) {
  size_t l = strlen(name);
  const char *p = list;
  while (*p) {
    const char *semi = strchr(p, ';');
    size_t n = semi ? (size_t)(semi - p) : strlen(p);
    if (n == l && strncmp(p, name, l) == 0)
      return 1;
    p += n + (semi ? 1 : 0);
  }
  return 0;
}

/* YYYYMMDD'T'HHMMSS'Z' -> epoch seconds, validating the calendar. */
static int sigv4_parse_date(const char *s, time_t *out) {
  struct tm tm;
  char back[17];
  if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || strspn(s, "0123456789") != 8 ||
      strspn(s + 9, "0123456789") != 6)
    return -1;
  memset(&tm, 0, sizeof tm);
  if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
             &tm.tm_min, &tm.tm_sec) != 6)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *out = timegm(&tm);
  if (!gmtime_r(out, &tm) || !strftime(back, sizeof back, "%Y%m%dT%H%M%SZ", &tm) ||
      strcmp(back, s) != 0)
    return -1;
  return 0;
}

static void sigv4_fmt_date(time_t t, char out[17]) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* The Authorization header and the headers it needs, parsed. */
static int sigv4_check_headers(const sigv4_request_t *r, sigv4_auth_t *a, const char **amz_date,
                               const char **body_sha, err_t *e) {
  const char *authz = NULL;
  size_t nauth = sigv4_count(r, "authorization", &authz);
  if (nauth == 0) {
    if (r->query && (strstr(r->query, "X-Amz-Signature") || strstr(r->query, "X-Amz-Credential")))
      return err_set(e, ERR_IncompleteSignatureException,
                     "Pre-signed (query string) requests are not accepted");
    return err_set(e, ERR_MissingAuthenticationTokenException, "Missing Authentication Token");
  }
  if (nauth > 1 || (r->query && strstr(r->query, "X-Amz-Signature")))
    return err_set(e, ERR_IncompleteSignatureException,
                   "The request carries more than one signature");
  if (sigv4_parse_authorization(authz, a, e) < 0)
    return -1;
  if (sigv4_count(r, "x-amz-date", amz_date) != 1 || sigv4_count(r, "date", NULL) != 0)
    return err_set(e, ERR_IncompleteSignatureException,
                   "Authorization header requires exactly one 'X-Amz-Date' header and no "
                   "'Date' header");
  for (size_t i = 0; i < sizeof sigv4_required / sizeof sigv4_required[0]; i++)
    if (!sigv4_has_signed(a->signed_headers, sigv4_required[i]))
      return err_set(e, ERR_IncompleteSignatureException,
                     "SignedHeaders must include '%s' (signed: %s)", sigv4_required[i],
                     a->signed_headers);
  if (sigv4_count(r, "x-amz-content-sha256", body_sha) > 1 ||
      sigv4_count(r, "x-amz-target", NULL) > 1 || sigv4_count(r, "host", NULL) > 1)
    return err_set(e, ERR_IncompleteSignatureException,
                   "A signed header appears more than once");
  return 0;
}

/* The credential scope and the request time against the policy. */
static int sigv4_check_scope(const sigv4_auth_t *a, const char *amz_date,
                             const sigv4_policy_t *pol, err_t *e) {
  time_t t;
  if (sigv4_parse_date(amz_date, &t) < 0)
    return err_set(e, ERR_IncompleteSignatureException,
                   "X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z'");
  if (strncmp(a->date, amz_date, 8) != 0)
    return err_set(e, ERR_InvalidSignatureException,
                   "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                   "date from HTTP: '%s' != '%.8s', from '%s'.",
                   a->date, amz_date, amz_date);
  if (strcmp(a->service, pol->service) != 0)
    return err_set(e, ERR_InvalidSignatureException,
                   "Credential should be scoped to correct service: '%s'.", pol->service);
  if (strcmp(a->region, pol->region) != 0)
    return err_set(e, ERR_InvalidSignatureException,
                   "Credential should be scoped to a valid region, not '%s'.", a->region);
  if (t < pol->now - pol->max_skew || t > pol->now + pol->max_skew) {
    char d[17], lim[17], now[17];
    int past = t < pol->now - pol->max_skew;
    sigv4_fmt_date(t, d);
    sigv4_fmt_date(past ? pol->now - pol->max_skew : pol->now + pol->max_skew, lim);
    sigv4_fmt_date(pol->now, now);
    return err_set(e, ERR_InvalidSignatureException,
                   past ? "Signature expired: %s is now earlier than %s (%s - %ld min.)"
                        : "Signature not yet current: %s is still later than %s (%s + %ld min.)",
                   d, lim, now, pol->max_skew / 60);
  }
  return 0;
}

int sigv4_verify(const sigv4_request_t *r, const sigv4_policy_t *pol, sigv4_principal_t *who,
                 err_t *e) {
  /* Stands in for an unknown key's secret, so that unknown and known keys
   * cost the same work. */
  static const char dummy_secret[] = "pcad-dummy-secret-for-unknown-access-keys";
  const char *amz_date = NULL, *body_sha = NULL, *secret = NULL, *account = NULL;
  sigv4_auth_t a;
  buf_t creq = {0}, sts = {0}, scope = {0};
  char payload[65], sig[65];
  int known, rc = -1;

  if (sigv4_check_headers(r, &a, &amz_date, &body_sha, e) < 0 ||
      sigv4_check_scope(&a, amz_date, pol, e) < 0)
    return -1;
  sigv4_sha256_hex(r->body, r->body_len, payload);
  if (body_sha && strcasecmp(body_sha, payload) != 0)
    return err_set(e, ERR_InvalidSignatureException,
                   "The provided 'x-amz-content-sha256' header does not match what was "
                   "computed.");

  known = pol->lookup(pol->lookup_ctx, a.access_key, &secret, &account) == 0;
  if (!known)
    secret = dummy_secret;
  if (buf_printf(&scope, "%s/%s/%s/aws4_request", a.date, a.region, a.service) < 0 ||
      sigv4_canonical_request(r, a.signed_headers, payload, &creq) < 0 ||
      sigv4_string_to_sign(amz_date, scope.data, creq.data, &sts) < 0 ||
      sigv4_signature(secret, a.date, a.region, a.service, sts.data, sig) < 0) {
    err_set(e, ERR_InternalFailure, "signature computation failed");
    goto out;
  }
  if (!known || sigv4_count(r, "x-amz-security-token", NULL) > 0) {
    /* pcad issues no session credentials, so no session token is valid */
    err_set(e, ERR_UnrecognizedClientException,
            "The security token included in the request is invalid.");
    goto out;
  }
  if (CRYPTO_memcmp(sig, a.signature, 64) != 0) {
    err_set(e, ERR_InvalidSignatureException,
            "The request signature we calculated does not match the signature you "
            "provided. Check your AWS Secret Access Key and signing method. Consult the "
            "service documentation for details.");
    goto out;
  }
  snprintf(who->access_key, sizeof who->access_key, "%s", a.access_key);
  snprintf(who->account, sizeof who->account, "%s", account);
  rc = 0;
out:
  OPENSSL_cleanse(sig, sizeof sig);
  buf_free(&creq);
  buf_free(&sts);
  buf_free(&scope);
  return rc;
}
