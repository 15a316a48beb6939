/* [server] names: parsing, defaults, matching a Host header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "base/hostnames.h"

static void test_defaults(void **state) {
  char msg[300];
  hostnames_t *h = hostnames_new("", "127.0.0.1:8443", msg, sizeof msg);
  (void)state;
  assert_non_null(h);
  assert_true(hostnames_match(h, "127.0.0.1:8443"));
  assert_true(hostnames_match(h, "127.0.0.1:9999")); /* a default matches any port */
  assert_true(hostnames_match(h, "LocalHost:8443"));
  assert_true(hostnames_match(h, "localhost"));
  assert_false(hostnames_match(h, "127.0.0.2:8443"));
  assert_false(hostnames_match(h, "evil.example.com"));
  assert_false(hostnames_match(h, "127.0.0.1:8443/x"));
  assert_false(hostnames_match(h, "127.0.0.1:"));
  assert_false(hostnames_match(h, ""));
  assert_false(hostnames_match(h, NULL));
  hostnames_free(h);
  h = hostnames_new(NULL, "[::1]:8443", msg, sizeof msg);
  assert_non_null(h);
  assert_true(hostnames_match(h, "[::1]:8443"));
  assert_false(hostnames_match(h, "::1"));
  hostnames_free(h);
}

static void test_configured(void **state) {
  char msg[300];
  hostnames_t *h = hostnames_new("pki.example.com:8443, ca.example.com\t[2001:db8::1]:443",
                                 "0.0.0.0:8443", msg, sizeof msg);
  (void)state;
  assert_non_null(h);
  assert_true(hostnames_match(h, "PKI.example.com:8443"));
  assert_false(hostnames_match(h, "pki.example.com:8444"));
  assert_false(hostnames_match(h, "pki.example.com")); /* that is port 443 */
  assert_true(hostnames_match(h, "ca.example.com"));
  assert_true(hostnames_match(h, "ca.example.com:1"));
  assert_true(hostnames_match(h, "[2001:db8::1]"));
  assert_true(hostnames_match(h, "[2001:db8::1]:443"));
  assert_false(hostnames_match(h, "0.0.0.0:8443")); /* configured names replace the defaults */
  assert_false(hostnames_match(h, "localhost:8443"));
  hostnames_free(h);
  assert_null(hostnames_new("a:b", "x:1", msg, sizeof msg));
  assert_null(hostnames_new("a:99999", "x:1", msg, sizeof msg));
  assert_null(hostnames_new("::1", "x:1", msg, sizeof msg));
  assert_null(hostnames_new("a:-1", "x:1", msg, sizeof msg));
  assert_null(hostnames_new("user@host", "x:1", msg, sizeof msg));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_defaults),
                                     cmocka_unit_test(test_configured)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
