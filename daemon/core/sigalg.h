#ifndef PCAD_SIGALG_H
#define PCAD_SIGALG_H
/* AWS SigningAlgorithm values: which keys they fit and how they sign. */
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "base/err.h"

/* 0 when the signing algorithm fits the KeyAlgorithm, else
 * InvalidArgsException. */
MUST_CHECK
int sigalg_fits(const char *signing_algorithm, const char *key_algorithm, err_t *e);
/* Signs a CSR / certificate with key (a token key through the engine). */
MUST_CHECK
int sigalg_sign_req(X509_REQ *req, EVP_PKEY *key, const char *signing_algorithm, err_t *e);
/* Writes the certificate's two signature AlgorithmIdentifiers as signing
 * will (asked of a verifying context on the public key), so that the
 * unsigned certificate can be kept as DER and signed later. */
MUST_CHECK
int sigalg_preset(X509 *cert, EVP_PKEY *pub, const char *signing_algorithm, err_t *e);
MUST_CHECK
int sigalg_sign_cert(X509 *cert, EVP_PKEY *key, const char *signing_algorithm, err_t *e);
/* An OCSP response signed by signer's key (the CA itself), its ResponderID
 * by name, no certificates (the relying party has the issuer's). */
MUST_CHECK
int sigalg_sign_ocsp(OCSP_BASICRESP *bs, X509 *signer, EVP_PKEY *key,
                     const char *signing_algorithm, err_t *e);
MUST_CHECK
int sigalg_sign_crl(X509_CRL *crl, EVP_PKEY *key, const char *signing_algorithm, err_t *e);
/* A detached signature over data (malloc'ed into *sig), for pcad's own
 * documents (the audit checkpoints). */
MUST_CHECK
int sigalg_sign_data(const unsigned char *data, size_t len, EVP_PKEY *key,
                     const char *signing_algorithm, unsigned char **sig, size_t *siglen,
                     err_t *e);
/* 1 when sig is pub's signature over data, else 0. */
int sigalg_verify_data(const unsigned char *data, size_t len, const unsigned char *sig,
                       size_t siglen, EVP_PKEY *pub, const char *signing_algorithm);

#endif
