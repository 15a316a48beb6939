/* The credentials file: format, mode, lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/creds.h"

static char path[64];

static creds_t *load(const char *text, mode_t mode, err_t *e) {
  FILE *f;
  creds_t *c;
  strcpy(path, "/tmp/pcad-creds-XXXXXX");
  f = fdopen(mkstemp(path), "w");
  fputs(text, f);
  fclose(f);
  chmod(path, mode);
  c = creds_load(path, e);
  unlink(path);
  return c;
}

static void test_load_lookup(void **state) {
  err_t e;
  const char *secret, *account;
  creds_t *c = load("# comment\nAKIA1 secret/one 111111111111\n\n  AKIA2 s2 222222222222\n",
                    0600, &e);
  (void)state;
  assert_non_null(c);
  assert_int_equal(creds_count(c), 2);
  assert_int_equal(creds_lookup(c, "AKIA2", &secret, &account), 0);
  assert_string_equal(secret, "s2");
  assert_string_equal(account, "222222222222");
  assert_int_equal(creds_lookup(c, "AKIA1", &secret, &account), 0);
  assert_string_equal(secret, "secret/one");
  assert_int_equal(creds_lookup(c, "AKIA3", &secret, &account), -1);
  assert_int_equal(creds_lookup(c, "AKIA", &secret, &account), -1);
  creds_free(c);
}

static void test_rejects(void **state) {
  err_t e;
  (void)state;
  assert_null(load("AKIA1 s 111111111111\n", 0644, &e));
  assert_non_null(strstr(e.msg, "0600"));
  assert_null(load("AKIA1 s 1111\n", 0600, &e));
  assert_non_null(strstr(e.msg, ":1:"));
  assert_null(load("AKIA1 s\n", 0600, &e));
  assert_null(load("AKIA1 s 111111111111 extra\n", 0600, &e));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_load_lookup),
                                     cmocka_unit_test(test_rejects)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
