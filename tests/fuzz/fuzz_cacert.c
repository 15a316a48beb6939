/* ImportCertificateAuthorityCertificate's rules (core/cacert.c) on a
 * certificate and a chain from the input (split at the first "\n--\n";
 * the first byte picks ROOT or SUBORDINATE), against a fixed CA key. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <string.h>

#include "core/cacert.h"
#include "fuzz.h"

static EVP_PKEY *fuzz_key;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_key = EVP_EC_gen("P-256");
  FUZZ_ASSERT(fuzz_key);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *chain = NULL, *cert;
  size_t cert_len, chain_len = 0;
  cacert_t out;
  err_t e;
  if (size < 1)
    return 0;
  cert = data + 1;
  cert_len = size - 1;
  for (size_t i = 0; i + 4 <= cert_len; i++)
    if (memcmp(cert + i, "\n--\n", 4) == 0) {
      chain = cert + i + 4;
      chain_len = cert_len - i - 4;
      cert_len = i;
      break;
    }
  memset(&out, 0, sizeof out);
  if (cacert_check(data[0] & 1 ? "ROOT" : "SUBORDINATE", fuzz_key, cert, cert_len, chain,
                   chain_len, 1700000000, &out, &e) == 0)
    FUZZ_ASSERT(out.der && out.der_len > 0);
  else
    FUZZ_ASSERT(e.code != ERR_OK);
  cacert_clear(&out);
  return 0;
}
