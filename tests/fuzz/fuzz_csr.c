/* CSR parsing and key policy (core/csr.c: our own ASN.1 templates, PEM
 * blocks), differentially: a CSR pcad accepts is one OpenSSL's own parser
 * reads too, and its signature verifies there with the key pcad found. */
#include <ctype.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

#include "core/csr.h"
#include "fuzz.h"

/* OpenSSL's own reading of the same bytes (PEM or DER). */
static X509_REQ *fuzz_openssl(const uint8_t *data, size_t size) {
  const unsigned char *q = data;
  size_t skip = 0;
  while (skip < size && isspace(data[skip]))
    skip++;
  if (size - skip >= 10 && memcmp(data + skip, "-----BEGIN", 10) == 0) {
    BIO *b = BIO_new_mem_buf(data, (int)size);
    X509_REQ *r = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return r;
  }
  return d2i_X509_REQ(NULL, &q, (long)size);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  EVP_PKEY *pub = NULL;
  err_t e;
  X509_REQ *r = csr_parse(data, size, &pub, &e), *theirs;
  if (r) {
    FUZZ_ASSERT(pub);
    theirs = fuzz_openssl(data, size);
    FUZZ_ASSERT(theirs);
    FUZZ_ASSERT(X509_REQ_verify(theirs, pub) == 1);
    X509_REQ_free(theirs);
  } else {
    FUZZ_ASSERT(!pub && e.code != ERR_OK);
  }
  ERR_clear_error();
  X509_REQ_free(r);
  EVP_PKEY_free(pub);
  return 0;
}
