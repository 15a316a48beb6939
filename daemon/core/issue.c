#include "core/issue.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/audit.h"
#include "core/ca_row.h"
#include "core/certext.h"
#include "core/csr.h"
#include "core/key.h"
#include "core/serial.h"
#include "core/sigalg.h"
#include "core/templates.h"
#include "core/validity.h"
#include "shape/cacfg.h"
#include "shape/revcfg.h"
#include "store/store_cert.h"

#define ISSUE_SHORT_LIVED_MAX (7 * 86400)
#define ISSUE_RECORD_TRIES 3

/* One issuance as it goes: what was read, what was built. */
typedef struct {
  const template_t *t;
  store_ca_t row;  /* the CA as read before T1 */
  cacfg_t cfg;
  revcfg_t rev;
  X509_REQ *req;
  EVP_PKEY *ca_pub; /* the token's public key */
  X509 *ca_cert;    /* NULL for a root's own certificate */
  X509 *x;          /* the certificate being issued */
  int self_issue;
  long long nb, na;
  char hex[SERIAL_HEX], norm[SERIAL_HEX];
  char subj[512];
} issue_t;

static int issue_bad_state(err_t *e) {
  return err_set(e, ERR_InvalidStateException,
                 "The certificate authority is not in a valid state for issuing certificates.");
}

static void issue_clear(issue_t *is) {
  X509_free(is->x);
  X509_free(is->ca_cert);
  EVP_PKEY_free(is->ca_pub);
  X509_REQ_free(is->req);
  cacfg_clear(&is->cfg);
  revcfg_clear(&is->rev);
  store_ca_clear(&is->row);
}

static X509 *issue_ca_cert(const store_ca_t *row) {
  const unsigned char *q = row->cert_der;
  return row->cert_der ? d2i_X509(NULL, &q, (long)row->cert_len) : NULL;
}

/* The template, the CA, its configuration, the CSR and the token's public
 * key: everything prepare needs, read without a lock. */
static int issue_load(const ctx_t *c, const issue_req_t *r, issue_t *is, err_t *e) {
  is->t = templates_find(r->template_arn ? r->template_arn
                                         : "arn:aws:acm-pca:::template/" TEMPLATE_DEFAULT);
  if (!is->t)
    return err_set(e, ERR_InvalidArgsException, "TemplateArn %s is not a known template",
                   r->template_arn);
  if (ca_get(c, r->ca_arn, STORE_LOCK_NONE, &is->row, e) < 0)
    return -1;
  if (!is->row.has_key || cacfg_algorithms_from_text(is->row.ca_config, &is->cfg, e) < 0 ||
      revcfg_from_text(is->row.revocation_config, &is->rev, e) < 0)
    return issue_bad_state(e);
  if (sigalg_fits(r->signing_algorithm, is->cfg.key_algorithm, e) < 0)
    return -1;
  if (!(is->req = csr_parse(r->csr, r->csr_len, e)) ||
      csr_key_policy(X509_REQ_get0_pubkey(is->req), e) < 0)
    return -1;
  is->ca_pub = key_public(c, is->row.key_id, e);
  return is->ca_pub ? 0 : -1;
}

/* The state rules: ACTIVE issues; a ROOT signs its own CSR with a root
 * template while PENDING_CERTIFICATE (activation) or ACTIVE (renewal). */
static int issue_state(issue_t *is, err_t *e) {
  const char *status = is->row.status;
  is->self_issue = is->t->root;
  if (!is->self_issue) {
    if (strcmp(status, "ACTIVE") != 0 || !(is->ca_cert = issue_ca_cert(&is->row)))
      return issue_bad_state(e);
    return 0;
  }
  if (strcmp(is->row.type, "ROOT") != 0 ||
      EVP_PKEY_eq(X509_REQ_get0_pubkey(is->req), is->ca_pub) != 1)
    return err_set(e, ERR_InvalidArgsException,
                   "A root template signs only a ROOT certificate authority's own CSR");
  if (strcmp(status, "PENDING_CERTIFICATE") != 0 && strcmp(status, "ACTIVE") != 0)
    return issue_bad_state(e);
  return 0;
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
           X509_set_pubkey(x, X509_REQ_get0_pubkey(is->req));
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
  b = (certext_in_t){is->t,      api,        is->req,     X509_REQ_get0_pubkey(is->req),
                     is->ca_cert, is->ca_pub, &is->rev,    is->row.id,
                     c->region};
  if (certext_build(is->x, &b, e) < 0)
    return -1;
  if (X509_NAME_entry_count(X509_get_subject_name(is->x)) == 0 &&
      X509_get_ext_by_NID(is->x, NID_subject_alt_name, -1) < 0)
    return err_set(e, ERR_MalformedCSRException,
                   "The certificate needs a subject or a subject alternative name");
  X509_NAME_oneline(X509_get_subject_name(is->x), is->subj, sizeof is->subj);
  return 0;
}

/* T1: the intent, serial reserved, durable before the token signs. 1 when
 * the IdempotencyToken answered with an earlier ARN (in *arn), 0 reserved. */
static int issue_reserve(const ctx_t *c, const issue_req_t *r, issue_t *is, char **arn,
                         err_t *e) {
  store_ca_t locked;
  char op[64];
  int ret = -1, claimed = 0, taken = -1;
  store_cert_new_t n = {is->row.id, is->norm, *arn, is->t->name, is->subj, c->actor,
                        is->nb,     is->na};
  memset(&locked, 0, sizeof locked);
  snprintf(op, sizeof op, "IssueCertificate:%s", is->row.id);
  if (store_begin(c->store, e) < 0 || ca_get(c, r->ca_arn, STORE_LOCK_SHARE, &locked, e) < 0)
    goto out;
  if (strcmp(locked.status, is->row.status) != 0) {
    issue_bad_state(e);
    goto out;
  }
  /* the same token within 5 minutes: that certificate, nothing new */
  if (r->token && (claimed = store_idem_claim(c->store, c->account, op, r->token, arn, e)) != 0)
    goto out;
  taken = store_cert_reserve(c->store, &n, e);
  if (taken > 0) /* a 128-bit collision: refuse rather than reuse */
    err_set(e, ERR_ServiceUnavailable, "serial collision; retry");
  if (taken == 0 &&
      audit_event(c, "IssueCertificate", r->ca_arn, is->norm, "template=%s requested",
                  is->t->name) == 0 &&
      store_commit(c->store, e) == 0)
    ret = 0;
out:
  if (ret < 0 || claimed == 1)
    store_rollback(c->store);
  if (claimed == 1)
    ret = 1;
  store_ca_clear(&locked);
  return ret;
}

/* Signs in the token, outside any transaction, and checks the signature in
 * software. *der is OPENSSL_malloc'ed. */
static int issue_sign(const ctx_t *c, const issue_req_t *r, issue_t *is, unsigned char **der,
                      int *der_len, err_t *e) {
  EVP_PKEY *priv = key_private(c, is->row.key_id, e);
  int ret = -1;
  if (!priv || sigalg_sign_cert(is->x, priv, r->signing_algorithm, e) < 0)
    goto out;
  if (X509_verify(is->x, is->ca_pub) != 1) {
    err_set(e, ERR_InternalFailure, "the token's signature does not verify");
    goto out;
  }
  *der_len = i2d_X509(is->x, der);
  if (*der_len <= 0) {
    err_set(e, ERR_InternalFailure, "cannot encode the certificate");
    goto out;
  }
  ret = 0;
out:
  EVP_PKEY_free(priv);
  return ret;
}

/* T2: ISSUED; retried on a fresh connection (the UPDATE is idempotent). */
static int issue_record(const ctx_t *c, const issue_req_t *r, const issue_t *is,
                        const unsigned char *der, int der_len, err_t *e) {
  for (int attempt = 0; attempt < ISSUE_RECORD_TRIES; attempt++) {
    int done;
    err_clear(e);
    if (store_ready(c->store, e) == 0 && store_begin(c->store, e) == 0 &&
        (done = store_cert_issued(c->store, is->row.id, is->norm, der, (size_t)der_len, e)) >= 0 &&
        (done == 0 || audit_event(c, "SignCertificate", r->ca_arn, is->norm, "issued, %d bytes",
                                  der_len) == 0) &&
        store_commit(c->store, e) == 0) {
      if (done == 0)
        log_warn(c->rid, "ca=%s serial=%s was no longer PENDING at finalize", r->ca_arn,
                 is->norm);
      return 0;
    }
    store_rollback(c->store);
  }
  log_err(c->rid, "ca=%s serial=%s signed but not recorded: %s", r->ca_arn, is->norm, e->msg);
  return -1;
}

int issue_certificate(const ctx_t *c, const issue_req_t *r, char **arn, err_t *e) {
  issue_t is;
  unsigned char *der = NULL;
  int der_len = 0, ret = -1, claimed, reserved = 0;
  memset(&is, 0, sizeof is);
  *arn = NULL;
  if (issue_load(c, r, &is, e) < 0 || issue_prepare(c, r, &is, e) < 0)
    goto out;
  if (asprintf(arn, "%s/certificate/%s", r->ca_arn, is.hex) < 0) {
    *arn = NULL;
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  claimed = issue_reserve(c, r, &is, arn, e);
  if (claimed != 0) {
    ret = claimed == 1 ? 0 : -1; /* 1: the token's earlier ARN */
    goto out;
  }
  reserved = 1;
  if (issue_sign(c, r, &is, &der, &der_len, e) == 0 && issue_record(c, r, &is, der, der_len, e) == 0)
    ret = 0;
out:
  if (ret < 0) {
    if (reserved && e->code == ERR_InternalFailure) /* signing or T2 failed */
      log_err(c->rid, "ca=%s serial=%s stays PENDING: %s", r->ca_arn, is.norm, e->msg);
    free(*arn);
    *arn = NULL;
  }
  OPENSSL_free(der);
  issue_clear(&is);
  return ret;
}
