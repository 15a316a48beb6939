#ifndef PCAD_CSR_H
#define PCAD_CSR_H
/* Certificate signing requests as IssueCertificate takes them. */
#include <openssl/x509.h>
#include <stddef.h>

#include "base/err.h"

/* The CSR (PEM or DER, raw NULL: it was no blob), signature verified;
 * MalformedCSRException otherwise. */
X509_REQ *csr_parse(const unsigned char *raw, size_t n, err_t *e);
/* RSA 2048..8192 bits, EC P-256/P-384/P-521; MalformedCSRException
 * otherwise. */
int csr_key_policy(EVP_PKEY *k, err_t *e);

#endif
