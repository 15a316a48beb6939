#ifndef PCAD_NAMECONS_H
#define PCAD_NAMECONS_H
/* Name constraints at issuance (RFC 5280 4.2.1.10): before the token
 * signs, the names of the to-be-signed certificate are checked against
 * the nameConstraints of every CA certificate above it, as a relying
 * party's path validation (X509_verify_cert) would check them. */
#include <openssl/x509.h>

#include "base/err.h"

/* The subject and every subjectAltName of x (and, when x has no DNS name,
 * a host-name-like CN) against the name constraints of ca, the issuing
 * CA's certificate, and of each certificate of chain_pem, the chain stored
 * with it (issuer first; NULL for a root). ca_id keys the chain's parsed
 * certificates in the CA cache. 0, or -1: InvalidArgsException naming the
 * name and the constraint it breaks. */
MUST_CHECK
int namecons_check(X509 *x, X509 *ca, const char *ca_id, const char *chain_pem, err_t *e);

#endif
