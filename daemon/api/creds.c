#include "api/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "shape/policy.h"

#define CREDS_ID_MAX 128
#define CREDS_SECRET_MAX 128
#define CREDS_LINE_MAX 8192
#define CREDS_SEP " \t\r\n"

typedef struct {
  char id[CREDS_ID_MAX + 1]; /* zero-padded (creds_lookup compares it whole) */
  char secret[CREDS_SECRET_MAX + 1];
  char account[13];
  policy_t *policy; /* NULL: full control of its account */
  char *policy_file; /* as the line names it; NULL: none */
  unsigned char policy_md[32]; /* SHA-256 of the policy file read (creds_diff) */
  int line;         /* in the file, from 1 */
  int disabled;     /* no line of this KEY_ID is honoured; secret wiped */
} creds_key_t;

/* A policy file a line names, as it was when loaded. */
typedef struct {
  char *path;
  struct stat st; /* creds_stat */
} creds_watch_t;

struct creds {
  creds_key_t *keys;
  int n;
  creds_watch_t *watch;
  int nwatch;
  atomic_int refs;
};

/* What a disabled, unknown or absent key may do: nothing. */
static const policy_t creds_deny_all = {NULL, 0};

void creds_stat(const char *path, struct stat *st) {
  if (lstat(path, st) < 0)
    memset(st, 0, sizeof *st);
}

int creds_stat_same(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
         a->st_mode == b->st_mode && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* path opened without following a symbolic link or waiting on a FIFO. */
static int creds_open(const char *path, const char *what, err_t *e) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    err_set(e, ERR_InternalFailure, "%s %s: cannot open: %s", what, path,
            errno == ELOOP ? "it is a symbolic link" : strerror(errno));
  return fd;
}

/* A policy file: regular, pcad's user's or root's, writable by its owner only. */
static int creds_policy_mode(int fd, const char *path, err_t *e) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    return err_set(e, ERR_InternalFailure, "policy file %s: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return err_set(e, ERR_InternalFailure, "policy file %s: not a regular file", path);
  if (st.st_uid != geteuid() && st.st_uid != 0)
    return err_set(e, ERR_InternalFailure,
                   "policy file %s: owned by uid %u, not by pcad's user (uid %u) or root", path,
                   (unsigned)st.st_uid, (unsigned)geteuid());
  if (st.st_mode & 022)
    return err_set(e, ERR_InternalFailure,
                   "policy file %s: mode %04o, writable by group or others (0644 at most)", path,
                   (unsigned)(st.st_mode & 07777));
  return 0;
}

/* The policy file at path, checked and decoded: *out (NULL on error); md
 * (unless NULL) the SHA-256 of its content. */
static int creds_policy_read(const char *path, policy_t **out, unsigned char md[32],
                             err_t *e) {
  char text[POLICY_MAX_CHARS + 2];
  size_t n = 0;
  ssize_t got = 1;
  int fd = creds_open(path, "policy file", e), rc = -1;
  *out = NULL;
  if (fd < 0 || creds_policy_mode(fd, path, e) < 0)
    goto out;
  while (n < sizeof text - 1 && (got = read(fd, text + n, sizeof text - 1 - n)) > 0)
    n += (size_t)got;
  if (got < 0) {
    err_set(e, ERR_InternalFailure, "policy file %s: %s", path, strerror(errno));
    goto out;
  }
  text[n] = '\0';
  if (md && !EVP_Digest(text, n, md, NULL, EVP_sha256(), NULL))
    memset(md, 0, 32);
  if (!(*out = calloc(1, sizeof **out))) {
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  if (policy_parse(text, NULL, *out, e) < 0) {
    char why[sizeof e->msg];
    snprintf(why, sizeof why, "%s", e->msg);
    err_set(e, ERR_InternalFailure, "policy file %s: %s", path, why);
    free(*out);
    *out = NULL;
    goto out;
  }
  rc = 0;
out:
  if (fd >= 0)
    close(fd);
  return rc;
}

int creds_policy_check(const char *path, err_t *e) {
  policy_t *p;
  if (creds_policy_read(path, &p, NULL, e) < 0)
    return -1;
  policy_clear(p);
  free(p);
  return 0;
}

/* KEY_ID SECRET ACCOUNT_ID [POLICY_FILE]; *policy: the file named, or NULL.
 * A malformed line still gives k its KEY_ID (the first field), so that it
 * can be disabled. */
static int creds_parse_line(char *line, creds_key_t *k, char **policy, err_t *e) {
  char *save = NULL, *id = strtok_r(line, CREDS_SEP, &save);
  char *secret = strtok_r(NULL, CREDS_SEP, &save);
  char *account = strtok_r(NULL, CREDS_SEP, &save);
  *policy = strtok_r(NULL, CREDS_SEP, &save);
  if (id && strlen(id) <= CREDS_ID_MAX)
    strcpy(k->id, id);
  if (!id || !secret || !account || strtok_r(NULL, CREDS_SEP, &save) ||
      strlen(id) > CREDS_ID_MAX || strlen(secret) > CREDS_SECRET_MAX || strlen(account) != 12 ||
      strspn(account, "0123456789") != 12)
    return err_set(e, ERR_InternalFailure,
                   "expected 'KEY_ID SECRET ACCOUNT_ID [POLICY_FILE]' (a 12-digit account)");
  strcpy(k->secret, secret);
  strcpy(k->account, account);
  return 0;
}

static void creds_disable(creds_key_t *k) {
  k->disabled = 1;
  OPENSSL_cleanse(k->secret, sizeof k->secret);
  if (k->policy) {
    policy_clear(k->policy);
    free(k->policy);
    k->policy = NULL;
  }
}

/* path remembered (as it is now) for creds_changed. */
static int creds_watch_add(creds_t *c, const char *path) {
  creds_watch_t *grown = realloc(c->watch, (size_t)(c->nwatch + 1) * sizeof *c->watch);
  if (!grown)
    return -1;
  c->watch = grown;
  if (!(grown[c->nwatch].path = strdup(path)))
    return -1;
  creds_stat(path, &grown[c->nwatch].st);
  c->nwatch++;
  return 0;
}

/* One line (too_long: it did not fit CREDS_LINE_MAX) made a key, enabled or
 * disabled with an error logged. -1 only when out of memory. */
static int creds_add_line(creds_t *c, const char *path, int lineno, char *line, int too_long) {
  creds_key_t *k, *grown = realloc(c->keys, (size_t)(c->n + 1) * sizeof *c->keys);
  char *policy = NULL;
  err_t e;
  if (!grown)
    return -1;
  c->keys = grown;
  k = &c->keys[c->n++];
  memset(k, 0, sizeof *k);
  k->line = lineno;
  if (creds_parse_line(line, k, &policy, &e) < 0 || too_long) {
    log_err(NULL, "%s:%d: %s: the key of this line is disabled", path, lineno,
            too_long ? "longer than 8191 characters" : e.msg);
    creds_disable(k);
    return 0;
  }
  if (!policy)
    return 0;
  if (creds_watch_add(c, policy) < 0 || !(k->policy_file = strdup(policy)))
    return -1;
  if (creds_policy_read(policy, &k->policy, k->policy_md, &e) < 0) {
    log_err(NULL, "%s:%d: key %s disabled: %s", path, lineno, k->id, e.msg);
    creds_disable(k);
  }
  return 0;
}

/* Every line of a KEY_ID that is on more than one line, or disabled on one,
 * is disabled. */
static void creds_settle(creds_t *c, const char *path) {
  for (int i = 0; i < c->n; i++) {
    char lines[256] = "";
    size_t len = 0;
    int count = 0, off = 0, seen = 0;
    for (int j = 0; j < i && !seen; j++)
      seen = strcmp(c->keys[j].id, c->keys[i].id) == 0;
    for (int j = i; j < c->n && !seen; j++)
      if (strcmp(c->keys[j].id, c->keys[i].id) == 0) {
        count++;
        off |= c->keys[j].disabled;
        if (len < sizeof lines)
          len += (size_t)snprintf(lines + len, sizeof lines - len, "%s%d", count > 1 ? ", " : "",
                                  c->keys[j].line);
      }
    if (seen || (count < 2 && !off))
      continue;
    if (count > 1)
      log_err(NULL, "%s: key %s is on lines %s: disabled on every one (a KEY_ID may appear once)",
              path, c->keys[i].id, lines);
    for (int j = i; j < c->n; j++)
      if (strcmp(c->keys[j].id, c->keys[i].id) == 0)
        creds_disable(&c->keys[j]);
  }
}

/* The credentials file: regular, pcad's user's or root's, mode 0600 or less. */
static int creds_file_mode(int fd, const char *path, err_t *e) {
  struct stat st;
  if (fstat(fd, &st) < 0)
    return err_set(e, ERR_InternalFailure, "%s: cannot open: %s", path, strerror(errno));
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || (st.st_uid != geteuid() && st.st_uid != 0))
    return err_set(e, ERR_InternalFailure,
                   "%s: must be a regular file of pcad's user (uid %u) readable by its owner only "
                   "(mode 0600); it has mode %04o and owner uid %u",
                   path, (unsigned)geteuid(), (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
  return 0;
}

/* Every line of f into c. */
static int creds_read_lines(creds_t *c, const char *path, FILE *f, err_t *e) {
  char line[CREDS_LINE_MAX];
  int lineno = 0, rc = -1;
  while (fgets(line, sizeof line, f)) {
    char *p = line + strspn(line, CREDS_SEP "\v\f");
    size_t len = strlen(line);
    int too_long = len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f), ch;
    lineno++;
    while (too_long && (ch = fgetc(f)) != EOF && ch != '\n')
      ; /* the rest of a line too long for the buffer */
    if (*p && *p != '#' && creds_add_line(c, path, lineno, p, too_long) < 0) {
      err_set(e, ERR_InternalFailure, "out of memory");
      goto out;
    }
  }
  if (ferror(f)) {
    err_set(e, ERR_InternalFailure, "%s: cannot read: %s", path, strerror(errno));
    goto out;
  }
  rc = 0;
out:
  OPENSSL_cleanse(line, sizeof line);
  return rc;
}

creds_t *creds_load(const char *path, err_t *e) {
  creds_t *c = calloc(1, sizeof *c);
  FILE *f = NULL;
  int fd = -1, ok = 0;
  if (!c) {
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  atomic_init(&c->refs, 1);
  if ((fd = creds_open(path, "credentials file", e)) < 0 || creds_file_mode(fd, path, e) < 0)
    goto out;
  if (!(f = fdopen(fd, "r"))) {
    err_set(e, ERR_InternalFailure, "%s: %s", path, strerror(errno));
    goto out;
  }
  fd = -1;
  if (creds_read_lines(c, path, f, e) < 0)
    goto out;
  creds_settle(c, path);
  ok = 1;
out:
  if (f)
    fclose(f);
  if (fd >= 0)
    close(fd);
  if (!ok) {
    creds_free(c);
    c = NULL;
  }
  return c;
}

creds_t *creds_ref(creds_t *c) {
  if (c)
    atomic_fetch_add(&c->refs, 1);
  return c;
}

const policy_t *creds_policy(const creds_t *c, const char *akid) {
  for (int i = 0; c && i < c->n; i++)
    if (strcmp(c->keys[i].id, akid) == 0)
      return c->keys[i].disabled ? &creds_deny_all : c->keys[i].policy;
  return &creds_deny_all;
}

void creds_free(creds_t *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) > 1)
    return;
  for (int i = 0; c->keys && i < c->n; i++) {
    if (c->keys[i].policy) {
      policy_clear(c->keys[i].policy);
      free(c->keys[i].policy);
    }
    free(c->keys[i].policy_file);
  }
  if (c->keys)
    OPENSSL_cleanse(c->keys, (size_t)c->n * sizeof *c->keys);
  free(c->keys);
  for (int i = 0; i < c->nwatch; i++)
    free(c->watch[i].path);
  free(c->watch);
  free(c);
}

int creds_count(const creds_t *c) {
  int n = 0;
  for (int i = 0; c && i < c->n; i++)
    n += !c->keys[i].disabled;
  return n;
}

int creds_count_disabled(const creds_t *c) { return c ? c->n - creds_count(c) : 0; }

int creds_changed(const creds_t *c) {
  struct stat st;
  for (int i = 0; c && i < c->nwatch; i++) {
    creds_stat(c->watch[i].path, &st);
    if (!creds_stat_same(&st, &c->watch[i].st))
      return 1;
  }
  return 0;
}

int creds_lookup(void *ctx, const char *akid, const char **secret, const char **account) {
  const creds_t *c = ctx;
  char want[CREDS_ID_MAX + 1] = {0};
  int found = -1;
  if (!c || strlen(akid) > CREDS_ID_MAX)
    return -1;
  strcpy(want, akid);
  for (int i = 0; i < c->n; i++) {
    /* fixed-length compare of every entry: timing tells nothing */
    int eq = CRYPTO_memcmp(want, c->keys[i].id, sizeof want) == 0;
    found = eq ? i : found;
  }
  if (found < 0 || c->keys[found].disabled)
    return -1;
  *secret = c->keys[found].secret;
  *account = c->keys[found].account;
  return 0;
}

/* The key of c's first line of KEY_ID id, NULL when none has it. */
static const creds_key_t *creds_find(const creds_t *c, const char *id) {
  for (int i = 0; c && i < c->n; i++)
    if (strcmp(c->keys[i].id, id) == 0)
      return &c->keys[i];
  return NULL;
}

/* The first line of its KEY_ID (a KEY_ID is one change however many lines
 * it is on); lines without one are not a key. */
static int creds_first(const creds_t *c, int i) {
  return c->keys[i].id[0] && creds_find(c, c->keys[i].id) == &c->keys[i];
}

/* " what" appended to ch's detail when cond holds; *changed set. */
static void creds_note(creds_change_t *ch, int *changed, int cond, const char *what) {
  size_t len = strlen(ch->detail);
  if (!cond)
    return;
  *changed = 1;
  snprintf(ch->detail + len, sizeof ch->detail - len, " %s", what);
}

/* What changed between a (the old line, NULL: none) and b (the new line,
 * NULL: none) of one KEY_ID into ch: 1 when something did, else 0. */
static int creds_compare(const creds_key_t *a, const creds_key_t *b, creds_change_t *ch) {
  const creds_key_t *k = b ? b : a;
  int changed = 0;
  memset(ch, 0, sizeof *ch);
  snprintf(ch->key_id, sizeof ch->key_id, "%s", k->id);
  snprintf(ch->account, sizeof ch->account, "%s", k->account);
  ch->event = !a ? AUDIT_AccessKeyAdded : !b ? AUDIT_AccessKeyRemoved
              : a->disabled && !b->disabled ? AUDIT_AccessKeyEnabled
              : !a->disabled && b->disabled ? AUDIT_AccessKeyDisabled : AUDIT_AccessKeyChanged;
  snprintf(ch->detail, sizeof ch->detail, "key=%s account=%s policy=%s%s", k->id,
                k->account[0] ? k->account : "-", k->policy_file ? k->policy_file : "none",
                k->disabled ? " disabled" : "");
  if (!a || !b || a->disabled != b->disabled)
    return 1;
  if (b->disabled)
    return 0; /* still disabled: nothing of it is honoured either way */
  creds_note(ch, &changed, strcmp(a->account, b->account) != 0, "account-changed");
  creds_note(ch, &changed,
             !a->policy_file != !b->policy_file ||
                 (a->policy_file && strcmp(a->policy_file, b->policy_file) != 0),
             "policy-file-changed");
  creds_note(ch, &changed,
             a->policy_file && b->policy_file && strcmp(a->policy_file, b->policy_file) == 0 &&
                 memcmp(a->policy_md, b->policy_md, 32) != 0,
             "policy-content-changed");
  creds_note(ch, &changed, CRYPTO_memcmp(a->secret, b->secret, sizeof a->secret) != 0,
             "secret-replaced");
  return changed;
}

int creds_diff(const creds_t *old, const creds_t *now, creds_change_t **out) {
  int cap = (old ? old->n : 0) + (now ? now->n : 0), n = 0;
  *out = calloc((size_t)(cap ? cap : 1), sizeof **out);
  if (!*out)
    return -1;
  for (int i = 0; now && i < now->n; i++)
    if (creds_first(now, i))
      n += creds_compare(creds_find(old, now->keys[i].id), &now->keys[i], &(*out)[n]);
  for (int i = 0; old && i < old->n; i++)
    if (creds_first(old, i) && !creds_find(now, old->keys[i].id))
      n += creds_compare(&old->keys[i], NULL, &(*out)[n]);
  return n;
}
