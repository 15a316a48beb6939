#include "core/ocsp.h"

#include <openssl/ocsp.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/crl.h"
#include "core/key.h"
#include "core/serial.h"
#include "shape/cacfg.h"
#include "store/store_ca.h"
#include "store/store_cert.h"

#define OCSP_VALIDITY 3600 /* nextUpdate an hour after thisUpdate */

/* The CA among cas that issued id (name and key hash); its certificate in
 * *cert. -1 when none. */
static int ocsp_issuer(const store_ca_t *cas, int n, const OCSP_CERTID *id, X509 **cert) {
  ASN1_OBJECT *md_obj = NULL;
  const EVP_MD *md;
  OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, (OCSP_CERTID *)id);
  md = md_obj ? EVP_get_digestbyobj(md_obj) : NULL;
  for (int i = 0; md && i < n; i++) {
    const unsigned char *q = cas[i].cert_der;
    X509 *x = d2i_X509(NULL, &q, (long)cas[i].cert_len);
    OCSP_CERTID *mine = x ? OCSP_cert_to_id(md, NULL, x) : NULL;
    int same = mine && OCSP_id_issuer_cmp(mine, id) == 0;
    OCSP_CERTID_free(mine);
    if (same) {
      *cert = x;
      return i;
    }
    X509_free(x);
  }
  return -1;
}

/* The status of one serial of ca, added to bs. */
static int ocsp_status(const ctx_t *c, const store_ca_t *ca, OCSP_CERTID *id, OCSP_BASICRESP *bs,
                       err_t *e) {
  ASN1_INTEGER *serial = NULL;
  BIGNUM *bn;
  char *hex, norm[64];
  store_cert_t crt;
  int rc = 1, status = V_OCSP_CERTSTATUS_UNKNOWN, reason = -1, ok;
  ASN1_TIME *rev = NULL, *now = ASN1_TIME_set(NULL, clock_now()),
            *next = ASN1_TIME_set(NULL, clock_now() + OCSP_VALIDITY);
  memset(&crt, 0, sizeof crt);
  OCSP_id_get0_info(NULL, NULL, NULL, &serial, id);
  bn = serial ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
  hex = bn ? BN_bn2hex(bn) : NULL;
  if (hex && serial_normalize(hex, norm, sizeof norm) == 0)
    rc = store_cert_by_serial(c->store, ca->id, norm, 0, &crt, e);
  if (rc < 0)
    goto out;
  if (rc == 0 && strcmp(crt.status, "ISSUED") == 0) {
    status = crt.revoked_at ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
    if (crt.revoked_at) {
      rev = ASN1_TIME_set(NULL, (time_t)strtod(crt.revoked_at, NULL));
      reason = crl_reason_code(crt.revocation_reason);
    }
  }
  ok = now && next && OCSP_basic_add1_status(bs, id, status, reason, rev, now, next) != NULL;
  rc = ok ? 0 : err_set(e, ERR_InternalFailure, "cannot add an OCSP status");
out:
  store_cert_clear(&crt);
  ASN1_TIME_free(rev);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  OPENSSL_free(hex);
  BN_free(bn);
  return rc;
}

/* The statuses for req, signed: SUCCESSFUL with *out, or the status that
 * says why not. */
static int ocsp_basic(const ctx_t *c, OCSP_REQUEST *req, OCSP_BASICRESP **out) {
  store_ca_t *cas = NULL;
  X509 *issuer = NULL;
  OCSP_BASICRESP *bs = NULL;
  OCSP_CERTID *first = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0));
  cacfg_t cfg;
  err_t e;
  int n = 0, k, ret = OCSP_RESPONSE_STATUS_TRYLATER;
  memset(&cfg, 0, sizeof cfg);
  err_clear(&e);
  if (store_ca_ocsp(c->store, &cas, &n, &e) < 0)
    goto out;
  if ((k = ocsp_issuer(cas, n, first, &issuer)) < 0) {
    ret = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
    goto out;
  }
  if (!(bs = OCSP_BASICRESP_new()) || cacfg_algorithms_from_text(cas[k].ca_config, &cfg, &e) < 0)
    goto out;
  for (int i = 0; i < OCSP_request_onereq_count(req); i++) {
    OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
    if (OCSP_id_issuer_cmp(id, first) != 0) {
      ret = OCSP_RESPONSE_STATUS_UNAUTHORIZED; /* one issuer per request */
      goto out;
    }
    if (ocsp_status(c, &cas[k], id, bs, &e) < 0)
      goto out;
  }
  if (OCSP_copy_nonce(bs, req) <= 0)
    goto out;
  *out = key_sign_ocsp(c, cas[k].key_id, bs, issuer, cfg.signing_algorithm, &e);
  bs = NULL;
  issuer = NULL; /* the signer's now */
  if (*out)
    ret = OCSP_RESPONSE_STATUS_SUCCESSFUL;
out:
  if (e.code != ERR_OK)
    log_warn(c->rid, "OCSP: %s", e.msg);
  OCSP_BASICRESP_free(bs);
  X509_free(issuer);
  cacfg_clear(&cfg);
  store_ca_free(cas, n);
  return ret;
}

int ocsp_respond(const ctx_t *c, const unsigned char *der, size_t len, unsigned char **out,
                 int *out_len) {
  const unsigned char *q = der;
  OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &q, (long)len);
  OCSP_BASICRESP *bs = NULL;
  OCSP_RESPONSE *resp;
  int status = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
  if (req && q == der + len && OCSP_request_onereq_count(req) > 0)
    status = ocsp_basic(c, req, &bs);
  resp = OCSP_response_create(status, status == OCSP_RESPONSE_STATUS_SUCCESSFUL ? bs : NULL);
  *out = NULL;
  *out_len = resp ? i2d_OCSP_RESPONSE(resp, out) : -1;
  OCSP_RESPONSE_free(resp);
  OCSP_BASICRESP_free(bs);
  OCSP_REQUEST_free(req);
  return *out_len > 0 ? 0 : -1;
}
