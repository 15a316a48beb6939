#include "core/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/arn.h"
#include "core/ca_row.h"
#include "core/castate.h"
#include "core/cacert.h"
#include "core/serial.h"
#include "store/store_cert.h"
#include "store/store_crl.h"


/* The CA's certificate and chain as GetCertificate answers them; NULL
 * while the CA has no certificate (a ROOT's own activation certificate). */
static char *cert_chain(const store_cert_ca_t *ca) {
  char *ca_pem = ca->cert_der ? cacert_pem(ca->cert_der, ca->cert_len) : NULL, *chain = NULL;
  if (ca_pem && asprintf(&chain, "%s%s", ca_pem, ca->chain_pem ? ca->chain_pem : "") < 0)
    chain = NULL;
  free(ca_pem);
  return chain;
}

/* One query (store_cert_get_with_ca): the CA as it is now, and the
 * certificate. */
int cert_get(const ctx_t *c, const char *ca_arn, const char *cert_arn, char **cert,
             char **chain, err_t *e) {
  store_cert_ca_t ca;
  store_cert_t crt;
  char id[37];
  size_t l = strlen(ca_arn);
  int rc = -1, found;
  *cert = *chain = NULL;
  if (arn_ca_parse(ca_arn, id, e) < 0)
    return -1;
  found = store_cert_get_with_ca(c->store, c->account, ca_arn, cert_arn, &ca, &crt, e);
  if (found < 0)
    goto out;
  if (found == STORE_CERT_NO_CA) {
    err_set(e, ERR_ResourceNotFoundException, "Could not find certificate authority %s", ca_arn);
  } else if (strncmp(cert_arn, ca_arn, l) != 0 ||
             strncmp(cert_arn + l, "/certificate/", 13) != 0) {
    err_set(e, strncmp(cert_arn, "arn:", 4) == 0 && strstr(cert_arn, "/certificate/")
                   ? ERR_ResourceNotFoundException
                   : ERR_InvalidArnException,
            "Could not find certificate %s in certificate authority %s", cert_arn, ca_arn);
  } else if (castate_check(CA_OP_GET_ISSUED, castate_parse(ca.status), ca_arn, e) < 0) {
    /* refused */
  } else if (found == STORE_CERT_NO_CERT) {
    err_set(e, ERR_ResourceNotFoundException, "Could not find certificate %s", cert_arn);
  } else if (crt.status == CERT_PENDING) {
    err_set(e, ERR_RequestInProgressException, "The certificate is being issued; retry shortly.");
  } else if (crt.status == CERT_FAILED) {
    err_set(e, ERR_RequestFailedException, "The certificate could not be issued.");
  } else if (!(*cert = cacert_pem(crt.der, crt.der_len))) {
    err_set(e, ERR_InternalFailure, "cannot encode the certificate");
  } else {
    *chain = cert_chain(&ca);
    rc = 0;
  }
out:
  store_cert_clear(&crt);
  store_cert_ca_clear(&ca);
  return rc;
}

/* RevokeCertificate's transaction (a store_tx body). */
typedef struct {
  const ctx_t *c;
  const char *ca_arn, *serial, *reason;
  char norm[64];
  store_ca_t row;
  store_cert_t crt;
} cert_revoke_t;

static int cert_revoke_tx(void *arg, err_t *e) {
  cert_revoke_t *r = arg;
  const ctx_t *c = r->c;
  char own[64];
  int found;
  /* the CA row for update: the revocation counts itself there, for the CRL */
  if (ca_get(c, r->ca_arn, STORE_LOCK_UPDATE, &r->row, e) < 0 ||
      castate_check(CA_OP_REVOKE, castate_of(&r->row), r->ca_arn, e) < 0)
    return -1;
  if (r->row.serial && serial_normalize(r->row.serial, own, sizeof own) == 0 &&
      strcmp(own, r->norm) == 0)
    return err_set(e, ERR_InvalidRequestException,
                   "A certificate authority's own certificate cannot be revoked");
  found = store_cert_by_serial(c->store, r->row.id, r->norm, 1, &r->crt, e);
  if (found < 0)
    return -1;
  if (found == 0)
    return err_set(e, ERR_ResourceNotFoundException, "Could not find certificate %s in %s",
                   r->serial, r->ca_arn);
  if (r->crt.status == CERT_PENDING)
    return err_set(e, ERR_RequestInProgressException, "The certificate is still being issued.");
  if (r->crt.status == CERT_FAILED)
    return err_set(e, ERR_ResourceNotFoundException, "The certificate %s was never issued",
                   r->serial);
  if (r->crt.revoked_at)
    return err_set(e, ERR_RequestAlreadyProcessedException,
                   "The certificate is already revoked.");
  if (store_cert_revoke(c->store, r->row.id, r->norm, r->reason, e) < 0 ||
      store_crl_count_revocation(c->store, r->row.id, r->norm, e) < 0)
    return -1;
  return audit_event(c, e, AUDIT_RevokeCertificate, r->ca_arn, r->norm, "reason=%s", r->reason);
}

int cert_revoke(const ctx_t *c, const char *ca_arn, const char *serial, const char *reason,
                err_t *e) {
  cert_revoke_t r;
  int rc;
  memset(&r, 0, sizeof r);
  r.c = c;
  r.ca_arn = ca_arn;
  r.serial = serial;
  r.reason = reason;
  if (serial_normalize(serial, r.norm, sizeof r.norm) < 0)
    return err_set(e, ERR_InvalidRequestException,
                   "CertificateSerial must be a hexadecimal serial number");
  rc = store_tx(c->store, cert_revoke_tx, &r, 0, e);
  store_cert_clear(&r.crt);
  store_ca_clear(&r.row);
  return rc;
}
