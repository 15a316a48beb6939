#include "api/creds.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shape/policy.h"

#define CREDS_ID_MAX 128
#define CREDS_SECRET_MAX 128

typedef struct {
  char id[CREDS_ID_MAX + 1];
  char secret[CREDS_SECRET_MAX + 1];
  char account[13];
  policy_t *policy; /* NULL: full control of its account */
} creds_key_t;

struct creds {
  creds_key_t *keys;
  int n;
  atomic_int refs;
};

/* The key's policy file, read and checked. */
static int creds_policy_load(const char *path, creds_key_t *k, err_t *e) {
  char text[POLICY_MAX_CHARS + 2];
  FILE *f = fopen(path, "r");
  size_t n;
  if (!f)
    return err_set(e, ERR_InternalFailure, "%s: cannot open: %s", path, strerror(errno));
  n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  if (!(k->policy = calloc(1, sizeof *k->policy)))
    return err_set(e, ERR_InternalFailure, "out of memory");
  if (policy_parse(text, NULL, k->policy, e) < 0) {
    free(k->policy);
    k->policy = NULL;
    return -1;
  }
  return 0;
}

/* KEY_ID SECRET ACCOUNT_ID [POLICY_FILE] */
static int creds_parse_line(char *line, creds_key_t *k, err_t *e) {
  char *save = NULL, *id = strtok_r(line, " \t\r\n", &save);
  char *secret = strtok_r(NULL, " \t\r\n", &save);
  char *account = strtok_r(NULL, " \t\r\n", &save);
  char *policy = strtok_r(NULL, " \t\r\n", &save);
  if (!id || !secret || !account || strtok_r(NULL, " \t\r\n", &save) ||
      strlen(id) > CREDS_ID_MAX || strlen(secret) > CREDS_SECRET_MAX || strlen(account) != 12 ||
      strspn(account, "0123456789") != 12)
    return err_set(e, ERR_InternalFailure,
                   "expected 'KEY_ID SECRET ACCOUNT_ID [POLICY_FILE]' (a 12-digit account)");
  strcpy(k->id, id);
  strcpy(k->secret, secret);
  strcpy(k->account, account);
  return policy ? creds_policy_load(policy, k, e) : 0;
}

creds_t *creds_load(const char *path, err_t *e) {
  creds_t *c = calloc(1, sizeof *c);
  FILE *f = NULL;
  if (c)
    atomic_init(&c->refs, 1);
  struct stat st;
  char line[512];
  int lineno = 0, fd = -1;
  if (!c) {
    err_set(e, ERR_InternalFailure, "out of memory");
    return NULL;
  }
  fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) {
    err_set(e, ERR_InternalFailure, "%s: cannot open: %s", path, strerror(errno));
    goto fail;
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || (st.st_uid != geteuid() && st.st_uid != 0)) {
    err_set(e, ERR_InternalFailure,
            "%s: must be a regular file of pcad's user (uid %u) readable by its owner only "
            "(mode 0600); it has mode %04o and owner uid %u",
            path, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
    goto fail;
  }
  f = fdopen(fd, "r");
  if (!f)
    goto fail;
  fd = -1;
  while (fgets(line, sizeof line, f)) {
    char *p = line;
    creds_key_t *grown;
    lineno++;
    while (isspace((unsigned char)*p))
      p++;
    if (!*p || *p == '#')
      continue;
    grown = realloc(c->keys, (size_t)(c->n + 1) * sizeof *c->keys);
    if (!grown)
      goto fail;
    c->keys = grown;
    memset(&c->keys[c->n], 0, sizeof c->keys[c->n]);
    if (creds_parse_line(p, &c->keys[c->n], e) < 0) {
      char why[sizeof e->msg];
      snprintf(why, sizeof why, "%s", e->msg);
      err_set(e, ERR_InternalFailure, "%s:%d: %s", path, lineno, why);
      c->n++; /* its policy, if any, is freed with the rest */
      goto fail;
    }
    c->n++;
  }
  OPENSSL_cleanse(line, sizeof line);
  fclose(f);
  return c;
fail:
  OPENSSL_cleanse(line, sizeof line);
  if (f)
    fclose(f);
  if (fd >= 0)
    close(fd);
  creds_free(c);
  return NULL;
}

creds_t *creds_ref(creds_t *c) {
  if (c)
    atomic_fetch_add(&c->refs, 1);
  return c;
}

const policy_t *creds_policy(const creds_t *c, const char *akid) {
  for (int i = 0; c && i < c->n; i++)
    if (strcmp(c->keys[i].id, akid) == 0)
      return c->keys[i].policy;
  return NULL;
}

void creds_free(creds_t *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) > 1)
    return;
  for (int i = 0; c->keys && i < c->n; i++)
    if (c->keys[i].policy) {
      policy_clear(c->keys[i].policy);
      free(c->keys[i].policy);
    }
  if (c->keys)
    OPENSSL_cleanse(c->keys, (size_t)c->n * sizeof *c->keys);
  free(c->keys);
  free(c);
}

int creds_count(const creds_t *c) { return c->n; }

int creds_lookup(void *ctx, const char *akid, const char **secret, const char **account) {
  const creds_t *c = ctx;
  char want[CREDS_ID_MAX + 1] = {0};
  int found = -1;
  if (strlen(akid) > CREDS_ID_MAX)
    return -1;
  strcpy(want, akid);
  for (int i = 0; i < c->n; i++) {
    /* fixed-length compare of every entry: timing tells nothing */
    int eq = CRYPTO_memcmp(want, c->keys[i].id, sizeof want) == 0;
    found = eq ? i : found;
  }
  if (found < 0)
    return -1;
  *secret = c->keys[found].secret;
  *account = c->keys[found].account;
  return 0;
}
