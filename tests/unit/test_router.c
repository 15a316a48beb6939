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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_actions_match_model)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
