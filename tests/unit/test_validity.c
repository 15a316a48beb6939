/* Validity -> notAfter: every type, calendar edges, absurd values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>

#include "core/validity.h"

/* 2026-11-22T12:00:00Z */
#define NOW 1795348800LL

static long long na(const char *type, long long v, err_code_t want) {
  long long out = 0;
  err_t e;
  err_clear(&e);
  int rc = validity_not_after(type, v, NOW, &out, &e);
  assert_int_equal(rc < 0, e.code != ERR_OK);
  assert_int_equal(e.code, want);
  return out;
}

static void test_relative(void **state) {
  (void)state;
  assert_int_equal(na("DAYS", 1, ERR_OK), NOW + 86400);
  assert_int_equal(na("DAYS", 365, ERR_OK), NOW + 365 * 86400LL);
  assert_int_equal(na("MONTHS", 3, ERR_OK), 1803297600LL);    /* 2027-02-22T12:00:00Z */
  assert_int_equal(na("YEARS", 10, ERR_OK), 2110968000LL);    /* 2036-11-22T12:00:00Z */
  /* absurd sizes end after 9999 instead of overflowing */
  na("DAYS", LLONG_MAX, ERR_InvalidArgsException);
  na("MONTHS", LLONG_MAX, ERR_InvalidArgsException);
  na("YEARS", 10000, ERR_InvalidArgsException);
  na("YEARS", LLONG_MAX, ERR_InvalidArgsException);
  na("DAYS", 0, ERR_InvalidArgsException);
}

static void test_month_end_clamps(void **state) {
  long long out;
  err_t e;
  (void)state;
  /* 2027-01-31 + 1 month = 2027-02-28 */
  assert_int_equal(validity_not_after("MONTHS", 1, 1801396800LL, &out, &e), 0);
  assert_int_equal(out, 1803816000LL);
}

static void test_absolute_and_end_date(void **state) {
  (void)state;
  assert_int_equal(na("ABSOLUTE", 2524608000LL, ERR_OK), 2524608000LL);
  assert_int_equal(na("ABSOLUTE", VALIDITY_MAX, ERR_OK), VALIDITY_MAX);
  na("ABSOLUTE", VALIDITY_MAX + 1, ERR_InvalidArgsException);
  na("ABSOLUTE", LLONG_MAX, ERR_InvalidArgsException);
  na("ABSOLUTE", NOW - 1, ERR_InvalidArgsException); /* already over */
  /* UTCTime: YY < 50 is 20YY */
  assert_int_equal(na("END_DATE", 491231235959LL, ERR_OK), 2524607999LL);
  /* GeneralizedTime */
  assert_int_equal(na("END_DATE", 20491231235959LL, ERR_OK), 2524607999LL);
  assert_int_equal(na("END_DATE", 99991231235959LL, ERR_OK), VALIDITY_MAX);
  /* YY >= 50 is 19YY: in the past */
  na("END_DATE", 501231235959LL, ERR_InvalidArgsException);
  na("END_DATE", 20270230000000LL, ERR_InvalidArgsException); /* 30 February */
  na("END_DATE", 20271301000000LL, ERR_InvalidArgsException); /* month 13 */
  na("END_DATE", 2027123123595LL, ERR_InvalidArgsException);  /* 13 digits */
  na("END_DATE", LLONG_MAX, ERR_InvalidArgsException);
  na("WEEKS", 1, ERR_InvalidArgsException);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_relative),
                                     cmocka_unit_test(test_month_end_clamps),
                                     cmocka_unit_test(test_absolute_and_end_date)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
