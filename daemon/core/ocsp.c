#include "core/ocsp.h"

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/crl.h"
#include "core/key.h"
#include "core/ocspcache.h"
#include "core/ocspcount.h"
#include "core/serial.h"
#include "shape/cacfg.h"
#include "store/store_ca.h"

#define OCSP_VALIDITY 3600   /* nextUpdate an hour after thisUpdate */
#define OCSP_RELOAD_MS 1000  /* an unknown issuer reloads the list at most this often */
/* CertIDs one request may ask about; more is malformedRequest. Relying
 * parties ask about one (RFC 5019; OpenSSL, Go, browsers): the cap bounds
 * the work and the response of one request (docs/COMPATIBILITY.md). */
#define OCSP_MAX_CERTIDS 16
/* The octets of a nonce (RFC 8954: OCTET STRING (SIZE(1..32))); an empty
 * or longer one is malformedRequest. */
#define OCSP_NONCE_MAX 32

/* The digests a request's CertID may name the issuer with. */
static const char *const ocsp_digests[] = {"SHA1", "SHA256", "SHA384", "SHA512"};
#define OCSP_NDIGESTS (sizeof ocsp_digests / sizeof ocsp_digests[0])

/* A CA whose OCSP pcad answers, with its CertIDs precomputed. */
typedef struct {
  char id[37];
  char arn[256];
  unsigned char key_id[KEY_ID_LEN];
  char sigalg[40];
  char sha256[65]; /* of its certificate's DER */
  X509 *cert;
  OCSP_CERTID *ids[OCSP_NDIGESTS];
} ocsp_issuer_t;

struct ocsp {
  pthread_rwlock_t lock; /* issuers */
  ocsp_issuer_t *issuers;
  int n;
  pthread_mutex_t load_mu;
  _Atomic long long loaded_ms; /* read without load_mu */
  ocspcache_t *cache;
  ocspcount_t *count; /* responses signed, per CA, for the audit trail */
};

static void ocsp_issuer_clear(ocsp_issuer_t *is) {
  X509_free(is->cert);
  for (size_t k = 0; k < OCSP_NDIGESTS; k++)
    OCSP_CERTID_free(is->ids[k]);
  memset(is, 0, sizeof *is);
}

static void ocsp_issuers_free(ocsp_issuer_t *v, int n) {
  for (int i = 0; v && i < n; i++)
    ocsp_issuer_clear(&v[i]);
  free(v);
}

ocsp_t *ocsp_new(long cache_slots, long cache_age_s) {
  ocsp_t *o = calloc(1, sizeof *o);
  if (!o || !(o->cache = ocspcache_new(cache_slots, cache_age_s)) ||
      !(o->count = ocspcount_new())) {
    if (o)
      ocspcache_free(o->cache);
    free(o);
    return NULL;
  }
  pthread_rwlock_init(&o->lock, NULL);
  pthread_mutex_init(&o->load_mu, NULL);
  return o;
}

void ocsp_free(ocsp_t *o) {
  if (!o)
    return;
  ocsp_issuers_free(o->issuers, o->n);
  ocspcache_free(o->cache);
  ocspcount_free(o->count);
  pthread_rwlock_destroy(&o->lock);
  pthread_mutex_destroy(&o->load_mu);
  free(o);
}

/* One CA row as an issuer: 0, or -1 when its certificate or configuration
 * cannot be read. */
static int ocsp_issuer_make(const store_ca_t *row, ocsp_issuer_t *is) {
  const unsigned char *q = row->cert_der;
  unsigned char md[32];
  cacfg_t cfg;
  err_t e;
  int ok;
  memset(is, 0, sizeof *is);
  memset(&cfg, 0, sizeof cfg);
  is->cert = d2i_X509(NULL, &q, (long)row->cert_len);
  ok = is->cert && cacfg_algorithms_from_text(row->ca_config, &cfg, &e) == 0 &&
       EVP_Digest(row->cert_der, row->cert_len, md, NULL, EVP_sha256(), NULL);
  for (size_t k = 0; ok && k < OCSP_NDIGESTS; k++)
    ok = (is->ids[k] = OCSP_cert_to_id(EVP_get_digestbyname(ocsp_digests[k]), NULL,
                                       is->cert)) != NULL;
  if (ok) {
    snprintf(is->id, sizeof is->id, "%s", row->id);
    snprintf(is->arn, sizeof is->arn, "%s", row->arn);
    memcpy(is->key_id, row->key_id, KEY_ID_LEN);
    snprintf(is->sigalg, sizeof is->sigalg, "%s", cfg.signing_algorithm);
    for (int i = 0; i < 32; i++)
      snprintf(is->sha256 + 2 * i, 3, "%02x", md[i]);
  }
  cacfg_clear(&cfg);
  return ok ? 0 : -1;
}

int ocsp_install(ocsp_t *o, const ctx_t *c, const store_ca_t *rows, int n) {
  ocsp_issuer_t *v = calloc((size_t)(n ? n : 1), sizeof *v), *old;
  int k = 0, oldn;
  if (!v)
    return -1;
  for (int i = 0; i < n; i++) {
    if (ocsp_issuer_make(&rows[i], &v[k]) == 0) {
      k++;
      continue;
    }
    ocsp_issuer_clear(&v[k]);
    log_warn(&c->log, "OCSP: CA %s cannot be read", rows[i].arn);
  }
  pthread_rwlock_wrlock(&o->lock);
  old = o->issuers;
  oldn = o->n;
  o->issuers = v;
  o->n = k;
  pthread_rwlock_unlock(&o->lock);
  ocsp_issuers_free(old, oldn);
  atomic_store(&o->loaded_ms, clock_now_ms());
  return 0;
}

/* The list of issuers read again from the database. */
static int ocsp_load(ocsp_t *o, const ctx_t *c, err_t *e) {
  store_ca_t *rows = NULL;
  int n = 0, rc;
  if (store_ca_ocsp(c->store, &rows, &n, e) < 0)
    return -1;
  rc = ocsp_install(o, c, rows, n);
  store_ca_free(rows, n);
  return rc == 0 ? 0 : err_set(e, ERR_InternalFailure, "out of memory");
}

/* The issuer named by id, copied into *out with its own reference to the
 * certificate: 1, or 0 when none is. */
static int ocsp_lookup(ocsp_t *o, const OCSP_CERTID *id, ocsp_issuer_t *out) {
  int found = 0;
  pthread_rwlock_rdlock(&o->lock);
  for (int i = 0; !found && i < o->n; i++)
    for (size_t k = 0; !found && k < OCSP_NDIGESTS; k++)
      if (OCSP_id_issuer_cmp(o->issuers[i].ids[k], id) == 0) {
        *out = o->issuers[i];
        memset(out->ids, 0, sizeof out->ids);
        X509_up_ref(out->cert);
        found = 1;
      }
  pthread_rwlock_unlock(&o->lock);
  return found;
}

/* ocsp_lookup, reloading the list first when force is set, or when the
 * issuer is unknown and the list is older than OCSP_RELOAD_MS. */
static int ocsp_find(ocsp_t *o, const ctx_t *c, const OCSP_CERTID *id, int force,
                     ocsp_issuer_t *out, err_t *e) {
  long long seen = atomic_load(&o->loaded_ms);
  int found = force ? 0 : ocsp_lookup(o, id, out);
  if (found || (!force && clock_now_ms() - seen < OCSP_RELOAD_MS))
    return found;
  pthread_mutex_lock(&o->load_mu);
  /* unless another worker reloaded meanwhile */
  if (atomic_load(&o->loaded_ms) == seen && ocsp_load(o, c, e) < 0) {
    pthread_mutex_unlock(&o->load_mu);
    return -1;
  }
  pthread_mutex_unlock(&o->load_mu);
  return ocsp_lookup(o, id, out);
}

/* What the database says of one serial, as a response says it. */
static void ocsp_says(int found, cert_state_t status, long long revoked_at, const char *reason,
                      const char *ca_sha256, ocspcache_says_t *s) {
  memset(s, 0, sizeof *s);
  s->status = V_OCSP_CERTSTATUS_UNKNOWN;
  s->revoked_at = -1;
  s->reason = -1;
  snprintf(s->ca_sha256, sizeof s->ca_sha256, "%s", ca_sha256);
  if (!found || status != CERT_ISSUED)
    return;
  s->status = revoked_at >= 0 ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
  if (revoked_at >= 0) {
    s->revoked_at = revoked_at;
    s->reason = crl_reason_code(reason);
  }
}

/* The serial of id as pcad stores it; -1 (norm untouched) when it has
 * none pcad could have issued. */
static int ocsp_serial(OCSP_CERTID *id, char norm[64]) {
  ASN1_INTEGER *serial = NULL;
  BIGNUM *bn;
  char *hex = NULL, tmp[64];
  int rc = -1;
  OCSP_id_get0_info(NULL, NULL, NULL, &serial, id);
  if (serial && (bn = ASN1_INTEGER_to_BN(serial, NULL)) != NULL) {
    hex = BN_bn2hex(bn);
    BN_free(bn);
  }
  if (hex && serial_normalize(hex, tmp, sizeof tmp) == 0) {
    memcpy(norm, tmp, sizeof tmp);
    rc = 0;
  }
  OPENSSL_free(hex);
  return rc;
}

/* Adds what s says of id to bs. */
static int ocsp_add(OCSP_BASICRESP *bs, OCSP_CERTID *id, const ocspcache_says_t *s) {
  ASN1_TIME *now = ASN1_TIME_set(NULL, clock_now()),
            *next = ASN1_TIME_set(NULL, clock_now() + OCSP_VALIDITY),
            *rev = s->revoked_at >= 0 ? ASN1_TIME_set(NULL, (time_t)s->revoked_at) : NULL;
  int ok = now && next && (s->revoked_at < 0 || rev) &&
           OCSP_basic_add1_status(bs, id, s->status, s->reason, rev, now, next) != NULL;
  ASN1_TIME_free(rev);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  return ok ? 0 : -1;
}

/* What a request asks about: its CertIDs (the request's own), their
 * serials as pcad stores them ("0", which no row has, for one pcad could
 * not have issued) and, once the database has answered, what to say of
 * each. */
typedef struct {
  int n;
  OCSP_CERTID *ids[OCSP_MAX_CERTIDS];
  char serials[OCSP_MAX_CERTIDS][64];
  const char *serialp[OCSP_MAX_CERTIDS];
  ocspcache_says_t says[OCSP_MAX_CERTIDS];
} ocsp_ask_t;

/* The CertIDs of req into ask: SUCCESSFUL, UNAUTHORIZED when they name
 * more than one issuer, MALFORMEDREQUEST for none or too many. */
static int ocsp_ask_make(OCSP_REQUEST *req, ocsp_ask_t *ask) {
  ask->n = OCSP_request_onereq_count(req);
  if (ask->n < 1 || ask->n > OCSP_MAX_CERTIDS)
    return OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
  for (int i = 0; i < ask->n; i++) {
    ask->ids[i] = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
    if (i > 0 && OCSP_id_issuer_cmp(ask->ids[i], ask->ids[0]) != 0)
      return OCSP_RESPONSE_STATUS_UNAUTHORIZED; /* one issuer per request */
    snprintf(ask->serials[i], sizeof ask->serials[i], "0");
    ocsp_serial(ask->ids[i], ask->serials[i]);
    ask->serialp[i] = ask->serials[i];
  }
  return OCSP_RESPONSE_STATUS_SUCCESSFUL;
}

/* A freshly signed response to req, saying ask->says of each of its
 * CertIDs, encoded into *der. */
static int ocsp_sign(const ctx_t *c, OCSP_REQUEST *req, ocsp_issuer_t *is, const ocsp_ask_t *ask,
                     unsigned char **der, int *len, err_t *e) {
  OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
  OCSP_RESPONSE *resp = NULL;
  int ok = bs != NULL;
  for (int i = 0; ok && i < ask->n; i++)
    ok = ocsp_add(bs, ask->ids[i], &ask->says[i]) == 0;
  if (!ok || OCSP_copy_nonce(bs, req) <= 0) {
    OCSP_BASICRESP_free(bs);
    return OCSP_RESPONSE_STATUS_INTERNALERROR;
  }
  bs = key_sign_ocsp(c, is->key_id, bs, is->cert, is->sigalg, e);
  is->cert = NULL; /* the signer's now */
  if (!bs)
    return OCSP_RESPONSE_STATUS_TRYLATER;
  resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
  *der = NULL;
  *len = resp ? i2d_OCSP_RESPONSE(resp, der) : -1;
  OCSP_RESPONSE_free(resp);
  OCSP_BASICRESP_free(bs);
  return *len > 0 ? OCSP_RESPONSE_STATUS_SUCCESSFUL : OCSP_RESPONSE_STATUS_INTERNALERROR;
}

/* The issuer of the request's CertIDs and what the database says of each
 * of their serials, in one round trip: SUCCESSFUL (ask->says filled), or
 * the status that says why not. A CA certificate that changed reloads the
 * issuers once. */
static int ocsp_check(ocsp_t *o, const ctx_t *c, ocsp_ask_t *ask, ocsp_issuer_t *is, err_t *e) {
  store_ocsp_cert_t certs[OCSP_MAX_CERTIDS];
  store_ocsp_t chk;
  int known = -1, rc;
  for (int round = 0; round < 2; round++) {
    if ((rc = ocsp_find(o, c, ask->ids[0], round, is, e)) <= 0)
      return rc < 0 ? OCSP_RESPONSE_STATUS_TRYLATER : OCSP_RESPONSE_STATUS_UNAUTHORIZED;
    known = store_ca_ocsp_check(c->store, is->id, ask->serialp, ask->n, &chk, certs, e);
    if (known < 0)
      return OCSP_RESPONSE_STATUS_TRYLATER;
    if (known == 1 || !chk.answers)
      return OCSP_RESPONSE_STATUS_UNAUTHORIZED;
    if (strcmp(chk.cert_sha256, is->sha256) == 0) {
      for (int i = 0; i < ask->n; i++)
        ocsp_says(certs[i].found, certs[i].status, certs[i].revoked_at, certs[i].reason,
                  is->sha256, &ask->says[i]);
      return OCSP_RESPONSE_STATUS_SUCCESSFUL;
    }
    X509_free(is->cert);
    is->cert = NULL;
  }
  return OCSP_RESPONSE_STATUS_TRYLATER;
}

/* The response to a parsed request: SUCCESSFUL with *der, or the status
 * that says why not. A single-serial request without a nonce whose status
 * is known is answered from the cache while the database agrees. */
static int ocsp_answer(ocsp_t *o, const ctx_t *c, OCSP_REQUEST *req, unsigned char **der,
                       int *len) {
  ocsp_ask_t ask;
  ocsp_issuer_t is;
  unsigned char *key = NULL;
  int klen = -1, st, keep;
  err_t e;
  err_clear(&e);
  memset(&is, 0, sizeof is);
  if ((st = ocsp_ask_make(req, &ask)) == OCSP_RESPONSE_STATUS_SUCCESSFUL)
    st = ocsp_check(o, c, &ask, &is, &e);
  keep = st == OCSP_RESPONSE_STATUS_SUCCESSFUL && ask.n == 1 &&
         OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) < 0 &&
         ask.says[0].status != V_OCSP_CERTSTATUS_UNKNOWN &&
         (klen = i2d_OCSP_CERTID(ask.ids[0], &key)) > 0;
  if (keep && (*der = ocspcache_get(o->cache, key, (size_t)klen, &ask.says[0], len)) != NULL)
    goto out;
  if (st == OCSP_RESPONSE_STATUS_SUCCESSFUL &&
      (st = ocsp_sign(c, req, &is, &ask, der, len, &e)) == OCSP_RESPONSE_STATUS_SUCCESSFUL)
    ocspcount_add(o->count, is.arn); /* a signature by the CA key: audited per interval */
  if (keep && st == OCSP_RESPONSE_STATUS_SUCCESSFUL)
    ocspcache_put(o->cache, key, (size_t)klen, &ask.says[0], *der, *len);
out:
  if (e.code != ERR_OK)
    log_warn(&c->log, "OCSP: %s", e.msg);
  OPENSSL_free(key);
  X509_free(is.cert);
  return st;
}

/* Whether the request's nonce, if it has one, is 1 to OCSP_NONCE_MAX
 * octets: those of the OCTET STRING its extnValue holds (RFC 8954, as
 * OpenSSL, cryptography and Go write it), or of the extnValue itself when
 * that is not one (older clients put the bytes there bare). A second
 * nonce is refused too. */
static int ocsp_nonce_ok(OCSP_REQUEST *req) {
  int i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
  ASN1_OCTET_STRING *v, *inner;
  const unsigned char *p, *start;
  long n;
  if (i < 0)
    return 1;
  if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, i) >= 0)
    return 0;
  v = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, i));
  p = start = ASN1_STRING_get0_data(v);
  n = ASN1_STRING_length(v);
  inner = d2i_ASN1_OCTET_STRING(NULL, &p, n);
  if (inner && p == start + n)
    n = ASN1_STRING_length(inner);
  ASN1_OCTET_STRING_free(inner);
  return n >= 1 && n <= OCSP_NONCE_MAX;
}

ocspcount_t *ocsp_count(ocsp_t *o) { return o ? o->count : NULL; }

int ocsp_respond(ocsp_t *o, const ctx_t *c, const unsigned char *der, size_t len,
                 unsigned char **out, int *out_len) {
  const unsigned char *q = der;
  OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &q, (long)len);
  OCSP_RESPONSE *resp;
  int status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
  int n = req && q == der + len ? OCSP_request_onereq_count(req) : 0;
  *out = NULL;
  if (n > OCSP_MAX_CERTIDS || (n > 0 && !ocsp_nonce_ok(req)))
    log_debug(&c->log, "OCSP: malformedRequest: %d CertIDs (at most %d), or a nonce not of 1 to"
                      " %d octets", n, OCSP_MAX_CERTIDS, OCSP_NONCE_MAX);
  else if (n > 0)
    status = ocsp_answer(o, c, req, out, out_len);
  OCSP_REQUEST_free(req);
  if (status == OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return 0;
  resp = OCSP_response_create(status, NULL);
  *out_len = resp ? i2d_OCSP_RESPONSE(resp, out) : -1;
  OCSP_RESPONSE_free(resp);
  return *out_len > 0 ? 0 : -1;
}
