#include "core/ca.h"
#include "core/ca_row.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arn.h"
#include "core/access.h"
#include "core/audit.h"
#include "core/bucketown.h"
#include "core/cacert.h"
#include "core/castate.h"
#include "core/key.h"
#include "base/clock.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "base/uuid.h"
#include "core/sigalg.h"
#include "store/store_ca.h"
#include "store/store_key.h"
#include "store/store_tag.h"

/* A row as the API describes it; the row's strings move into *out. */
static void ca_info_from(store_ca_t *row, ca_info_t *out) {
  memset(out, 0, sizeof *out);
#define CA_INFO_MOVE(member, from, json, kind) (out->member = row->from, row->from = NULL);
  CA_INFO_FIELDS(CA_INFO_MOVE)
#undef CA_INFO_MOVE
}

void ca_info_clear(ca_info_t *i) {
#define CA_INFO_FREE(member, row, json, kind) free(i->member);
  CA_INFO_FIELDS(CA_INFO_FREE)
#undef CA_INFO_FREE
  memset(i, 0, sizeof *i);
}

void ca_info_free(ca_info_t *v, int n) {
  for (int k = 0; v && k < n; k++)
    ca_info_clear(&v[k]);
  free(v);
}

/* ---- create ---- */

static int ca_check(const ctx_t *c, const ca_new_t *n, err_t *e) {
  if (!key_supports(c, n->cfg->key_algorithm, e) ||
      sigalg_fits(n->cfg->signing_algorithm, n->cfg->key_algorithm, e) < 0 ||
      tag_check(n->tags, n->ntags, e) < 0)
    return -1;
  if (n->kss && strcmp(n->kss, "CCPC_LEVEL_1_OR_HIGHER") == 0)
    return err_set(e, ERR_InvalidArgsException,
                   "A certificate authority cannot be created in this region with the "
                   "specified security standard.");
  return 0;
}

/* Inside T: the account's quota, the row, its tags, the audit event. */
static int ca_insert(const ctx_t *c, const ca_new_t *n, const char *id, const char *arn,
                     err_t *e) {
  long count = 0;
  store_ca_new_t row = {id,      arn,     c->account,     c->region,
                        n->type, n->usage_mode ? n->usage_mode : "GENERAL_PURPOSE",
                        n->kss ? n->kss : "FIPS_140_2_LEVEL_3_OR_HIGHER", n->cfg->text,
                        n->rev ? n->rev->text : NULL};
  if (store_ca_count(c->store, c->account, &count, e) < 0)
    return -1;
  if (count >= c->ca_quota)
    return err_set(e, ERR_LimitExceededException,
                   "The account already has %ld certificate authorities, the most it may have",
                   count);
  if (store_ca_insert(c->store, &row, e) < 0)
    return -1;
  for (size_t i = 0; i < n->ntags; i++)
    if (store_tag_put(c->store, id, n->tags[i].key, n->tags[i].value, e) < 0)
      return -1;
  return audit_event(c, e, AUDIT_CreateCertificateAuthority, arn, NULL, "type=%s key=%s", n->type,
                     n->cfg->key_algorithm);
}

/* CreateCertificateAuthority's transaction (a store_tx body): 0 made, 1
 * when the IdempotencyToken answered with the CA it made (in *arn). */
typedef struct {
  const ctx_t *c;
  const ca_new_t *n;
  const char *id;
  char **arn;
} ca_create_t;

static int ca_create_tx(void *arg, err_t *e) {
  const ca_create_t *t = arg;
  const ctx_t *c = t->c;
  int claimed;
  if (store_ca_lock_account(c->store, c->account, e) < 0)
    return -1;
  /* the same token within 5 minutes: the CA it made, nothing new */
  if (t->n->token && (claimed = store_idem_claim(c->store, c->account,
                                                 "CreateCertificateAuthority", t->n->token,
                                                 t->arn, e)) != 0)
    return claimed;
  /* the CRL's bucket is claimed (or refused) with the CA row */
  if (t->n->rev && t->n->rev->crl_bucket &&
      bucketown_use(c, NULL, t->n->rev->crl_bucket, e) < 0)
    return -1;
  return ca_insert(c, t->n, t->id, *t->arn, e);
}

int ca_create(const ctx_t *c, const ca_new_t *n, char **arn, err_t *e) {
  char id[UUID_LEN + 1];
  ca_create_t t = {c, n, id, arn};
  int rc = -1;
  *arn = NULL;
  if (ca_check(c, n, e) < 0)
    return -1;
  if (uuid_v4(id) < 0 || !(*arn = arn_ca_make(c->partition, c->region, c->account, id)))
    err_set(e, ERR_InternalFailure, "out of memory");
  else
    rc = store_tx(c->store, ca_create_tx, &t, 0, e);
  if (rc == 0 && c->kick)
    c->kick(c->kick_arg);
  if (rc < 0) {
    free(*arn);
    *arn = NULL;
  }
  return rc < 0 ? -1 : 0;
}

/* ---- read ---- */

int ca_describe(const ctx_t *c, const char *arn, ca_info_t *out, err_t *e) {
  store_ca_t row;
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  ca_info_from(&row, out);
  store_ca_clear(&row);
  return 0;
}

int ca_list(const ctx_t *c, int shared, const char *cursor, int limit, ca_info_t **cas,
            int *ncas, char **next, err_t *e) {
  store_ca_t *rows = NULL;
  int n = 0, rc = 0;
  *cas = NULL;
  *ncas = 0;
  if (store_ca_list(c->store, c->account, shared, cursor, limit, &rows, &n, next, e) < 0)
    return -1;
  *cas = calloc(n ? (size_t)n : 1, sizeof **cas);
  if (!*cas)
    rc = err_set(e, ERR_InternalFailure, "out of memory");
  for (int i = 0; rc == 0 && i < n; i++) {
    int named = shared ? access_shared_with(c, rows[i].arn, e) : 1;
    if (named < 0)
      rc = -1;
    else if (named)
      ca_info_from(&rows[i], &(*cas)[(*ncas)++]);
  }
  if (rc < 0) {
    ca_info_free(*cas, *ncas);
    *cas = NULL;
    *ncas = 0;
    free(*next);
    *next = NULL;
  }
  store_ca_free(rows, n);
  return rc;
}

int ca_get_csr(const ctx_t *c, const char *arn, char **pem, err_t *e) {
  store_ca_t row;
  int rc = -1;
  *pem = NULL;
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  /* a CA without its CSR yet is as good as CREATING */
  if (castate_check(CA_OP_GET_CSR, castate_of(&row), arn, e) < 0 ||
      (!row.csr_pem && castate_refuse(CA_OP_GET_CSR, CA_CREATING, arn, e) < 0)) {
    /* refused */
  } else {
    *pem = row.csr_pem;
    row.csr_pem = NULL;
    rc = 0;
  }
  store_ca_clear(&row);
  return rc;
}

int ca_get_certificate(const ctx_t *c, const char *arn, char **cert, char **chain, err_t *e) {
  store_ca_t row;
  int rc = -1;
  *cert = *chain = NULL;
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  if (castate_check(CA_OP_GET_CERTIFICATE, castate_of(&row), arn, e) < 0 ||
      (!row.cert_der && castate_refuse(CA_OP_GET_CERTIFICATE, castate_of(&row), arn, e) < 0)) {
    /* refused */
  } else if (!(*cert = cacert_pem(row.cert_der, row.cert_len))) {
    err_set(e, ERR_InternalFailure, "cannot encode the CA certificate");
  } else {
    *chain = row.chain_pem;
    row.chain_pem = NULL;
    rc = 0;
  }
  store_ca_clear(&row);
  return rc;
}

/* ---- change ---- */

/* A change of one CA (a store_tx body): its row locked FOR UPDATE, the
 * lifecycle table's rule for op (CA_OP__COUNT: step checks), then step. */
typedef struct ca_change {
  const ctx_t *c;
  const char *arn;
  ca_op_t op;
  int (*step)(struct ca_change *t, err_t *e);
  store_ca_t row;
  const char *status; /* update: the state asked (NULL: unchanged) */
  ca_state_t to;
  const revcfg_t *rev; /* update: NULL unchanged */
  int days;            /* delete: the restoration window */
  int immediate;       /* delete: removed at once */
  const cacert_t *cc;  /* import: the certificate, checked */
} ca_change_t;

static int ca_change_tx(void *arg, err_t *e) {
  ca_change_t *t = arg;
  if (ca_get(t->c, t->arn, STORE_LOCK_UPDATE, &t->row, e) < 0 ||
      (t->op < CA_OP__COUNT && castate_check(t->op, castate_of(&t->row), t->arn, e) < 0))
    return -1;
  return t->step(t, e);
}

static int ca_change(ca_change_t *t, err_t *e) {
  int rc = store_tx(t->c->store, ca_change_tx, t, 0, e);
  store_ca_clear(&t->row);
  return rc;
}

static int ca_update_step(ca_change_t *t, err_t *e) {
  const ctx_t *c = t->c;
  const char *rc_text = t->rev ? t->rev->text : NULL;
  /* a CA keeps the bucket it names; another is claimed (or refused) here */
  if (t->rev && t->rev->crl_bucket && bucketown_use(c, t->row.id, t->rev->crl_bucket, e) < 0)
    return -1;
  if (t->status && t->to != castate_of(&t->row) &&
      store_ca_set_status(c->store, t->row.id, castate_name(t->to), e) < 0)
    return -1;
  if (rc_text && store_ca_set_revocation(c->store, t->row.id, rc_text, e) < 0)
    return -1;
  return audit_event(c, e, AUDIT_UpdateCertificateAuthority, t->arn, NULL,
                     "status=%s revocation=%s", t->status ? t->status : t->row.status,
                     rc_text ? "changed" : "unchanged");
}

int ca_update(const ctx_t *c, const char *arn, const char *status, const revcfg_t *rev,
              err_t *e) {
  ca_change_t t = {.c = c, .arn = arn, .op = CA_OP_UPDATE, .step = ca_update_step,
                   .status = status, .rev = rev};
  t.to = status ? castate_parse(status) : CA_UNKNOWN;
  if (status && t.to != CA_ACTIVE && t.to != CA_DISABLED)
    return err_set(e, ERR_InvalidArgsException,
                   "Status can only be updated to ACTIVE or DISABLED, not %s", status);
  return ca_change(&t, e);
}

static int ca_delete_step(ca_change_t *t, err_t *e) {
  const ctx_t *c = t->c;
  t->immediate = castate_next(CA_OP_DELETE, castate_of(&t->row)) == CA_GONE;
  if ((t->immediate ? store_ca_remove(c->store, t->row.id, t->arn, e)
                    : store_ca_mark_deleted(c->store, t->row.id, t->days, e)) < 0)
    return -1;
  return audit_event(c, e, AUDIT_DeleteCertificateAuthority, t->arn, NULL, "from=%s %s",
                     t->row.status, t->immediate ? "removed at once" : "restorable");
}

int ca_delete(const ctx_t *c, const char *arn, int days, err_t *e) {
  ca_change_t t = {.c = c, .arn = arn, .op = CA_OP_DELETE, .step = ca_delete_step,
                   .days = days};
  int rc = ca_change(&t, e);
  if (rc == 0 && t.immediate && c->kick)
    c->kick(c->kick_arg); /* destroy the key, if one was made */
  return rc;
}

static int ca_restore_step(ca_change_t *t, err_t *e) {
  if (!t->row.restorable)
    return err_set(e, ERR_InvalidStateException,
                   "The restoration period of certificate authority %s has ended.", t->arn);
  if (store_ca_restore(t->c->store, t->row.id, e) < 0)
    return -1;
  return audit_event(t->c, e, AUDIT_RestoreCertificateAuthority, t->arn, NULL, "to=%s",
                     t->row.status_before_deletion);
}

int ca_restore(const ctx_t *c, const char *arn, err_t *e) {
  ca_change_t t = {.c = c, .arn = arn, .op = CA_OP_RESTORE, .step = ca_restore_step};
  return ca_change(&t, e);
}

/* The state read before the checks may have changed by the lock. */
static int ca_import_step(ca_change_t *t, err_t *e) {
  const cacert_t *cc = t->cc;
  const char *status;
  if (!castate_allows(CA_OP_IMPORT, castate_of(&t->row)))
    return err_set(e, ERR_ConcurrentModificationException,
                   "The certificate authority %s changed state meanwhile (%s)", t->arn,
                   t->row.status);
  status = castate_name((ca_state_t)castate_next(CA_OP_IMPORT, castate_of(&t->row)));
  if (store_ca_set_certificate(t->c->store, t->row.id, cc->der, cc->der_len, cc->chain_pem,
                               cc->serial, cc->not_before, cc->not_after, status, e) < 0)
    return -1;
  return audit_event(t->c, e, AUDIT_ImportCertificateAuthorityCertificate, t->arn, NULL,
                     "serial=%s status=%s", cc->serial, status);
}

int ca_import(const ctx_t *c, const char *arn, const unsigned char *cert, size_t cert_len,
              const unsigned char *chain, size_t chain_len, err_t *e) {
  ca_change_t t = {.c = c, .arn = arn, .op = CA_OP__COUNT, .step = ca_import_step};
  store_ca_t row;
  EVP_PKEY *pub = NULL;
  cacert_t cc;
  int ret = -1;
  memset(&cc, 0, sizeof cc);
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  /* all checks, and the token's public key, before any lock is taken */
  if (castate_check(CA_OP_IMPORT, castate_of(&row), arn, e) < 0 ||
      (!row.has_key && castate_refuse(CA_OP_IMPORT, castate_of(&row), arn, e) < 0) ||
      !(pub = key_public(c, row.key_id, e)) ||
      cacert_check(row.type, pub, cert, cert_len, chain, chain_len, clock_now(), &cc, e) < 0)
    goto out;
  t.cc = &cc;
  ret = ca_change(&t, e);
out:
  EVP_PKEY_free(pub);
  cacert_clear(&cc);
  store_ca_clear(&row);
  return ret;
}

/* ---- janitor ---- */

/* The CA's CSR, signed in the token. */
static char *ca_make_csr(const ctx_t *c, const cacfg_t *cfg, const unsigned char id[KEY_ID_LEN],
                         err_t *e) {
  X509_REQ *req = X509_REQ_new(), *signed_req = NULL;
  EVP_PKEY *pub = key_public(c, id, e);
  BIO *b = NULL;
  char *pem = NULL, *data;
  long len;
  if (!req || !pub || !X509_REQ_set_version(req, 0) ||
      !X509_REQ_set_subject_name(req, cfg->subject) || !X509_REQ_set_pubkey(req, pub) ||
      (sk_X509_EXTENSION_num(cfg->csr_ext) && !X509_REQ_add_extensions(req, cfg->csr_ext)))
    goto out;
  signed_req = key_sign_req(c, id, req, cfg->signing_algorithm, e);
  req = NULL; /* the signer's now */
  if (!signed_req)
    goto out;
  /* every signature from the token is checked in software */
  if (X509_REQ_verify(signed_req, pub) != 1) {
    err_set(e, ERR_InternalFailure, "the token's CSR signature does not verify");
    goto out;
  }
  b = BIO_new(BIO_s_mem());
  if (b && PEM_write_bio_X509_REQ(b, signed_req) && (len = BIO_get_mem_data(b, &data)) > 0)
    pem = strndup(data, (size_t)len);
out:
  if (!pem && e->code == ERR_OK)
    err_set(e, ERR_InternalFailure, "cannot build the CA's CSR");
  BIO_free(b);
  EVP_PKEY_free(pub);
  X509_REQ_free(signed_req);
  X509_REQ_free(req);
  return pem;
}

/* The key could not be made; whatever was made is destroyed. A token that
 * was away, busy or late may make it on a later round: the CA stays
 * CREATING (0: this round's key generation ends here) until it is
 * CA_KEYGEN_GIVE_UP_S old; anything else, or later, and the CA is FAILED. */
#define CA_KEYGEN_GIVE_UP_S 3600

/* The janitor's writes about one CA (store_tx bodies). */
typedef struct {
  const ctx_t *c;
  const store_ca_t *row;
  const err_t *ke;          /* failed: why the key could not be made */
  const unsigned char *id;  /* made: the key and its CSR */
  const char *csr, *alg;
  int done;                 /* made: 0 when the CA was deleted meanwhile */
} ca_janitor_t;

static int ca_failed_tx(void *arg, err_t *e) {
  const ca_janitor_t *j = arg;
  if (store_ca_set_failed(j->c->store, j->row->id, "OTHER", e) < 0)
    return -1;
  return audit_event(j->c, e, AUDIT_CreateKey, j->row->arn, NULL, "failed: %s", j->ke->msg);
}

static int ca_made_tx(void *arg, err_t *e) {
  ca_janitor_t *j = arg;
  if ((j->done = store_ca_set_key(j->c->store, j->row->id, j->id, j->csr, e)) < 0)
    return -1;
  return audit_event(j->c, e, j->done ? AUDIT_CreateKey : AUDIT_DestroyKey, j->row->arn, NULL,
                     j->done ? "%s key generated in the token, CSR signed"
                             : "%s: CA deleted meanwhile",
                     j->alg);
}

static int ca_keygen_failed(const ctx_t *c, const store_ca_t *row, const err_t *ke, err_t *e) {
  ca_janitor_t j = {.c = c, .row = row, .ke = ke};
  int later;
  err_ignore(key_destroy(c, row->id, NULL)); /* best effort: the CA is failing anyway */
  if (ke->code == ERR_ServiceUnavailable || ke->code == ERR_ThrottlingException) {
    later = store_ca_keygen_later(c->store, row->id, CA_KEYGEN_GIVE_UP_S, e);
    if (later != 0) {
      if (later > 0)
        log_warn(&c->log, "ca=%s key generation failed, tried again next round: %s",
                 row->arn, ke->msg);
      return later > 0 ? 0 : -1;
    }
  }
  log_err(&c->log, "ca=%s key generation failed: %s", row->arn, ke->msg);
  return store_tx(c->store, ca_failed_tx, &j, 0, e) < 0 ? -1 : 1;
}

int ca_keygen_next(const ctx_t *c, err_t *e) {
  store_ca_t row;
  cacfg_t cfg;
  unsigned char id[KEY_ID_LEN];
  char *csr = NULL;
  int claimed, ret = -1;
  ca_janitor_t j = {.c = c, .row = &row, .id = id};
  err_t ke;
  err_clear(&ke);
  memset(&cfg, 0, sizeof cfg);
  claimed = store_ca_claim_creating(c->store, &row, e);
  if (claimed <= 0)
    return claimed;
  /* leftovers of an attempt that died before recording its key go first */
  if (cacfg_from_text(row.ca_config, &cfg, &ke) < 0 || key_destroy(c, row.id, &ke) < 0 ||
      key_generate(c, cfg.key_algorithm, row.id, id, &ke) < 0 ||
      !(csr = ca_make_csr(c, &cfg, id, &ke))) {
    ret = ca_keygen_failed(c, &row, &ke, e);
    goto out;
  }
  j.csr = csr;
  j.alg = cfg.key_algorithm;
  if (store_tx(c->store, ca_made_tx, &j, 0, e) < 0)
    goto out;
  if (!j.done)
    err_ignore(key_destroy(c, row.id, NULL)); /* best effort: its CA is gone */
  ret = 1;
out:
  free(csr);
  cacfg_clear(&cfg);
  store_ca_clear(&row);
  return ret;
}

/* One CA past its restoration window, removed: 1, or 0 when none. */
static int ca_purge_tx(void *arg, err_t *e) {
  ca_change_t *t = arg;
  int got = store_ca_next_purge(t->c->store, &t->row, e);
  if (got <= 0)
    return got;
  if (store_ca_remove(t->c->store, t->row.id, t->row.arn, e) < 0 ||
      audit_event(t->c, e, AUDIT_PurgeCertificateAuthority, t->row.arn, NULL,
                  "restoration period ended") < 0)
    return -1;
  return 1;
}

int ca_purge_next(const ctx_t *c, err_t *e) {
  ca_change_t t = {.c = c};
  int rc = store_tx(c->store, ca_purge_tx, &t, 0, e);
  store_ca_clear(&t.row);
  return rc;
}

/* The oldest key waiting to be destroyed, claimed (its row locked and
 * deleted) in a transaction that commits only once the token objects are
 * gone and the event is written: another instance's janitor skips the row
 * meanwhile, and a failure leaves it for the next round. */
typedef struct {
  const ctx_t *c;
  char *label, *arn;
} ca_destroy_t;

static int ca_destroy_tx(void *arg, err_t *e) {
  ca_destroy_t *d = arg;
  int n, got = store_key_destroy_claim(d->c->store, &d->label, &d->arn, e);
  if (got <= 0)
    return got;
  clock_sleep_ms(failpoint("key_destroy_delay_ms"));
  /* after the commit that released it; idempotent if repeated */
  if ((n = key_destroy(d->c, d->label, e)) < 0 ||
      audit_event(d->c, e, AUDIT_DestroyKey, d->arn, NULL, "%d token objects destroyed", n) < 0)
    return -1;
  return 1;
}

int ca_destroy_next(const ctx_t *c, err_t *e) {
  ca_destroy_t d = {c, NULL, NULL};
  int rc = store_tx(c->store, ca_destroy_tx, &d, 0, e);
  free(d.label);
  free(d.arn);
  return rc;
}

int ca_expire_due(const ctx_t *c, err_t *e) {
  return audit_batch(c, AUDIT_ExpireCertificateAuthority, "certificate notAfter passed",
                     store_ca_expire, e);
}
