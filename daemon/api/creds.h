#ifndef PCAD_CREDS_H
#define PCAD_CREDS_H
/* SigV4 access keys: a 0600 file, one "KEY_ID SECRET ACCOUNT_ID
 * [POLICY_FILE]" per line; a key with a policy file may do only what that
 * policy allows (shape/policy.h), one without has full control of its
 * account.
 *
 * Keys fail closed, one by one: a KEY_ID is disabled (no line of it
 * authenticates) when it is on more than one line, when a line of it is
 * malformed, or when its policy file is missing, unreadable, a symbolic
 * link or not a regular file, owned by another user than pcad's (geteuid())
 * or root, writable by group or others, or not a valid key policy. Each is
 * an error log line naming the file and line, never a secret; the other
 * keys load. */
#include <sys/stat.h>

#include "base/err.h"
#include "core/audit.h"
#include "shape/policy.h"

typedef struct creds creds_t;

/* NULL (e says why) only when the file itself cannot be read, is not a
 * regular file of pcad's user or root, or is readable by group or others;
 * or when out of memory. */
MUST_CHECK
creds_t *creds_load(const char *path, err_t *e);
/* Another reference (a request that outlives a reload holds one). */
creds_t *creds_ref(creds_t *c);
/* Drops a reference; the last wipes the secrets and frees. */
void creds_free(creds_t *c);
/* The policy of a key creds_lookup accepts, NULL for none (full control);
 * for any other key (disabled, unknown, c NULL) a policy that allows
 * nothing. */
const policy_t *creds_policy(const creds_t *c, const char *akid);
/* Keys that authenticate; lines disabled. 0 for NULL. */
int creds_count(const creds_t *c);
int creds_count_disabled(const creds_t *c);
/* A sigv4_lookup_fn: ctx is a creds_t (NULL: no key). Compares every key in
 * constant time; a disabled key is not found. */
int creds_lookup(void *ctx, const char *akid, const char **secret, const char **account);
/* 1 when a policy file some line names has changed (content, owner, mode,
 * appeared or vanished) since c was loaded: time to load again. */
int creds_changed(const creds_t *c);
/* The checks and decoding a policy file gets in creds_load. */
MUST_CHECK
int creds_policy_check(const char *path, err_t *e);

/* One KEY_ID that differs between two loads, as the audit trail records it
 * (never a secret): event is AUDIT_AccessKeyAdded, ..Removed,
 * ..Disabled, ..Enabled or ..Changed (its account,
 * policy file, the policy file's content or its secret); detail
 * "key=KEY_ID account=ACCOUNT policy=FILE|none [disabled] [what changed]". */
typedef struct {
  audit_event_t event;
  char key_id[129];
  char account[13];
  char detail[512];
} creds_change_t;

/* The KEY_IDs that differ from old to now (either NULL: no key), in now's
 * order, then those removed: *out (calloc'ed, the caller frees) and their
 * count, or -1 out of memory. Pure: no file is read. */
int creds_diff(const creds_t *old, const creds_t *now, creds_change_t **out);

/* lstat of path; all zero when there is nothing there. */
void creds_stat(const char *path, struct stat *st);
/* Two creds_stat results name the same file, same content, owner and mode. */
int creds_stat_same(const struct stat *a, const struct stat *b);

#endif
