#include "cli/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "api/creds.h"
#include "base/buf.h"

/* The file's text (malloc'ed, wiped by the caller), or NULL. */
static char *keys_read(const char *path) {
  FILE *f = fopen(path, "r");
  buf_t b = {0};
  char chunk[4096];
  size_t n;
  if (!f)
    return NULL;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (buf_append(&b, chunk, n) < 0)
      break;
  fclose(f);
  OPENSSL_cleanse(chunk, sizeof chunk);
  return b.data ? buf_take(&b) : strdup("");
}

/* text in place of path, once a daemon could load it and (when it is not
 * NULL) would honour the key added. Other lines that fail to load do not
 * stop it: the daemon disables them, and a revoke must always go through. */
static int keys_write(const char *path, const char *text, const char *added) {
  char tmp[1100];
  const char *secret, *account;
  err_t e;
  creds_t *check;
  int fd, ok;
  snprintf(tmp, sizeof tmp, "%s.new.%d", path, (int)getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
  if (fd >= 0 && close(fd) < 0)
    ok = 0;
  if (!ok) {
    fprintf(stderr, "pcad keys: %s: %s\n", tmp, strerror(errno));
  } else if (!(check = creds_load(tmp, &e))) {
    fprintf(stderr, "pcad keys: the change was not made: %s\n", e.msg);
    ok = 0;
  } else if (added && creds_lookup(check, added, &secret, &account) < 0) {
    fprintf(stderr, "pcad keys: the change was not made: key %s would be disabled\n", added);
    creds_free(check);
    ok = 0;
  } else {
    creds_free(check);
    ok = rename(tmp, path) == 0;
    if (!ok)
      fprintf(stderr, "pcad keys: %s: %s\n", path, strerror(errno));
  }
  if (!ok)
    unlink(tmp);
  return ok ? 0 : -1;
}

/* Random characters from set. */
static int keys_random(char *out, size_t n, const char *set) {
  unsigned char r[64];
  size_t k = strlen(set);
  if (n > sizeof r || RAND_bytes(r, (int)n) != 1)
    return -1;
  for (size_t i = 0; i < n; i++)
    out[i] = set[r[i] % k];
  out[n] = '\0';
  OPENSSL_cleanse(r, sizeof r);
  return 0;
}

#define KEYS_ID_SET "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define KEYS_SECRET_SET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

static int keys_add(const char *path, const char *text, const char *account,
                    const char *policy) {
  char id[21] = "AKIA", secret[41], *line = NULL;
  buf_t b = {0};
  err_t e;
  int rc = -1;
  if (!account || strlen(account) != 12 || strspn(account, "0123456789") != 12) {
    fprintf(stderr, "pcad keys add: --account must be a 12-digit account id\n");
    return 2;
  }
  if (policy && creds_policy_check(policy, &e) < 0) {
    fprintf(stderr, "pcad keys add: the change was not made: %s\n", e.msg);
    return 1;
  }
  if (keys_random(id + 4, 16, KEYS_ID_SET) < 0 || keys_random(secret, 40, KEYS_SECRET_SET) < 0 ||
      asprintf(&line, "%s %s %s%s%s\n", id, secret, account, policy ? " " : "",
               policy ? policy : "") < 0) {
    fprintf(stderr, "pcad keys add: no randomness\n");
    return 1;
  }
  if (buf_puts(&b, text) == 0 && (!b.len || b.data[b.len - 1] == '\n' || buf_putc(&b, '\n') == 0) &&
      buf_puts(&b, line) == 0 && keys_write(path, b.data, id) == 0) {
    printf("%s %s\n", id, secret);
    rc = 0;
  }
  OPENSSL_cleanse(secret, sizeof secret);
  OPENSSL_cleanse(line, strlen(line));
  free(line);
  buf_free(&b);
  return rc == 0 ? 0 : 1;
}

/* Every key line as KEY_ID ACCOUNT [POLICY_FILE]; or, with revoke, the
 * text without that key's line (*found set). */
static int keys_walk(const char *text, const char *revoke, buf_t *out, int *found) {
  for (const char *p = text; *p;) {
    size_t len = strcspn(p, "\n");
    char line[1024], *save = NULL, *id, *secret, *rest;
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
    id = strtok_r(line, " \t\r", &save);
    secret = id && *id != '#' ? strtok_r(NULL, " \t\r", &save) : NULL;
    rest = secret ? save : NULL;
    if (revoke && secret && strcmp(id, revoke) == 0)
      *found = 1;
    else if (revoke && buf_append(out, p, len + (p[len] == '\n')) < 0)
      return -1;
    else if (!revoke && secret)
      printf("%s %s\n", id, rest ? rest + strspn(rest, " \t") : "");
    OPENSSL_cleanse(line, sizeof line);
    p += len + (p[len] == '\n');
  }
  return 0;
}

int keys_main(const char *path, int argc, char **argv) {
  const char *cmd = argc > 0 ? argv[0] : "", *account = NULL, *policy = NULL;
  char lock[1100], *text;
  buf_t b = {0};
  int fd, rc = 2, found = 0;
  snprintf(lock, sizeof lock, "%s.lock", path);
  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp(argv[i], "--account") == 0)
      account = argv[i + 1];
    else if (strcmp(argv[i], "--policy") == 0)
      policy = argv[i + 1];
  fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) < 0 || !(text = keys_read(path))) {
    fprintf(stderr, "pcad keys: %s: %s\n", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return 1;
  }
  if (strcmp(cmd, "add") == 0 && argc % 2 == 1) {
    rc = keys_add(path, text, account, policy);
  } else if (strcmp(cmd, "list") == 0 && argc == 1) {
    rc = keys_walk(text, NULL, NULL, NULL) < 0;
  } else if (strcmp(cmd, "revoke") == 0 && argc == 2) {
    rc = keys_walk(text, argv[1], &b, &found) < 0 || !found ||
         keys_write(path, b.data ? b.data : "", NULL) < 0;
    if (!found)
      fprintf(stderr, "pcad keys revoke: no key %s\n", argv[1]);
  } else {
    fprintf(stderr, "usage: pcad keys --config FILE add --account ID [--policy FILE]\n"
                    "       pcad keys --config FILE list\n"
                    "       pcad keys --config FILE revoke KEY_ID\n");
  }
  OPENSSL_cleanse(text, strlen(text));
  free(text);
  buf_free(&b);
  close(fd);
  return rc;
}
