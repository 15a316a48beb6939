/* The small parsers, one input each (the first byte picks which): ARNs
 * (core/arn.c), [server] names and Host values (base/hostnames.c),
 * Validity arithmetic (core/validity.c, no overflow: UBSan watches), and
 * policy documents (shape/policy.c). */
#include <string.h>

#include "base/hostnames.h"
#include "core/arn.h"
#include "core/validity.h"
#include "fuzz.h"
#include "shape/policy.h"

static const char *const fuzz_types[] = {"DAYS", "MONTHS", "YEARS", "ABSOLUTE", "END_DATE", "X"};

static void fuzz_arn(const char *s) {
  char id[37], account[13];
  err_t e;
  if (arn_ca_parse(s, id, &e) == 0)
    FUZZ_ASSERT(strlen(id) == 36);
  if (arn_ca_account(s, account) == 0)
    FUZZ_ASSERT(strlen(account) == 12);
}

static void fuzz_hostnames(const char *s) {
  char msg[300];
  const char *host = strchr(s, '\n');
  hostnames_t *h = hostnames_new(s, "127.0.0.1:8443", msg, sizeof msg);
  if (h) {
    hostnames_match(h, host ? host + 1 : s);
    hostnames_free(h);
  }
}

static void fuzz_validity(const uint8_t *data, size_t size) {
  long long value = 0, now = 1700000000, out = 0;
  err_t e;
  if (size < 9)
    return;
  memcpy(&value, data + 1, sizeof value);
  if (validity_not_after(fuzz_types[data[0] % 6], value, now, &out, &e) == 0)
    FUZZ_ASSERT(out <= VALIDITY_MAX);
}

static void fuzz_policy(const char *s) {
  policy_t p;
  err_t e;
  memset(&p, 0, sizeof p);
  if (policy_parse(s, "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/"
                      "11111111-2222-3333-4444-555555555555", &p, &e) == 0)
    policy_clear(&p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s;
  if (size < 1)
    return 0;
  s = fuzz_string(data + 1, size - 1);
  switch (data[0] % 4) {
  case 0:
    fuzz_arn(s);
    break;
  case 1:
    fuzz_hostnames(s);
    break;
  case 2:
    fuzz_validity(data + 1, size - 1);
    break;
  default:
    fuzz_policy(s);
  }
  free(s);
  return 0;
}
