#include "cli/auditcmd.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfg.h"
#include "core/checkpoint.h"
#include "p11.h"
#include "store/store.h"
#include "store/store_chain.h"

typedef struct {
  const char *cmd, *config, *key, *dir;
} auditcmd_args_t;

/* 0, or -1 (usage printed). */
static int auditcmd_args(int argc, char **argv, auditcmd_args_t *a) {
  int ok = argc > 0;
  memset(a, 0, sizeof *a);
  a->cmd = argc > 0 ? argv[0] : "";
  for (int i = 1; ok && i < argc; i += 2) {
    const char **slot = strcmp(argv[i], "--config") == 0        ? &a->config
                        : strcmp(argv[i], "--key") == 0         ? &a->key
                        : strcmp(argv[i], "--checkpoints") == 0 ? &a->dir
                                                                : NULL;
    if ((ok = slot && i + 1 < argc))
      *slot = argv[i + 1];
  }
  if (ok && a->config && (strcmp(a->cmd, "verify") == 0 ||
                    (strcmp(a->cmd, "key") == 0 && !a->key && !a->dir)))
    return 0;
  fprintf(stderr, "usage: pcad audit verify --config FILE [--key PEM] [--checkpoints DIR]\n"
                  "       pcad audit key --config FILE\n");
  return -1;
}

/* The audit key's public key: from the PEM file, else from the token. */
static EVP_PKEY *auditcmd_pub(const cfg_t *cfg, const char *pem, err_t *e) {
  p11_opts_t o = {cfg->hsm_module, cfg->hsm_token_label, cfg->hsm_pin_file, 1, 4,
                  cfg->hsm_sign_timeout_ms};
  unsigned char id[KEY_ID_LEN];
  p11_err_t pe;
  EVP_PKEY *pub = NULL;
  FILE *f;
  ctx_t c = ctx_new("audit", cfg, NULL, NULL);
  if (pem) {
    if ((f = fopen(pem, "r")) != NULL) {
      pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
      fclose(f);
    }
    if (!pub)
      err_set(e, ERR_InternalFailure, "%s: not a PEM public key", pem);
    return pub;
  }
  if (!(c.p11 = p11_open(&o, &pe))) {
    err_set(e, ERR_InternalFailure, "token: %s", pe.msg);
    return NULL;
  }
  if (checkpoint_key(&c, 0, id, e) == 0)
    pub = key_public(&c, id, e);
  p11_close(c.p11);
  return pub;
}

static int auditcmd_key(EVP_PKEY *pub) {
  char hex[65];
  if (checkpoint_key_sha256(pub, hex) < 0 || !PEM_write_PUBKEY(stdout, pub))
    return 2;
  printf("sha256 %s\n", hex);
  return 0;
}

/* The chains against the checkpoints: the exit code. */
static int auditcmd_verify(const cfg_t *cfg, const char *dir, EVP_PKEY *pub) {
  checkpoint_t *cps = NULL;
  store_chain_mark_t *marks = NULL;
  store_chain_result_t res;
  store_t *s = store_new(cfg);
  int ncps = 0, nmarks = 0, rc;
  err_t e;
  err_clear(&e);
  res.report[0] = '\0';
  rc = checkpoint_load(dir, pub, &cps, &ncps, &marks, &nmarks, res.report,
                       sizeof res.report - 1, &e);
  if (rc == 1)
    strcat(res.report, "\n");
  else if (rc == 0)
    rc = s ? store_chain_verify(s, marks, nmarks, &res, &e) : -1;
  if (rc < 0)
    fprintf(stderr, "pcad audit: %s\n", s ? e.msg : "out of memory");
  else if (rc == 1)
    printf("audit trail broken:\n%s", res.report);
  else if (ncps == 0)
    printf("audit trail ok: %ld events in %ld chains; no checkpoint in %s yet\n", res.events,
           res.chains, dir);
  else
    printf("audit trail ok: %ld events in %ld chains, as %d checkpoints signed (newest %s)\n",
           res.events, res.chains, ncps, cps[ncps - 1].name);
  free(marks);
  checkpoint_free(cps, ncps);
  store_free(s);
  return rc < 0 ? 2 : rc;
}

int auditcmd_main(int argc, char **argv) {
  auditcmd_args_t a;
  cfg_t cfg;
  char msg[1024], dir[4096];
  EVP_PKEY *pub = NULL;
  err_t e;
  int rc = 2;
  if (auditcmd_args(argc, argv, &a) < 0)
    return 2;
  if (cfg_load(&cfg, a.config, msg, sizeof msg) < 0) {
    fprintf(stderr, "pcad audit: config: %s\n", msg);
    return 2;
  }
  err_clear(&e);
  snprintf(dir, sizeof dir, "%s/%s/" CHECKPOINT_DIR, cfg.bucket_root,
           cfg.audit_checkpoint_bucket);
  if (!(pub = auditcmd_pub(&cfg, a.key, &e)))
    fprintf(stderr, "pcad audit: the audit key: %s\n", e.msg);
  else if (strcmp(a.cmd, "key") == 0)
    rc = auditcmd_key(pub);
  else
    rc = auditcmd_verify(&cfg, a.dir ? a.dir : dir, pub);
  EVP_PKEY_free(pub);
  cfg_free(&cfg);
  return rc;
}
