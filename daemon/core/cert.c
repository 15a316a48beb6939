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

int cert_revoke(const ctx_t *c, const char *ca_arn, const char *serial, const char *reason,
                 err_t *e) {
  store_ca_t row;
  store_cert_t crt;
  char norm[64];
  int found, ret = -1;
  memset(&row, 0, sizeof row);
  memset(&crt, 0, sizeof crt);
  if (serial_normalize(serial, norm, sizeof norm) < 0)
    return err_set(e, ERR_InvalidRequestException,
                   "CertificateSerial must be a hexadecimal serial number");
  /* the CA row for update: the revocation counts itself there, for the CRL */
  if (store_begin(c->store, e) < 0 || ca_get(c, ca_arn, STORE_LOCK_UPDATE, &row, e) < 0)
    goto out;
  if (castate_check(CA_OP_REVOKE, castate_of(&row), ca_arn, e) < 0)
    goto out;
  if (row.serial) {
    char own[64];
    if (serial_normalize(row.serial, own, sizeof own) == 0 && strcmp(own, norm) == 0) {
      err_set(e, ERR_InvalidRequestException,
              "A certificate authority's own certificate cannot be revoked");
      goto out;
    }
  }
  found = store_cert_by_serial(c->store, row.id, norm, 1, &crt, e);
  if (found < 0)
    goto out;
  if (found == 0) {
    err_set(e, ERR_ResourceNotFoundException, "Could not find certificate %s in %s", serial,
            ca_arn);
    goto out;
  }
  if (crt.status == CERT_PENDING) {
    err_set(e, ERR_RequestInProgressException, "The certificate is still being issued.");
    goto out;
  }
  if (crt.status == CERT_FAILED) {
    err_set(e, ERR_ResourceNotFoundException, "The certificate %s was never issued", serial);
    goto out;
  }
  if (crt.revoked_at) {
    err_set(e, ERR_RequestAlreadyProcessedException, "The certificate is already revoked.");
    goto out;
  }
  if (store_cert_revoke(c->store, row.id, norm, reason, e) < 0 ||
      store_crl_count_revocation(c->store, row.id, norm, e) < 0 ||
      audit_event(c, e, AUDIT_RevokeCertificate, ca_arn, norm, "reason=%s", reason) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_cert_clear(&crt);
  store_ca_clear(&row);
  return ret;
}
