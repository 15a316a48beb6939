/* NextToken: round trip, tampering, another scope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/pagetoken.h"

static const unsigned char key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static void test_roundtrip(void **state) {
  char *t = pagetoken_encode(key, "List:111111111111:SELF", "1700000000123456:abc");
  char *c;
  (void)state;
  assert_non_null(t);
  c = pagetoken_decode(key, "List:111111111111:SELF", t);
  assert_non_null(c);
  assert_string_equal(c, "1700000000123456:abc");
  free(c);
  /* another account's token is not ours */
  assert_null(pagetoken_decode(key, "List:222222222222:SELF", t));
  /* one character changed anywhere */
  for (size_t i = 0; i < strlen(t); i++) {
    char saved = t[i];
    if (t[i] == '=')
      continue;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    c = pagetoken_decode(key, "List:111111111111:SELF", t);
    if (c)
      fail_msg("tampered token accepted at %zu", i);
    t[i] = saved;
  }
  free(t);
  assert_null(pagetoken_decode(key, "s", "garbage!"));
  assert_null(pagetoken_decode(key, "s", ""));
  assert_null(pagetoken_decode(key, "s", "AAAA"));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_roundtrip)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
