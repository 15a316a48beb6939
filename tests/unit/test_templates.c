/* The template table: lookups and the facts pca-behavior.md states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/templates.h"

static void test_lookup(void **state) {
  const template_t *t;
  (void)state;
  assert_int_equal(templates_count, 61); /* pca-behavior.md section 1 */
  t = templates_find("arn:aws:acm-pca:::template/EndEntityCertificate/V1");
  assert_non_null(t);
  assert_int_equal(t->variety, 0);
  assert_int_equal(t->ku, TPL_KU_DIGITAL_SIGNATURE | TPL_KU_KEY_ENCIPHERMENT);
  assert_int_equal(t->eku, TPL_EKU_SERVER_AUTH | TPL_EKU_CLIENT_AUTH);
  assert_non_null(templates_find("arn:aws-us-gov:acm-pca:::template/RootCACertificate/V1"));
  assert_null(templates_find("arn:aws:acm-pca:::template/NoSuchTemplate/V1"));
  assert_null(templates_find("arn:aws:acm-pca:::template/EndEntityCertificate/V2"));
  assert_null(templates_find("EndEntityCertificate/V1"));
  t = templates_find("arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen2_APICSRPassthrough/V1");
  assert_non_null(t);
  assert_true(t->ca && t->bc_critical);
  assert_int_equal(t->pathlen, 2);
  assert_int_equal(t->variety, TPL_API | TPL_CSR);
  t = templates_find("arn:aws:acm-pca:::template/BlankRootCACertificate_PathLen1_APIPassthrough/V1");
  assert_true(t->root && t->blank && t->pathlen == 1 && t->aki == TPL_AKI_NONE);
}

static void test_every_row_is_consistent(void **state) {
  (void)state;
  for (int i = 0; i < templates_count; i++) {
    const template_t *t = &templates[i];
    /* blank templates define no key usage or EKU of their own */
    if (t->blank)
      assert_true(t->ku == 0 && t->eku == 0);
    /* a CA template's basic constraints are critical; roots sign themselves */
    if (t->ca)
      assert_true(t->bc_critical);
    if (t->root)
      assert_true(t->ca && t->aki != TPL_AKI_ISSUER);
    /* the variety is in the name */
    assert_int_equal(strstr(t->name, "APICSRPassthrough") || strstr(t->name, "_APIPassthrough"),
                     (t->variety & TPL_API) != 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_lookup),
                                     cmocka_unit_test(test_every_row_is_consistent)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
