/* The CA lifecycle table: which states each operation runs in (as
 * docs/COMPATIBILITY.md and the real service's documentation give them),
 * the refusal each other state gets, and where each operation leads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/castate.h"

#define ARN "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x"

/* Written out again, by state name, so that an edit of the table that
 * was not meant fails here. */
static const struct {
  ca_op_t op;
  const char *allowed;
} want[] = {
    {CA_OP_GET_CSR, " PENDING_CERTIFICATE ACTIVE DISABLED EXPIRED "},
    {CA_OP_GET_CERTIFICATE, " ACTIVE DISABLED EXPIRED "},
    {CA_OP_GET_ISSUED, " CREATING PENDING_CERTIFICATE ACTIVE DISABLED EXPIRED FAILED "},
    {CA_OP_UPDATE, " ACTIVE DISABLED "},
    {CA_OP_DELETE, " CREATING PENDING_CERTIFICATE DISABLED EXPIRED FAILED "},
    {CA_OP_RESTORE, " DELETED "},
    {CA_OP_IMPORT, " PENDING_CERTIFICATE ACTIVE DISABLED EXPIRED "},
    {CA_OP_ISSUE, " ACTIVE "},
    {CA_OP_ISSUE_SELF, " PENDING_CERTIFICATE ACTIVE "},
    {CA_OP_FINISH, " PENDING_CERTIFICATE ACTIVE "},
    {CA_OP_REVOKE, " ACTIVE DISABLED "},
    {CA_OP_REPORT, " ACTIVE DISABLED EXPIRED "},
    {CA_OP_CHANGE, " CREATING PENDING_CERTIFICATE ACTIVE DISABLED EXPIRED FAILED "},
};

static void test_allowed_states(void **st) {
  (void)st;
  assert_int_equal(sizeof want / sizeof want[0], CA_OP__COUNT);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    for (int s = 0; s < CA__COUNT; s++) {
      char name[40];
      err_t e;
      int allowed;
      snprintf(name, sizeof name, " %s ", castate_name((ca_state_t)s));
      allowed = strstr(want[i].allowed, name) != NULL;
      assert_int_equal(castate_allows(want[i].op, (ca_state_t)s), allowed);
      err_clear(&e);
      assert_int_equal(castate_check(want[i].op, (ca_state_t)s, ARN, &e), allowed ? 0 : -1);
      assert_int_equal(e.code == ERR_OK, allowed);
    }
}

static err_code_t refusal(ca_op_t op, ca_state_t s, char msg[512]) {
  err_t e;
  err_clear(&e);
  assert_int_equal(castate_check(op, s, ARN, &e), -1);
  strcpy(msg, e.msg);
  return e.code;
}

static void test_refusals(void **st) {
  char msg[512];
  (void)st;
  assert_int_equal(refusal(CA_OP_GET_CSR, CA_FAILED, msg), ERR_RequestFailedException);
  assert_string_equal(msg, "The certificate authority " ARN " failed to be created");
  assert_int_equal(refusal(CA_OP_GET_CSR, CA_CREATING, msg), ERR_RequestInProgressException);
  assert_int_equal(refusal(CA_OP_GET_CSR, CA_DELETED, msg), ERR_InvalidStateException);
  assert_int_equal(refusal(CA_OP_IMPORT, CA_CREATING, msg), ERR_RequestInProgressException);
  assert_int_equal(refusal(CA_OP_IMPORT, CA_FAILED, msg), ERR_InvalidStateException);
  assert_string_equal(msg, "The certificate authority " ARN
                           " is in the FAILED state; a certificate cannot be imported.");
  assert_int_equal(refusal(CA_OP_DELETE, CA_ACTIVE, msg), ERR_InvalidStateException);
  assert_string_equal(msg, "The certificate authority " ARN
                           " is ACTIVE; disable it before deleting it.");
  assert_int_equal(refusal(CA_OP_ISSUE, CA_DISABLED, msg), ERR_InvalidStateException);
  assert_string_equal(msg, "The certificate authority is not in a valid state for issuing "
                           "certificates.");
  /* a state the database should never hold is refused everywhere */
  for (int op = 0; op < CA_OP__COUNT; op++)
    assert_int_equal(castate_allows((ca_op_t)op, CA_UNKNOWN), 0);
}

static void test_transitions(void **st) {
  (void)st;
  assert_int_equal(castate_next(CA_OP_DELETE, CA_DISABLED), CA_DELETED);
  assert_int_equal(castate_next(CA_OP_DELETE, CA_PENDING_CERTIFICATE), CA_DELETED);
  assert_int_equal(castate_next(CA_OP_DELETE, CA_CREATING), CA_GONE);
  assert_int_equal(castate_next(CA_OP_DELETE, CA_FAILED), CA_GONE);
  assert_int_equal(castate_next(CA_OP_IMPORT, CA_PENDING_CERTIFICATE), CA_ACTIVE);
  assert_int_equal(castate_next(CA_OP_IMPORT, CA_EXPIRED), CA_ACTIVE);
  assert_int_equal(castate_next(CA_OP_IMPORT, CA_ACTIVE), CA_ACTIVE);
  assert_int_equal(castate_next(CA_OP_IMPORT, CA_DISABLED), CA_DISABLED);
  assert_int_equal(castate_next(CA_OP_RESTORE, CA_DELETED), CA_BEFORE);
  assert_int_equal(castate_next(CA_OP_UPDATE, CA_ACTIVE), CA_ASKED);
  assert_int_equal(castate_next(CA_OP_ISSUE, CA_ACTIVE), CA_SAME);
}

static void test_names(void **st) {
  (void)st;
  for (int s = 0; s < CA__COUNT; s++)
    assert_int_equal(castate_parse(castate_name((ca_state_t)s)), s);
  assert_int_equal(castate_parse("ACTIVE"), CA_ACTIVE);
  assert_int_equal(castate_parse("active"), CA_UNKNOWN);
  assert_int_equal(castate_parse(""), CA_UNKNOWN);
  assert_int_equal(castate_parse(NULL), CA_UNKNOWN);
  assert_string_equal(castate_name(CA_UNKNOWN), "UNKNOWN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allowed_states),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_transitions),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
