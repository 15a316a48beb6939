#ifndef PCAD_CSR_H
#define PCAD_CSR_H
/* Certificate signing requests as IssueCertificate takes them. */
#include <openssl/x509.h>
#include <stddef.h>

#include "base/err.h"

/* The CSR (PEM or DER, raw NULL: it was no blob), signature verified, and
 * its public key in *pub (RSA or EC; the X509_REQ's own key is left
 * undecoded); MalformedCSRException otherwise. */
X509_REQ *csr_parse(const unsigned char *raw, size_t n, EVP_PKEY **pub, err_t *e);
/* RSA 2048..8192 bits, EC P-256/P-384/P-521; MalformedCSRException
 * otherwise. */
MUST_CHECK
int csr_key_policy(EVP_PKEY *k, err_t *e);
/* The CSR's SubjectPublicKeyInfo into the certificate x, copied as it is:
 * X509_set_pubkey would encode and decode the key again. 0, or -1. */
int csr_copy_key(X509 *x, X509_REQ *req);

#endif
