/* The action table holds exactly the model's operations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/model.h"
#include "api/router.h"

static void test_actions_match_model(void **state) {
  (void)state;
  assert_int_equal(model_nops, 23);
  assert_int_equal(router_nactions, model_nops);
  for (int i = 0; i < router_nactions; i++) {
    if (!model_op(router_actions[i].name))
      fail_msg("action %s is not in the model", router_actions[i].name);
    for (int k = 0; k < i; k++)
      assert_string_not_equal(router_actions[i].name, router_actions[k].name);
  }
  for (int i = 0; i < model_nops; i++) {
    int found = 0;
    for (int k = 0; k < router_nactions; k++)
      found |= strcmp(router_actions[k].name, model_ops[i].name) == 0;
    if (!found)
      fail_msg("model operation %s has no action", model_ops[i].name);
  }
  assert_string_equal(model_target_prefix, "ACMPrivateCA");
  assert_string_equal(model_signing_name, "acm-pca");
}

/* The member of an operation's input shape of that name, or NULL. */
static const model_member_t *member_of(const model_op_t *op, const char *name) {
  const model_shape_t *in = &model_shapes[op->input];
  for (int i = 0; i < in->nmembers; i++)
    if (strcmp(in->members[i].name, name) == 0)
      return &in->members[i];
  return NULL;
}

/* One source of truth for what an operation acts on: the resource column
 * names a required ARN member of the operation's input, and an operation
 * with none ("*") has no member that could name a CA. */
static void test_resource_members_match_model(void **state) {
  static const char *const arn_members[] = {"CertificateAuthorityArn", "ResourceArn"};
  int none = 0;
  (void)state;
  for (int i = 0; i < router_nactions; i++) {
    const router_action_t *a = &router_actions[i];
    const model_op_t *op = model_op(a->name);
    assert_non_null(op);
    assert_true(op->input >= 0);
    if (!a->resource) {
      none++;
      for (size_t k = 0; k < sizeof arn_members / sizeof arn_members[0]; k++)
        if (member_of(op, arn_members[k]))
          fail_msg("%s names no resource but its input has %s", a->name, arn_members[k]);
      continue;
    }
    const model_member_t *m = member_of(op, a->resource);
    if (!m || !m->required)
      fail_msg("%s: %s is not a required member of its input", a->name, a->resource);
    assert_string_equal(model_shapes[m->shape].name, "Arn");
    for (size_t k = 0; k < sizeof arn_members / sizeof arn_members[0]; k++)
      if (strcmp(arn_members[k], a->resource) != 0 && member_of(op, arn_members[k]))
        fail_msg("%s has both %s and %s", a->name, a->resource, arn_members[k]);
  }
  assert_int_equal(none, 2); /* CreateCertificateAuthority, ListCertificateAuthorities */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_actions_match_model),
                                     cmocka_unit_test(test_resource_members_match_model)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
