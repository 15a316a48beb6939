#include "core/crl.h"

#include <openssl/x509v3.h>
#include <time.h>
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

/* The critical Issuing Distribution Point of a partition's CRL: its URL,
 * the one the CDP of its certificates gives. */
static int crl_add_idp(X509_CRL *crl, const char *url) {
  ISSUING_DIST_POINT *idp = ISSUING_DIST_POINT_new();
  GENERAL_NAME *g = GENERAL_NAME_new();
  ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
  int ok = idp && g && uri && ASN1_STRING_set(uri, url, -1) &&
           (idp->distpoint = DIST_POINT_NAME_new()) != NULL &&
           (idp->distpoint->name.fullname = sk_GENERAL_NAME_new_null()) != NULL;
  if (ok) {
    GENERAL_NAME_set0_value(g, GEN_URI, uri);
    uri = NULL;
    idp->distpoint->type = 0;
    ok = sk_GENERAL_NAME_push(idp->distpoint->name.fullname, g) > 0;
  }
  if (ok) {
    g = NULL;
    ok = X509_CRL_add1_ext_i2d(crl, NID_issuing_distribution_point, idp, 1, 0);
  }
  ASN1_IA5STRING_free(uri);
  GENERAL_NAME_free(g);
  ISSUING_DIST_POINT_free(idp);
  return ok ? 0 : -1;
}

/* The CRL's fields and extensions: v2, issuer, the two times, AKI, CRL
 * number, the IDP of a partition (idp_url, else NULL), the entries;
 * unsigned. */
static X509_CRL *crl_build(X509 *ca_cert, const store_crl_entry_t *v, int n, const char *number,
                           long long tu, long long nu, const char *idp_url) {
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
  if (ok && idp_url)
    ok = crl_add_idp(crl, idp_url) == 0;
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
  char number[32], target[512], url[1024];
  const char *name = d->partition ? d->partition : row->id;
  long long now = (long long)clock_now(), period = rev->crl_days * 86400LL;
  int n = 0, len = 0, ret = -1;
  memset(&cfg, 0, sizeof cfg);
  if (revcfg_crl_key(rev, name, target, sizeof target) < 0 ||
      revcfg_crl_url(rev, name, c->region, url, sizeof url) < 0) {
    err_set(e, ERR_InternalFailure, "the CRL's name is too long");
    goto out;
  }
  if (!ca_cert || cacfg_algorithms_from_text(row->ca_config, &cfg, e) < 0 ||
      store_crl_entries(c->store, row->id, d->partition, period, &v, &n, e) < 0 ||
      store_crl_next_number(c->store, row->id, number, e) < 0)
    goto out;
  if (!(crl = crl_build(ca_cert, v, n, number, now - CRL_BACKDATE, now + period,
                        d->partition ? url : NULL))) {
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
  if (store_crl_insert(c->store,
                       &(store_crl_new_t){row->id, d->partition, number, target,
                                          now - CRL_BACKDATE, now + period, d->revocations, der,
                                          (size_t)len},
                       e) == 0 &&
      audit_event(c, e, AUDIT_GenerateCrl, d->arn, NULL, "number=%s entries=%d partition=%s", number,
                  n, d->partition ? d->partition : "-") == 0)
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

typedef struct {
  const ctx_t *c;
  const store_crl_due_t *d;
  const store_ca_t *row;
  const revcfg_t *rev;
} crl_one_t;

/* 1 made, 0 another writer has it (a store_tx body). */
static int crl_one_tx(void *arg, err_t *e) {
  const crl_one_t *o = arg;
  int locked = store_crl_lock(o->c->store, o->row->id, e);
  if (locked <= 0)
    return locked;
  return crl_make(o->c, o->d, o->row, o->rev, e) < 0 ? -1 : 1;
}

/* One CA: 1 made, 0 another writer has it, -1 error. */
static int crl_refresh_one(const ctx_t *janitor, const store_crl_due_t *d, err_t *e) {
  ctx_t c = *janitor;
  store_ca_t row;
  revcfg_t rev;
  crl_one_t o = {&c, d, &row, &rev};
  int ret = -1;
  long long t0 = clock_now_ms();
  memset(&row, 0, sizeof row);
  memset(&rev, 0, sizeof rev);
  c.account = d->account;
  if (ca_get(&c, d->arn, STORE_LOCK_NONE, &row, e) < 0 ||
      revcfg_from_text(d->revocation_config, &rev, e) < 0 || !row.has_key)
    goto out;
  ret = store_tx(c.store, crl_one_tx, &o, 0, e);
  if (ret == 1)
    log_info(&c.log, "CRL of %s%s%s made in %lld ms", d->arn, d->partition ? " partition " : "",
             d->partition ? d->partition : "", clock_now_ms() - t0);
out:
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
      log_err(&c->log, "CRL of %s: %s", d[i].arn, one.msg);
  }
  store_crl_due_free(d, n);
  return made;
}

/* Steps over the next TLV (or into it when enter is set); its tag in *tag.
 * -1 when what is left is not DER. */
static int crl_step(const unsigned char **p, long *left, int enter, int *tag) {
  const unsigned char *q = *p;
  long l;
  int cls, r = ASN1_get_object(&q, &l, tag, &cls, *left);
  if ((r & 0x80) || (enter && !(r & V_ASN1_CONSTRUCTED)))
    return -1;
  l = enter ? 0 : l;
  *left -= (long)(q - *p) + l;
  *p = q + l;
  return 0;
}

int crl_next_update(const unsigned char *der, size_t len, long long *next) {
  const unsigned char *p = der, *q;
  long left = (long)len;
  int tag = 0, ok;
  ASN1_TIME *t = NULL;
  struct tm tm;
  /* CertificateList { TBSCertList { [version] signature issuer thisUpdate
   * [nextUpdate] ... */
  ok = crl_step(&p, &left, 1, &tag) == 0 && crl_step(&p, &left, 1, &tag) == 0;
  q = p;
  if (ok && crl_step(&q, &(long){left}, 0, &tag) == 0 && tag == V_ASN1_INTEGER)
    ok = crl_step(&p, &left, 0, &tag) == 0;
  for (int k = 0; ok && k < 3; k++) /* signature, issuer, thisUpdate */
    ok = crl_step(&p, &left, 0, &tag) == 0;
  ok = ok && (t = d2i_ASN1_TIME(NULL, &p, left)) != NULL && ASN1_TIME_to_tm(t, &tm);
  if (ok)
    *next = (long long)timegm(&tm);
  ASN1_TIME_free(t);
  return ok ? 0 : -1;
}

const char *crl_s3_acl(const char *s3_object_acl) {
  return s3_object_acl && strcmp(s3_object_acl, "BUCKET_OWNER_FULL_CONTROL") == 0
             ? "bucket-owner-full-control"
             : "public-read";
}
