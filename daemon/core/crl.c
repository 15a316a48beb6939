#include "core/crl.h"

#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/audit.h"
#include "core/ca_row.h"
#include "core/key.h"
#include "shape/cacfg.h"
#include "shape/revcfg.h"
#include "store/store_crl.h"

#define CRL_BACKDATE 3600 /* thisUpdate an hour back, like notBefore */

/* AWS RevocationReason -> RFC 5280 CRLReason. */
static const struct {
  const char *name;
  int code;
} crl_reasons[] = {
    {"UNSPECIFIED", 0},          {"KEY_COMPROMISE", 1},         {"CERTIFICATE_AUTHORITY_COMPROMISE", 2},
    {"AFFILIATION_CHANGED", 3},  {"SUPERSEDED", 4},             {"CESSATION_OF_OPERATION", 5},
    {"PRIVILEGE_WITHDRAWN", 9},  {"A_A_COMPROMISE", 10},
};

int crl_reason_code(const char *name) {
  for (size_t i = 0; name && i < sizeof crl_reasons / sizeof crl_reasons[0]; i++)
    if (strcmp(crl_reasons[i].name, name) == 0)
      return crl_reasons[i].code;
  return 0;
}

static int crl_add_entry(X509_CRL *crl, const store_crl_entry_t *en) {
  X509_REVOKED *rv = X509_REVOKED_new();
  BIGNUM *bn = NULL;
  ASN1_INTEGER *serial = NULL;
  ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)en->revoked_at);
  ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
  int ok = rv && when && reason && BN_hex2bn(&bn, en->serial) > 0 &&
           (serial = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
           X509_REVOKED_set_serialNumber(rv, serial) &&
           X509_REVOKED_set_revocationDate(rv, when) &&
           ASN1_ENUMERATED_set(reason, crl_reason_code(en->reason)) &&
           X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, reason, 0, 0) &&
           X509_CRL_add0_revoked(crl, rv);
  if (!ok)
    X509_REVOKED_free(rv);
  ASN1_ENUMERATED_free(reason);
  ASN1_TIME_free(when);
  ASN1_INTEGER_free(serial);
  BN_free(bn);
  return ok ? 0 : -1;
}

/* The CRL's fields and extensions: v2, issuer, the two times, AKI, CRL
 * number, the entries; unsigned. */
static X509_CRL *crl_build(X509 *ca_cert, const store_crl_entry_t *v, int n, const char *number,
                           long long tu, long long nu) {
  X509_CRL *crl = X509_CRL_new();
  ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)tu), *t2 = ASN1_TIME_set(NULL, (time_t)nu);
  AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
  const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca_cert);
  BIGNUM *bn = NULL;
  ASN1_INTEGER *num = NULL;
  int ok = crl && t1 && t2 && aki && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
           X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert)) &&
           X509_CRL_set1_lastUpdate(crl, t1) && X509_CRL_set1_nextUpdate(crl, t2) &&
           BN_dec2bn(&bn, number) > 0 && (num = BN_to_ASN1_INTEGER(bn, NULL)) != NULL &&
           X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
  if (ok && ski) {
    aki->keyid = ASN1_OCTET_STRING_dup(ski);
    ok = aki->keyid && X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0);
  }
  for (int i = 0; ok && i < n; i++)
    ok = crl_add_entry(crl, &v[i]) == 0;
  if (ok)
    ok = X509_CRL_sort(crl);
  AUTHORITY_KEYID_free(aki);
  ASN1_INTEGER_free(num);
  BN_free(bn);
  ASN1_TIME_free(t1);
  ASN1_TIME_free(t2);
  if (!ok) {
    X509_CRL_free(crl);
    return NULL;
  }
  return crl;
}

/* Inside the writer's transaction: the CRL built, signed in the token
 * (within the signer's deadline), checked, stored. */
static int crl_make(const ctx_t *c, const store_crl_due_t *d, const store_ca_t *row,
                    const revcfg_t *rev, err_t *e) {
  cacfg_t cfg;
  store_crl_entry_t *v = NULL;
  const unsigned char *q = row->cert_der;
  X509 *ca_cert = d2i_X509(NULL, &q, (long)row->cert_len);
  X509_CRL *crl = NULL, *signed_crl = NULL;
  EVP_PKEY *pub = NULL;
  unsigned char *der = NULL;
  char number[32], target[512];
  long long now = (long long)clock_now(), period = rev->crl_days * 86400LL;
  int n = 0, len = 0, ret = -1;
  memset(&cfg, 0, sizeof cfg);
  snprintf(target, sizeof target, "%s/%s/%s.crl", rev->crl_bucket,
           rev->crl_path ? rev->crl_path : "crl", row->id);
  if (!ca_cert || cacfg_algorithms_from_text(row->ca_config, &cfg, e) < 0 ||
      store_crl_entries(c->store, row->id, period, &v, &n, e) < 0 ||
      store_crl_next_number(c->store, row->id, number, e) < 0)
    goto out;
  if (!(crl = crl_build(ca_cert, v, n, number, now - CRL_BACKDATE, now + period))) {
    err_set(e, ERR_InternalFailure, "cannot build the CRL");
    goto out;
  }
  signed_crl = key_sign_crl(c, row->key_id, crl, cfg.signing_algorithm, e);
  crl = NULL; /* the signer's now */
  if (!signed_crl || !(pub = key_public(c, row->key_id, e)))
    goto out;
  if (X509_CRL_verify(signed_crl, pub) != 1 || (len = i2d_X509_CRL(signed_crl, &der)) <= 0) {
    err_set(e, ERR_ServiceUnavailable, "the token's CRL signature does not verify");
    goto out;
  }
  if (store_crl_insert(c->store, row->id, number, now - CRL_BACKDATE, now + period,
                       d->revocations, target, der, (size_t)len, e) == 0 &&
      audit_event(c, "GenerateCrl", d->arn, NULL, "number=%s entries=%d", number, n) == 0)
    ret = 0;
out:
  OPENSSL_free(der);
  EVP_PKEY_free(pub);
  X509_CRL_free(signed_crl);
  X509_CRL_free(crl);
  X509_free(ca_cert);
  store_crl_entries_free(v, n);
  cacfg_clear(&cfg);
  return ret;
}

/* One CA: 1 made, 0 another writer has it, -1 error. */
static int crl_refresh_one(const ctx_t *janitor, const store_crl_due_t *d, err_t *e) {
  ctx_t c = *janitor;
  store_ca_t row;
  revcfg_t rev;
  int ret = -1, locked;
  long long t0 = clock_now_ms();
  memset(&row, 0, sizeof row);
  memset(&rev, 0, sizeof rev);
  c.account = d->account;
  if (ca_get(&c, d->arn, STORE_LOCK_NONE, &row, e) < 0 ||
      revcfg_from_text(d->revocation_config, &rev, e) < 0 || !row.has_key)
    goto out;
  if (store_begin(c.store, e) < 0 || (locked = store_crl_lock(c.store, row.id, e)) < 0)
    goto out;
  if (locked == 0) {
    ret = 0;
    goto out;
  }
  if (crl_make(&c, d, &row, &rev, e) == 0 && store_commit(c.store, e) == 0) {
    log_info(c.rid, "CRL of %s made in %lld ms", d->arn, clock_now_ms() - t0);
    ret = 1;
  }
out:
  if (ret != 1)
    store_rollback(c.store);
  revcfg_clear(&rev);
  store_ca_clear(&row);
  return ret;
}

int crl_refresh_due(const ctx_t *c, long delay_s, err_t *e) {
  store_crl_due_t *d = NULL;
  int n = 0, made = 0;
  if (store_crl_due(c->store, delay_s, &d, &n, e) < 0)
    return -1;
  for (int i = 0; i < n; i++) {
    err_t one;
    err_clear(&one);
    if (crl_refresh_one(c, &d[i], &one) > 0)
      made++;
    else if (one.code != ERR_OK)
      log_err(c->rid, "CRL of %s: %s", d[i].arn, one.msg);
  }
  store_crl_due_free(d, n);
  return made;
}
