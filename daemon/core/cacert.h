#ifndef PCAD_CACERT_H
#define PCAD_CACERT_H
/* ImportCertificateAuthorityCertificate: the rules a CA certificate and its
 * chain must meet, checked before anything is stored. */
#include <openssl/evp.h>
#include <stddef.h>
#include <time.h>

#include "base/err.h"

typedef struct {
  unsigned char *der; /* the certificate */
  size_t der_len;
  char *chain_pem; /* normalized PEM, issuer first, root last; NULL for a root */
  char serial[41]; /* lower-case hex */
  long long not_before, not_after;
} cacert_t;

/* ca_type ROOT or SUBORDINATE; ca_key is the CA's public key from the token.
 * Errors: MalformedCertificateException (not certificates, or fields that
 * break the rules), CertificateMismatchException (not this key, or a chain
 * that does not verify), InvalidRequestException (self-signed against the
 * CA type, a chain missing or out of place). */
MUST_CHECK
int cacert_check(const char *ca_type, EVP_PKEY *ca_key, const unsigned char *cert,
                 size_t cert_len, const unsigned char *chain, size_t chain_len, time_t now,
                 cacert_t *out, err_t *e);
void cacert_clear(cacert_t *c);
/* PEM text of one DER certificate (malloc'ed). */
char *cacert_pem(const unsigned char *der, size_t len);

#endif
