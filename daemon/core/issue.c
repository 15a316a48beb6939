#include "core/issue.h"

#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "base/metrics.h"
#include "core/audit.h"
#include "core/cacache.h"
#include "core/ca_row.h"
#include "core/castate.h"
#include "core/certext.h"
#include "shape/dn.h"
#include "core/csr.h"
#include "core/key.h"
#include "core/namecons.h"
#include "core/serial.h"
#include "core/sigalg.h"
#include "core/templates.h"
#include "core/validity.h"
#include "shape/cacfg.h"
#include "shape/revcfg.h"
#include "store/store_cert.h"
#include "store/store_crl.h"

#define ISSUE_SHORT_LIVED_MAX (7 * 86400)
#define ISSUE_BUILD_TRIES 3   /* the CA certificate changed meanwhile: build again */
#define ISSUE_TX_BUDGET_MS 6000 /* T2 (or the FAILED mark) retried this long */

/* What a step of issuance came to; ISSUE_FAIL and ISSUE_OK are the -1 and
 * 0 of every fallible function, the others say more. */
typedef enum {
  ISSUE_STALE_ROW = -3, /* issue_attempt: failed on a cached CA row before
                         * anything was written: try again on a fresh one */
  ISSUE_FINAL = STORE_TX_FINAL, /* a write: failed for good, no retry */
  ISSUE_FAIL = -1,      /* failed, e says why (a write: retried while the
                         * database is away) */
  ISSUE_OK = 0,
  ISSUE_EARLIER = 1,    /* the IdempotencyToken answered with an earlier ARN */
  ISSUE_REBUILD = 2,    /* the CA changed since the certificate was built */
} issue_rc_t;

/* One issuance as it goes: what was read, what was built. */
typedef struct {
  const template_t *t;
  store_ca_t row;  /* the CA as read before T1 */
  cacfg_t cfg;
  revcfg_t rev;
  X509_REQ *req;
  EVP_PKEY *req_pub; /* the CSR's key */
  EVP_PKEY *ca_pub;  /* the token's public key */
  X509 *ca_cert;    /* NULL for a root's own certificate */
  X509 *x;          /* the certificate being issued */
  unsigned char *tbs; /* x as DER, signature empty: kept in the PENDING row */
  int tbs_len;
  int self_issue;
  long long nb, na;
  char hex[SERIAL_HEX], norm[SERIAL_HEX];
  char *subj; /* RFC 2253, for the audit report */
  char partition[37]; /* its CRL partition; "" when CRLs are complete */
  int cached;         /* row came from the CA cache (core/cacache.h) */
} issue_t;

static int issue_bad_state(err_t *e) { return castate_refuse(CA_OP_ISSUE, CA_UNKNOWN, "", e); }

static void issue_clear(issue_t *is) {
  free(is->subj);
  OPENSSL_free(is->tbs);
  X509_free(is->x);
  X509_free(is->ca_cert);
  EVP_PKEY_free(is->ca_pub);
  X509_REQ_free(is->req);
  EVP_PKEY_free(is->req_pub);
  cacfg_clear(&is->cfg);
  revcfg_clear(&is->rev);
  store_ca_clear(&is->row);
}

static X509 *issue_ca_cert(const store_ca_t *row) {
  return row->cert_der ? cacache_get(row->id, row->cert_der, row->cert_len) : NULL;
}

/* The template, the CA (from the CA cache when use_cache), its
 * configuration, the CSR and the token's public key: everything prepare
 * needs, read without a lock. */
static int issue_load(const ctx_t *c, const issue_req_t *r, issue_t *is, int use_cache,
                      err_t *e) {
  is->t = r->tmpl ? r->tmpl : templates_default();
  if (use_cache ? ca_row_cached(c, r->ca_arn, &is->row, &is->cached, e) < 0
                : ca_get(c, r->ca_arn, STORE_LOCK_NONE, &is->row, e) < 0)
    return -1;
  if (!is->row.has_key || cacfg_algorithms_from_text(is->row.ca_config, &is->cfg, e) < 0 ||
      revcfg_from_text(is->row.revocation_config, &is->rev, e) < 0)
    return issue_bad_state(e);
  if (is->rev.crl_enabled && is->rev.crl_partitioned &&
      store_crl_partition_next(c->store, is->row.id, c->crl_partition_size, is->partition, e) < 0)
    return -1;
  if (sigalg_fits(r->signing_algorithm, is->cfg.key_algorithm, e) < 0)
    return -1;
  if (!(is->req = csr_parse(r->csr, r->csr_len, &is->req_pub, e)) ||
      csr_key_policy(is->req_pub, e) < 0)
    return -1;
  is->ca_pub = key_public(c, is->row.key_id, e);
  return is->ca_pub ? 0 : -1;
}

/* The state rules: ACTIVE issues; a ROOT signs its own CSR with a root
 * template while PENDING_CERTIFICATE (activation) or ACTIVE (renewal). */
static int issue_state(issue_t *is, err_t *e) {
  ca_state_t s = castate_of(&is->row);
  is->self_issue = is->t->root;
  if (!is->self_issue) {
    if (castate_check(CA_OP_ISSUE, s, is->row.arn, e) < 0)
      return -1;
    return (is->ca_cert = issue_ca_cert(&is->row)) ? 0 : issue_bad_state(e);
  }
  if (strcmp(is->row.type, "ROOT") != 0 ||
      EVP_PKEY_eq(is->req_pub, is->ca_pub) != 1)
    return err_set(e, ERR_InvalidArgsException,
                   "A root template signs only a ROOT certificate authority's own CSR");
  return castate_check(CA_OP_ISSUE_SELF, s, is->row.arn, e);
}

/* The time rules: notAfter within the CA's; a CA certificate strictly
 * shorter than its issuer's; short-lived CAs at most 7 days. */
static int issue_validity(const issue_req_t *r, issue_t *is, long long now, err_t *e) {
  const store_ca_t *row = &is->row;
  long long ca_na = row->not_after ? (long long)strtod(row->not_after, NULL) : 0;
  if (validity_not_after(r->validity_type, r->validity_value, now, &is->na, e) < 0)
    return -1;
  is->nb = now - 3600;
  if (r->not_before_type) {
    if (strcmp(r->not_before_type, "ABSOLUTE") != 0)
      return err_set(e, ERR_InvalidArgsException, "ValidityNotBefore accepts only Type ABSOLUTE");
    is->nb = r->not_before_value;
    if (is->nb > VALIDITY_MAX)
      return err_set(e, ERR_InvalidArgsException, "ValidityNotBefore is after the year 9999");
  }
  if (is->na <= is->nb)
    return err_set(e, ERR_InvalidArgsException, "The validity ends before it begins");
  if (is->self_issue)
    return 0;
  if (is->t->ca && is->na >= ca_na)
    return err_set(e, ERR_InvalidArgsException,
                   "A CA certificate's validity must end before the issuing CA's certificate "
                   "does");
  if (is->na > ca_na)
    return err_set(e, ERR_InvalidArgsException,
                   "The validity ends after the issuing CA's certificate does");
  if (row->usage_mode && strcmp(row->usage_mode, "SHORT_LIVED_CERTIFICATE") == 0 &&
      is->na - now > ISSUE_SHORT_LIVED_MAX)
    return err_set(e, ERR_InvalidArgsException,
                   "A SHORT_LIVED_CERTIFICATE CA issues certificates valid for at most 7 days");
  return 0;
}

/* A CA template's path length must fit under the issuer's constraint. */
static int issue_pathlen(const template_t *t, X509 *issuer, err_t *e) {
  long limit;
  if (!t->ca || !issuer)
    return 0;
  limit = X509_get_pathlen(issuer);
  if (limit < 0)
    return 0;
  if (t->pathlen < 0 || t->pathlen >= limit)
    return err_set(e, ERR_InvalidArgsException,
                   "The template's path length (%d) does not fit under the issuing CA's (%ld)",
                   t->pathlen, limit);
  return 0;
}

/* Serial, validity, key, subject and issuer of the to-be-signed certificate. */
static int issue_tbs(issue_t *is, const passthrough_t *api, err_t *e) {
  ASN1_INTEGER *serial = NULL;
  X509 *x = is->x = X509_new();
  int ok = x && X509_set_version(x, 2) && serial_new(&serial, is->hex, is->norm) == 0 &&
           X509_set_serialNumber(x, serial) &&
           ASN1_TIME_set(X509_getm_notBefore(x), (time_t)is->nb) &&
           ASN1_TIME_set(X509_getm_notAfter(x), (time_t)is->na) &&
           csr_copy_key(x, is->req) == 0;
  ASN1_INTEGER_free(serial);
  if (!ok)
    return err_set(e, ERR_InternalFailure, "cannot build the certificate");
  if (api && api->err.code != ERR_OK) {
    *e = api->err;
    return -1;
  }
  if (!X509_set_subject_name(x, api && api->subject ? api->subject
                                                    : X509_REQ_get_subject_name(is->req)) ||
      !X509_set_issuer_name(x, is->self_issue ? X509_get_subject_name(x)
                                              : X509_get_subject_name(is->ca_cert)))
    return err_set(e, ERR_InternalFailure, "cannot set the subject");
  return 0;
}

/* Pure: validates the request against what was loaded and builds the
 * to-be-signed certificate, to the last field, before anything is written. */
static int issue_prepare(const ctx_t *c, const issue_req_t *r, issue_t *is, err_t *e) {
  const passthrough_t *api = (is->t->variety & TPL_API) && r->api && r->api->present ? r->api : NULL;
  certext_in_t b;
  if (issue_state(is, e) < 0 || issue_validity(r, is, (long long)clock_now(), e) < 0 ||
      issue_pathlen(is->t, is->ca_cert, e) < 0 || issue_tbs(is, api, e) < 0)
    return -1;
  b = (certext_in_t){is->t, api, is->req, is->ca_cert, &is->rev,
                     is->partition[0] ? is->partition : is->row.id, c->region};
  if (certext_build(is->x, &b, e) < 0)
    return -1;
  if (X509_NAME_entry_count(X509_get_subject_name(is->x)) == 0 &&
      X509_get_ext_by_NID(is->x, NID_subject_alt_name, -1) < 0)
    return err_set(e, ERR_MalformedCSRException,
                   "The certificate needs a subject or a subject alternative name");
  if (!is->self_issue &&
      namecons_check(is->x, is->ca_cert, is->row.id, is->row.chain_pem, e) < 0)
    return -1;
  free(is->subj);
  if (!(is->subj = dn_rfc2253(X509_get_subject_name(is->x))))
    return err_set(e, ERR_InternalFailure, "out of memory");
  if (sigalg_preset(is->x, is->ca_pub, r->signing_algorithm, e) < 0)
    return -1;
  is->tbs_len = i2d_X509(is->x, &is->tbs);
  return is->tbs_len > 0 ? 0 : err_set(e, ERR_InternalFailure, "cannot encode the certificate");
}

/* 1 when the CA's certificate and revocation configuration are those the
 * certificate was built on. */
static int issue_same_ca(const store_ca_t *was, const store_ca_t *now) {
  if (!was->revocation_config != !now->revocation_config ||
      (was->revocation_config && strcmp(was->revocation_config, now->revocation_config) != 0))
    return 0;
  if (!was->cert_der || !now->cert_der)
    return was->cert_der == now->cert_der;
  return was->cert_len == now->cert_len &&
         memcmp(was->cert_der, now->cert_der, was->cert_len) == 0;
}

/* The idempotency scope of IssueCertificate: one per CA, in the caller's
 * own account (a shared CA's users do not see each other's tokens). */
static void issue_token_op(char op[64], const char *ca_id) {
  snprintf(op, 64, "IssueCertificate:%s", ca_id);
}

/* The IdempotencyToken, inside T1: ISSUE_OK claimed for this request;
 * ISSUE_EARLIER when an earlier request's certificate answers (ISSUED or PENDING: its ARN in
 * *arn); a FAILED one releases the token and this request issues afresh. */
static issue_rc_t issue_claim(const ctx_t *c, const issue_req_t *r, const issue_t *is, char **arn,
                       err_t *e) {
  char op[64];
  issue_token_op(op, is->row.id);
  for (int round = 0; round < 2; round++) {
    store_cert_t crt;
    char *earlier = strdup(*arn);
    int rc = earlier ? store_idem_claim(c->store, c->caller, op, r->token, &earlier, e)
                     : err_set(e, ERR_InternalFailure, "out of memory");
    if (rc <= 0) {
      free(earlier);
      return rc < 0 ? ISSUE_FAIL : ISSUE_OK;
    }
    rc = store_cert_get(c->store, is->row.id, earlier, &crt, e);
    if (rc == 1 && crt.status != CERT_FAILED) {
      store_cert_clear(&crt);
      free(*arn);
      *arn = earlier;
      return ISSUE_EARLIER;
    }
    store_cert_clear(&crt);
    free(earlier);
    if (rc < 0 || store_idem_release(c->store, c->caller, op, r->token, e) < 0)
      return ISSUE_FAIL;
  }
  return err_set(e, ERR_ConcurrentModificationException,
                 "The idempotency token is being used by a concurrent request; retry.");
}

/* T1 in a transaction of its own (a store_tx body): the CA row locked FOR
 * SHARE and checked unchanged, the token claimed, the serial reserved. */
typedef struct {
  const ctx_t *c;
  const issue_req_t *r;
  issue_t *is;
  char **arn;
  const store_cert_new_t *n;
  const store_audit_t *a;
  store_ca_t locked;
} issue_reserve_t;

static int issue_reserve_tx(void *arg, err_t *e) {
  issue_reserve_t *t = arg;
  issue_rc_t claimed;
  int rows;
  if (ca_get(t->c, t->r->ca_arn, STORE_LOCK_SHARE, &t->locked, e) < 0)
    return ISSUE_FAIL;
  if (castate_of(&t->locked) != castate_of(&t->is->row))
    return issue_bad_state(e);
  if (!issue_same_ca(&t->is->row, &t->locked))
    return ISSUE_REBUILD; /* nothing written: its commit changes nothing */
  if (t->r->token && (claimed = issue_claim(t->c, t->r, t->is, t->arn, e)) != ISSUE_OK)
    return claimed;
  rows = store_cert_reserve(t->c->store, t->n, t->a, 1, e);
  if (rows == 0) /* a 128-bit collision: refuse rather than reuse */
    return err_set(e, ERR_ServiceUnavailable, "serial collision; retry");
  return rows > 0 ? ISSUE_OK : ISSUE_FAIL;
}

/* T1: the intent, serial reserved, durable before the token signs, with
 * the certificate to sign. ISSUE_EARLIER when the IdempotencyToken
 * answered with an earlier ARN (in *arn), ISSUE_REBUILD when the CA's
 * certificate or revocation configuration changed since the certificate
 * was built, ISSUE_OK reserved. With a token, or when the grouped
 * statement found the CA changed, it runs in a transaction of its own
 * with the CA row locked. */
static issue_rc_t issue_reserve(const ctx_t *c, const issue_req_t *r, issue_t *is, char **arn,
                                err_t *e) {
  char detail[AUDIT_DETAIL_MAX];
  store_audit_t a;
  int rows;
  store_cert_new_t n = {is->row.id, is->norm, *arn, is->t->name, is->subj, c->actor,
                        is->nb,     is->na,  is->tbs, (size_t)is->tbs_len,
                        r->signing_algorithm, is->partition[0] ? is->partition : NULL,
                        is->row.status, is->row.cert_der, is->row.cert_len,
                        is->row.revocation_config};
  issue_reserve_t t = {c, r, is, arn, &n, &a, {0}};
  audit_note(c, &a, detail, AUDIT_IssueCertificate, r->ca_arn, is->norm, "template=%s requested",
             is->t->name);
  /* without an IdempotencyToken, the common case: committed with its
   * concurrent peers (group commit); 0 is the CA changed, or a collision */
  if (!r->token && (rows = store_cert_reserve(c->store, &n, &a, 0, e)) != 0)
    return rows > 0 ? ISSUE_OK : ISSUE_FAIL;
  rows = store_tx(c->store, issue_reserve_tx, &t, 0, e);
  store_ca_clear(&t.locked);
  return rows < 0 ? ISSUE_FAIL : (issue_rc_t)rows;
}

/* Checks the token's signature in software and encodes it. */
static int issue_check(X509 *signed_x, EVP_PKEY *ca_pub, unsigned char **der, int *der_len,
                       err_t *e) {
  if (X509_verify(signed_x, ca_pub) != 1)
    return err_set(e, ERR_ServiceUnavailable, "the token's signature does not verify");
  *der_len = i2d_X509(signed_x, der);
  return *der_len > 0 ? 0 : err_set(e, ERR_InternalFailure, "cannot encode the certificate");
}

/* T2 or the FAILED mark, as a store_tx body (store/store.h). */
typedef struct {
  const ctx_t *c;
  const char *ca_id, *ca_arn, *serial, *op, *token;
  const unsigned char *der;
  int der_len;
  const char *why;
} issue_fin_t;

/* A T2 that found its row no longer PENDING: ISSUE_OK when it is ISSUED
 * (an earlier try's COMMIT went through although its answer was lost, or
 * the janitor finished it: the ARN is good either way), ISSUE_FAIL when
 * the database could not say, ISSUE_FINAL otherwise (the row was marked
 * FAILED meanwhile). */
static issue_rc_t issue_confirm(const ctx_t *c, const issue_fin_t *f, err_t *e) {
  store_cert_t crt;
  int rc = store_cert_by_serial(c->store, f->ca_id, f->serial, 0, &crt, e);
  int issued = rc == 1 && crt.status == CERT_ISSUED;
  store_cert_clear(&crt);
  if (issued)
    return ISSUE_OK;
  if (rc < 0)
    return ISSUE_FAIL;
  err_ignore(err_set(e, ERR_ServiceUnavailable,
                     "The certificate %s was finished elsewhere while it was being signed; "
                     "retry with the same IdempotencyToken",
                     f->serial));
  return ISSUE_FINAL;
}

/* T2: PENDING -> ISSUED, one statement that commits with its concurrent
 * peers; a row no longer PENDING is confirmed ISSUED, never assumed. */
static int issue_tx_issued(void *arg, err_t *e) {
  const issue_fin_t *f = arg;
  const ctx_t *c = f->c;
  char detail[AUDIT_DETAIL_MAX];
  store_audit_t a;
  int done;
  audit_note(c, &a, detail, AUDIT_SignCertificate, f->ca_arn, f->serial, "issued, %d bytes",
             f->der_len);
  done = store_cert_issued_commit(c->store, f->ca_id, f->serial, f->der, (size_t)f->der_len,
                                  &a, e);
  if (done < 0)
    return ISSUE_FAIL;
  if (done == 0)
    return issue_confirm(c, f, e);
  metrics_issued();
  return ISSUE_OK;
}

/* A signature that failed: FAILED, the token released, so that a retry
 * issues afresh. */
static int issue_tx_failed(void *arg, err_t *e) {
  const issue_fin_t *f = arg;
  const ctx_t *c = f->c;
  int done = store_cert_failed(c->store, f->ca_id, f->serial, e);
  if (done < 0 || (f->token && store_idem_release(c->store, c->caller, f->op, f->token, e) < 0))
    return ISSUE_FAIL;
  if (done == 0)
    return ISSUE_OK;
  return audit_event(c, e, AUDIT_IssueCertificateFailed, f->ca_arn, f->serial, "%s", f->why) < 0
             ? ISSUE_FAIL
             : ISSUE_OK;
}

/* Signs outside any transaction, within the signer's deadline, and
 * records the outcome: ISSUED, or FAILED with its token released. */
static int issue_sign_record(const ctx_t *c, const issue_req_t *r, issue_t *is, err_t *e) {
  char op[64];
  unsigned char *der = NULL;
  issue_fin_t f = {c, is->row.id, r->ca_arn, is->norm, op, r->token, NULL, 0, NULL};
  X509 *signed_x;
  err_t fe;
  int ret = -1;
  issue_token_op(op, is->row.id);
  clock_sleep_ms(failpoint("sign_delay_ms"));
  signed_x = key_sign_cert(c, is->row.key_id, is->x, r->signing_algorithm, e);
  is->x = NULL; /* the signer's now */
  if (signed_x && issue_check(signed_x, is->ca_pub, &der, &f.der_len, e) == 0) {
    f.der = der;
    ret = store_retry(c->store, issue_tx_issued, &f, ISSUE_TX_BUDGET_MS, e);
    if (ret < 0)
      log_err(&c->log, "serial=%s signed, not recorded (stays for the janitor): %s", is->norm,
              e->msg);
  } else {
    f.why = e->msg;
    if (store_tx(c->store, issue_tx_failed, &f, ISSUE_TX_BUDGET_MS, &fe) < 0)
      log_err(&c->log, "serial=%s not signed, and not marked FAILED: %s", is->norm, fe.msg);
  }
  X509_free(signed_x);
  OPENSSL_free(der);
  return ret;
}

/* One try: ISSUE_OK, ISSUE_FAIL, or ISSUE_STALE_ROW. */
static issue_rc_t issue_attempt(const ctx_t *c, const issue_req_t *r, int use_cache, char **arn,
                                err_t *e) {
  issue_t is;
  issue_rc_t ret = ISSUE_FAIL, rc = ISSUE_REBUILD;
  memset(&is, 0, sizeof is);
  *arn = NULL;
  for (int round = 0; rc == ISSUE_REBUILD && round < ISSUE_BUILD_TRIES; round++) {
    if (round > 0)
      cacache_forget(r->ca_arn); /* the CA changed: read it afresh */
    issue_clear(&is);
    memset(&is, 0, sizeof is);
    free(*arn);
    *arn = NULL;
    if (issue_load(c, r, &is, use_cache && round == 0, e) < 0 || issue_prepare(c, r, &is, e) < 0)
      goto out;
    if (asprintf(arn, "%s/certificate/%s", r->ca_arn, is.hex) < 0) {
      *arn = NULL;
      err_set(e, ERR_InternalFailure, "out of memory");
      goto out;
    }
    rc = issue_reserve(c, r, &is, arn, e);
  }
  if (rc == ISSUE_REBUILD)
    err_set(e, ERR_ConcurrentModificationException,
            "The certificate authority's certificate keeps changing; retry.");
  if (rc != ISSUE_OK) {
    ret = rc == ISSUE_EARLIER ? ISSUE_OK : ISSUE_FAIL; /* the token's earlier ARN */
    goto out;
  }
  if (failpoint("crash_after_t1"))
    raise(SIGKILL);
  ret = issue_sign_record(c, r, &is, e);
out:
  if (ret < 0 && rc != ISSUE_OK && is.cached && e->code != ERR_ServiceUnavailable &&
      e->code != ERR_InternalFailure)
    ret = ISSUE_STALE_ROW;
  if (ret < 0) {
    free(*arn);
    *arn = NULL;
  }
  issue_clear(&is);
  return ret;
}

int issue_certificate(const ctx_t *c, const issue_req_t *r, char **arn, err_t *e) {
  issue_rc_t rc = issue_attempt(c, r, 1, arn, e);
  if (rc == ISSUE_STALE_ROW) {
    cacache_forget(r->ca_arn);
    rc = issue_attempt(c, r, 0, arn, e);
  }
  return rc < 0 ? -1 : 0;
}

/* ---- janitor ---- */

/* One PENDING row past its deadline: its request is over (crashed, or T2
 * never confirmed). Signed from the kept certificate and ISSUED when its
 * CA can still sign; FAILED when it cannot; left for the next round while
 * the token is away. */
static int issue_finish_one(const ctx_t *janitor, const store_cert_stale_t *st, err_t *e) {
  ctx_t c = *janitor;
  store_ca_t row;
  issue_fin_t f = {&c, NULL, st->ca_arn, st->serial, NULL, NULL, NULL, 0, "never signed"};
  const unsigned char *q = st->tbs;
  X509 *tbs = st->tbs ? d2i_X509(NULL, &q, (long)st->tbs_len) : NULL, *signed_x = NULL;
  EVP_PKEY *pub = NULL;
  unsigned char *der = NULL;
  int ret = -1;
  memset(&row, 0, sizeof row);
  c.account = st->account;
  if (ca_get(&c, st->ca_arn, STORE_LOCK_NONE, &row, e) < 0)
    goto out;
  f.ca_id = row.id;
  if (tbs && row.has_key && st->signing_algorithm &&
      castate_allows(CA_OP_FINISH, castate_of(&row))) {
    if (!(pub = key_public(&c, row.key_id, e)))
      goto out; /* the token is away: the next round tries again */
    signed_x = key_sign_cert(&c, row.key_id, tbs, st->signing_algorithm, e);
    tbs = NULL; /* the signer's now */
    if (!signed_x)
      goto out;
    if (issue_check(signed_x, pub, &der, &f.der_len, e) == 0) {
      f.der = der;
      ret = store_retry(c.store, issue_tx_issued, &f, ISSUE_TX_BUDGET_MS, e);
      goto out;
    }
    f.why = e->msg;
  }
  ret = store_tx(c.store, issue_tx_failed, &f, ISSUE_TX_BUDGET_MS, e);
out:
  X509_free(tbs);
  X509_free(signed_x);
  EVP_PKEY_free(pub);
  OPENSSL_free(der);
  store_ca_clear(&row);
  return ret;
}

int issue_finish_stale(const ctx_t *c, err_t *e) {
  char *skip = NULL;
  int rc = 0;
  for (int n = 0; n < 100; n++) {
    store_cert_stale_t st;
    rc = store_cert_stale(c->store, c->pending_deadline, skip, &st, e);
    if (rc != 1)
      break;
    free(skip);
    skip = strdup(st.arn);
    if (issue_finish_one(c, &st, e) < 0)
      log_warn(&c->log, "pending certificate %s: %s", st.arn, e->msg);
    else
      log_notice(&c->log, "pending certificate %s finished", st.arn);
    store_cert_stale_clear(&st);
    if (!skip)
      break;
  }
  free(skip);
  return rc < 0 ? -1 : 0;
}
