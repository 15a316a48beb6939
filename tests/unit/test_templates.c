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
  t = templates_find("aws", "arn:aws:acm-pca:::template/EndEntityCertificate/V1");
  assert_non_null(t);
  assert_int_equal(t->variety, 0);
  assert_int_equal(t->ku, TPL_KU_DIGITAL_SIGNATURE | TPL_KU_KEY_ENCIPHERMENT);
  assert_int_equal(t->eku, TPL_EKU_SERVER_AUTH | TPL_EKU_CLIENT_AUTH);
  assert_non_null(templates_find("aws-us-gov", "arn:aws-us-gov:acm-pca:::template/RootCACertificate/V1"));
  assert_null(templates_find("aws", "arn:aws:acm-pca:::template/NoSuchTemplate/V1"));
  assert_null(templates_find("aws", "arn:aws:acm-pca:::template/EndEntityCertificate/V2"));
  assert_null(templates_find("aws", "EndEntityCertificate/V1"));
  t = templates_find("aws", "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen2_APICSRPassthrough/V1");
  assert_non_null(t);
  assert_true(t->ca && t->bc_critical);
  assert_int_equal(t->pathlen, 2);
  assert_int_equal(t->variety, TPL_API | TPL_CSR);
  t = templates_find("aws", "arn:aws:acm-pca:::template/BlankRootCACertificate_PathLen1_APIPassthrough/V1");
  assert_true(t->root && t->blank && t->pathlen == 1 && t->aki == TPL_AKI_NONE);
}

/* Only the canonical spelling with the configured partition names a
 * template (issue 24: every other spelling of a CA template walked past a
 * policy's condition on acm-pca:TemplateArn). */
static void test_only_canonical_arns(void **state) {
  static const char *const bad[] = {
      "arn:AWS:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:Aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:aws-cn:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:aws-us-gov:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:x:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "ARN:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:aws:ACM-PCA:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:aws:acm-pca:us-east-1::template/SubordinateCACertificate_PathLen0/V1",
      "arn:aws:x:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
      "arn:aws:acm-pca:::template/subordinateCACertificate_PathLen0/V1",
      "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/v1",
      "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1/",
      "arn:aws:acm-pca:::template//SubordinateCACertificate_PathLen0/V1",
      "arn:aws:acm-pca:::Template/SubordinateCACertificate_PathLen0/V1"};
  char arn[200];
  const template_t *t =
      templates_find("aws", "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1");
  (void)state;
  assert_non_null(t);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (templates_find("aws", bad[i]))
      fail_msg("%s names a template", bad[i]);
  assert_ptr_equal(templates_find("aws-cn", bad[2]), t);
  assert_int_equal(templates_arn("aws-cn", t, arn, sizeof arn), 0);
  assert_string_equal(arn, bad[2]);
  assert_int_equal(templates_arn("aws", t, arn, 20), -1);
  assert_string_equal(templates_default()->name, TEMPLATE_DEFAULT);
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
                                     cmocka_unit_test(test_only_canonical_arns),
                                     cmocka_unit_test(test_every_row_is_consistent)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
