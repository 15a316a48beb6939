/* SigV4 (api/sigv4.c): the Authorization header parser, the canonical
 * request (deterministic: the same twice) and the whole verification,
 * on a request made from the input: method, path, query and headers one
 * per line ("name:value"), an empty line, then the body. */
#include <string.h>

#include "api/sigv4.h"
#include "fuzz.h"

#define FUZZ_MAX_HEADERS 32

static int fuzz_lookup(void *ctx, const char *akid, const char **secret, const char **account) {
  (void)ctx;
  if (strcmp(akid, "AKIDEXAMPLE") != 0)
    return -1;
  *secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  *account = "111122223333";
  return 0;
}

static char *fuzz_line(char **p) {
  char *s = *p, *nl;
  if (!s)
    return NULL;
  nl = strchr(s, '\n');
  if (nl) {
    *nl = '\0';
    *p = nl + 1;
  } else {
    *p = NULL;
  }
  return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_string(data, size), *p = text, *line;
  sigv4_header_t hs[FUZZ_MAX_HEADERS];
  sigv4_request_t r = {0};
  sigv4_policy_t pol = {"us-east-1", "acm-pca", 1440000000, 900, fuzz_lookup, NULL};
  sigv4_principal_t who;
  sigv4_auth_t a;
  buf_t c1 = {0}, c2 = {0};
  err_t e;
  r.method = (line = fuzz_line(&p)) ? line : "POST";
  r.path = (line = fuzz_line(&p)) ? line : "/";
  r.query = (line = fuzz_line(&p)) ? line : "";
  r.headers = hs;
  while (r.nheaders < FUZZ_MAX_HEADERS && (line = fuzz_line(&p)) && *line) {
    char *colon = strchr(line, ':');
    if (!colon)
      continue;
    *colon = '\0';
    hs[r.nheaders].name = line;
    hs[r.nheaders++].value = colon + 1;
  }
  r.body = (const unsigned char *)(p ? p : "");
  r.body_len = p ? strlen(p) : 0;
  for (size_t i = 0; i < r.nheaders; i++)
    if (strcmp(hs[i].name, "Authorization") == 0 &&
        sigv4_parse_authorization(hs[i].value, &a, &e) == 0) {
      int ok1 = sigv4_canonical_request(&r, a.signed_headers, "UNSIGNED", &c1);
      int ok2 = sigv4_canonical_request(&r, a.signed_headers, "UNSIGNED", &c2);
      FUZZ_ASSERT(ok1 == ok2);
      FUZZ_ASSERT(c1.len == c2.len && (c1.len == 0 || memcmp(c1.data, c2.data, c1.len) == 0));
    }
  if (sigv4_verify(&r, &pol, &who, &e) == 0)
    FUZZ_ASSERT(strcmp(who.access_key, "AKIDEXAMPLE") == 0);
  else
    FUZZ_ASSERT(e.code != ERR_OK);
  buf_free(&c1);
  buf_free(&c2);
  free(text);
  return 0;
}
