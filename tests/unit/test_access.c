/* The policy language and its evaluation: every rejection with its
 * message, wildcards, Deny over Allow, conditions, principals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "core/access.h"
#include "shape/policy.h"

#define CA "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/" \
           "11111111-2222-4333-8444-555555555555"
#define OTHER "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/" \
              "99999999-2222-4333-8444-555555555555"
#define TPL "arn:aws:acm-pca:::template/"

static void rejects(const char *text, const char *ca, const char *why) {
  policy_t p;
  err_t e;
  err_clear(&e);
  if (policy_parse(text, ca, &p, &e) == 0)
    fail_msg("accepted: %s", text);
  assert_int_equal(e.code, ERR_InvalidPolicyException);
  if (!strstr(e.msg, why))
    fail_msg("'%s' does not say '%s'", e.msg, why);
}

static void test_rejections(void **state) {
  (void)state;
  rejects("{", CA, "not a JSON object");
  rejects("[]", CA, "not a JSON object");
  rejects("{\"Statement\":[]}", CA, "non-empty list");
  rejects("{\"Version\":\"2010-01-01\",\"Statement\":{}}", CA, "Version");
  rejects("{\"Statement\":{},\"Extra\":1}", CA, "unsupported key 'Extra'");
  rejects("{\"Statement\":{\"Effect\":\"Maybe\"}}", CA, "Effect");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"x\"}}", CA,
          "unsupported key 'NotAction'");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"acm-pca:*\",\"Resource\":\"" CA
          "\"}}",
          CA, "need a Principal");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"123\"},"
          "\"Action\":\"acm-pca:*\",\"Resource\":\"" CA "\"}}",
          CA, "principal '123'");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},"
          "\"Action\":\"s3:GetObject\",\"Resource\":\"" CA "\"}}",
          CA, "action 's3:GetObject'");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},"
          "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" OTHER "\"}}",
          CA, "not this certificate authority");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},"
          "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\","
          "\"Condition\":{\"NumericEquals\":{\"acm-pca:TemplateArn\":\"x\"}}}}",
          CA, "NumericEquals");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},"
          "\"Action\":\"acm-pca:IssueCertificate\",\"Resource\":\"" CA "\","
          "\"Condition\":{\"StringEquals\":{\"aws:SourceIp\":\"x\"}}}}",
          CA, "acm-pca:TemplateArn");
  rejects("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},"
          "\"Action\":\"acm-pca:*\",\"Resource\":\"*\"}}",
          NULL, "names no Principal");
}

static void test_too_long(void **state) {
  static char big[POLICY_MAX_CHARS + 64];
  (void)state;
  memset(big, ' ', sizeof big - 1);
  big[0] = '{';
  big[sizeof big - 2] = '}';
  rejects(big, CA, "longer than 20480");
}

static policy_t parse(const char *text, const char *ca) {
  policy_t p;
  err_t e;
  err_clear(&e);
  if (policy_parse(text, ca, &p, &e) < 0)
    fail_msg("%s: %s", text, e.msg);
  return p;
}

static access_effect_t eval(const policy_t *p, const char *acct, const char *action,
                            const char *res, const char *tpl) {
  access_req_t r = {acct, action, res, tpl};
  return access_eval(p, &r);
}

static void test_resource_policy(void **state) {
  policy_t p = parse(
      "{\"Version\":\"2012-10-17\",\"Statement\":["
      "{\"Sid\":\"share\",\"Effect\":\"Allow\","
      "\"Principal\":{\"AWS\":[\"arn:aws:iam::444455556666:root\",\"777788889999\"]},"
      "\"Action\":[\"acm-pca:IssueCertificate\",\"acm-pca:Get*\"],\"Resource\":\"" CA "\","
      "\"Condition\":{\"StringEquals\":{\"acm-pca:TemplateArn\":\"" TPL
      "EndEntityCertificate/V1\"}}},"
      "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"444455556666\"},"
      "\"Action\":\"acm-pca:GetCertificate\",\"Resource\":\"" CA "\"},"
      "{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"777788889999\"},"
      "\"Action\":\"acm-pca:GetCertificate\",\"Resource\":\"" CA "\"}]}",
      CA);
  (void)state;
  /* the template condition */
  assert_int_equal(eval(&p, "444455556666", "acm-pca:IssueCertificate", CA,
                        TPL "EndEntityCertificate/V1"),
                   ACCESS_ALLOW);
  assert_int_equal(eval(&p, "444455556666", "acm-pca:IssueCertificate", CA,
                        TPL "SubordinateCACertificate_PathLen0/V1"),
                   ACCESS_NONE);
  /* a condition on a key the request lacks does not hold */
  assert_int_equal(eval(&p, "777788889999", "acm-pca:GetCertificateAuthorityCertificate", CA,
                        NULL),
                   ACCESS_NONE);
  /* actions match case-insensitively, with wildcards */
  assert_int_equal(eval(&p, "444455556666", "ACM-PCA:getcertificate", CA, NULL), ACCESS_ALLOW);
  /* Deny wins for its principal only */
  assert_int_equal(eval(&p, "777788889999", "acm-pca:GetCertificate", CA, NULL), ACCESS_DENY);
  /* an account no statement names */
  assert_int_equal(eval(&p, "000011112222", "acm-pca:GetCertificate", CA, NULL), ACCESS_NONE);
  /* nor another resource or action */
  assert_int_equal(eval(&p, "444455556666", "acm-pca:GetCertificate", OTHER, NULL), ACCESS_NONE);
  assert_int_equal(eval(&p, "444455556666", "acm-pca:RevokeCertificate", CA, NULL), ACCESS_NONE);
  policy_clear(&p);
}

static void test_key_policy(void **state) {
  /* the aws-privateca-issuer policy, and a Deny on one template */
  policy_t p = parse(
      "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"acm-pca:DescribeCertificateAuthority\","
      "\"acm-pca:GetCertificate\",\"acm-pca:IssueCertificate\"],"
      "\"Resource\":\"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/1111*\"},"
      "{\"Effect\":\"Deny\",\"Action\":\"acm-pca:Issue?ertificate\",\"Resource\":\"*\","
      "\"Condition\":{\"ArnLike\":{\"acm-pca:TemplateArn\":\"" TPL "*CA*\"}}}]}",
      NULL);
  (void)state;
  assert_int_equal(eval(&p, NULL, "acm-pca:IssueCertificate", CA, TPL "EndEntityCertificate/V1"),
                   ACCESS_ALLOW);
  assert_int_equal(eval(&p, NULL, "acm-pca:IssueCertificate", CA,
                        TPL "SubordinateCACertificate_PathLen0/V1"),
                   ACCESS_DENY);
  assert_int_equal(eval(&p, NULL, "acm-pca:DeleteCertificateAuthority", CA, NULL), ACCESS_NONE);
  assert_int_equal(eval(&p, NULL, "acm-pca:GetCertificate", OTHER, NULL), ACCESS_NONE);
  /* an operation on no CA has the resource "*", which an ARN does not match */
  assert_int_equal(eval(&p, NULL, "acm-pca:DescribeCertificateAuthority", "*", NULL),
                   ACCESS_NONE);
  policy_clear(&p);
}

static void test_glob(void **state) {
  (void)state;
  assert_true(access_glob("*", "", 0));
  assert_true(access_glob("a*b*c", "axxbyyc", 0));
  assert_false(access_glob("a*b*c", "axxbyy", 0));
  assert_true(access_glob("a?c", "abc", 0));
  assert_false(access_glob("a?c", "ac", 0));
  assert_false(access_glob("ABC", "abc", 0));
  assert_true(access_glob("ABC", "abc", 1));
  assert_true(access_glob("*/*", "certificate-authority/x", 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rejections), cmocka_unit_test(test_too_long),
      cmocka_unit_test(test_resource_policy), cmocka_unit_test(test_key_policy),
      cmocka_unit_test(test_glob),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
