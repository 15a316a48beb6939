/* The per-CA gauges: a round over the CAs keeps the ones it saw and the
 * ones first seen during it, and drops the rest (deleted or purged CAs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/metrics.h"

static int has(const char *text, const char *series, const char *ca) {
  char want[160];
  snprintf(want, sizeof want, "%s{ca=\"%s\"} ", series, ca);
  return strstr(text, want) != NULL;
}

static char *render(void) {
  metrics_gauges_t g = {1, 1, 0, 0, 0, 0};
  char *text = metrics_render(&g);
  assert_non_null(text);
  return text;
}

static void test_a_round_drops_the_cas_it_did_not_see(void **state) {
  const char *exp = "pcad_ca_certificate_expiry_timestamp_seconds";
  const char *crl = "pcad_crl_last_success_timestamp_seconds";
  char *text;
  (void)state;
  metrics_cas_begin();
  metrics_ca_expiry("kept", 2000000000);
  metrics_ca_expiry("gone", 2000000000);
  metrics_cas_end();
  metrics_crl_written("gone", 1800000000);
  metrics_crl_written("kept", 1800000000);
  text = render();
  assert_true(has(text, exp, "kept") && has(text, exp, "gone") && has(text, crl, "gone"));
  free(text);
  /* "gone" was deleted: the next round does not see it; "new" gets its
   * first CRL while the round runs */
  metrics_cas_begin();
  metrics_ca_expiry("kept", 2000000001);
  metrics_crl_written("new", 1800000001);
  metrics_cas_end();
  text = render();
  assert_true(has(text, exp, "kept") && has(text, crl, "kept") && has(text, crl, "new"));
  assert_false(has(text, exp, "gone") || has(text, crl, "gone"));
  assert_non_null(strstr(text, "{ca=\"kept\"} 2000000001\n"));
  free(text);
  /* a round that did not finish (the database went away) drops nothing */
  metrics_cas_begin();
  text = render();
  assert_true(has(text, exp, "kept") && has(text, crl, "new"));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_round_drops_the_cas_it_did_not_see),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
