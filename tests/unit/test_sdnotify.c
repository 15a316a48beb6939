/* The notification protocol against a socket of the test's own: a path
 * and an abstract name; no NOTIFY_SOCKET; the watchdog variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/sdnotify.h"

/* A datagram socket bound at name ("@..." abstract): its fd. */
static int bound(const char *name) {
  struct sockaddr_un sa;
  size_t n = strlen(name);
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@'));
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, name, n);
  if (name[0] == '@')
    sa.sun_path[0] = '\0';
  unlink(name);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
  return fd;
}

static void expect(int fd, const char *want) {
  char buf[256];
  ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
  assert_true(n > 0);
  buf[n] = '\0';
  assert_string_equal(buf, want);
}

static void test_path_and_abstract(void **state) {
  char path[64], abstract[64];
  int fd;
  (void)state;
  snprintf(path, sizeof path, "/tmp/pcad-sdnotify-%d", (int)getpid());
  fd = bound(path);
  setenv("NOTIFY_SOCKET", path, 1);
  assert_int_equal(sdnotify("READY=1\nSTATUS=serving %s", "https://x:1"), 1);
  expect(fd, "READY=1\nSTATUS=serving https://x:1");
  close(fd);
  unlink(path);
  snprintf(abstract, sizeof abstract, "@pcad-sdnotify-%d", (int)getpid());
  fd = bound(abstract);
  setenv("NOTIFY_SOCKET", abstract, 1);
  assert_int_equal(sdnotify("STOPPING=1"), 1);
  expect(fd, "STOPPING=1");
  close(fd);
}

static void test_without_a_socket(void **state) {
  (void)state;
  unsetenv("NOTIFY_SOCKET");
  assert_int_equal(sdnotify("READY=1"), 0);
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  assert_int_equal(sdnotify("READY=1"), 0);
  setenv("NOTIFY_SOCKET", "/nonexistent/pcad.sock", 1);
  assert_int_equal(sdnotify("READY=1"), -1);
  unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog(void **state) {
  char pid[16];
  (void)state;
  unsetenv("WATCHDOG_PID");
  unsetenv("WATCHDOG_USEC");
  assert_int_equal(sdnotify_watchdog_usec(), 0);
  setenv("WATCHDOG_USEC", "30000000", 1);
  assert_int_equal(sdnotify_watchdog_usec(), 30000000);
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  setenv("WATCHDOG_PID", pid, 1);
  assert_int_equal(sdnotify_watchdog_usec(), 30000000);
  setenv("WATCHDOG_PID", "1", 1); /* another process's */
  assert_int_equal(sdnotify_watchdog_usec(), 0);
  unsetenv("WATCHDOG_PID");
  static const char *const bad[] = {"x", "-5", "10s", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("WATCHDOG_USEC", bad[i], 1);
    assert_int_equal(sdnotify_watchdog_usec(), 0);
  }
  unsetenv("WATCHDOG_USEC");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_and_abstract),
      cmocka_unit_test(test_without_a_socket),
      cmocka_unit_test(test_watchdog),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
