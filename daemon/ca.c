#include "ca.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"
#include "audit.h"
#include "cacert.h"
#include "clock.h"
#include "ext.h"
#include "log.h"
#include "reqid.h"
#include "revcfg.h"
#include "sigalg.h"
#include "store_ca.h"
#include "subject.h"

static void ca_put_str(json_t *o, const char *k, const char *v) {
  if (v)
    json_object_set_new(o, k, json_string(v));
}

static void ca_put_time(json_t *o, const char *k, const char *v) {
  /* epoch seconds as a JSON number, millisecond precision like AWS */
  if (v)
    json_object_set_new(o, k, json_real((double)(long long)(strtod(v, NULL) * 1000) / 1000.0));
}

static void ca_put_json(json_t *o, const char *k, const char *text) {
  json_t *v = text ? json_loads(text, 0, NULL) : NULL;
  if (v)
    json_object_set_new(o, k, v);
}

/* RevocationConfiguration as Describe shows it: both blocks always there. */
static json_t *ca_revocation_json(const char *text) {
  json_t *rc = text ? json_loads(text, 0, NULL) : NULL;
  if (!rc)
    rc = json_object();
  if (!json_object_get(rc, "CrlConfiguration"))
    json_object_set_new(rc, "CrlConfiguration", json_pack("{s:b}", "Enabled", 0));
  if (!json_object_get(rc, "OcspConfiguration"))
    json_object_set_new(rc, "OcspConfiguration", json_pack("{s:b}", "Enabled", 0));
  return rc;
}

static json_t *ca_to_json(const store_ca_t *c) {
  json_t *o = json_object();
  ca_put_str(o, "Arn", c->arn);
  ca_put_str(o, "OwnerAccount", c->account_id);
  ca_put_time(o, "CreatedAt", c->created_at);
  ca_put_time(o, "LastStateChangeAt", c->last_state_change_at);
  ca_put_str(o, "Type", c->type);
  ca_put_str(o, "Serial", c->serial);
  ca_put_str(o, "Status", c->status);
  ca_put_time(o, "NotBefore", c->not_before);
  ca_put_time(o, "NotAfter", c->not_after);
  ca_put_str(o, "FailureReason", c->failure_reason);
  ca_put_json(o, "CertificateAuthorityConfiguration", c->ca_config);
  json_object_set_new(o, "RevocationConfiguration", ca_revocation_json(c->revocation_config));
  ca_put_time(o, "RestorableUntil", c->restorable_until);
  ca_put_str(o, "KeyStorageSecurityStandard", c->key_storage_security_standard);
  ca_put_str(o, "UsageMode", c->usage_mode);
  return o;
}

int ca_get(const ctx_t *c, const char *arn, int lock, store_ca_t *row, err_t *e) {
  char id[37];
  int rc;
  if (arn_ca_parse(arn, id, e) < 0)
    return -1;
  rc = store_ca_get(c->store, c->account, arn, lock, row, e);
  if (rc == 1)
    return err_set(e, ERR_ResourceNotFoundException,
                   "Could not find certificate authority %s", arn);
  return rc;
}

int ca_resolve(const ctx_t *c, const char *arn, int lock, char id[37], err_t *e) {
  store_ca_t row;
  if (ca_get(c, arn, lock, &row, e) < 0)
    return -1;
  snprintf(id, 37, "%s", row.id);
  store_ca_clear(&row);
  return 0;
}

static int ca_status_in(const store_ca_t *row, const char *const *states) {
  for (; *states; states++)
    if (strcmp(row->status, *states) == 0)
      return 1;
  return 0;
}

/* ---- create ---- */

static int ca_check_config(const ctx_t *c, const json_t *cfg, err_t *e) {
  const char *ka = json_string_value(json_object_get(cfg, "KeyAlgorithm"));
  const char *sa = json_string_value(json_object_get(cfg, "SigningAlgorithm"));
  const json_t *csrx = json_object_get(cfg, "CsrExtensions");
  X509_NAME *n;
  if (!p11_supports(c->p11, ka, e))
    return -1;
  if (sigalg_fits(sa, ka, e) < 0)
    return -1;
  n = subject_to_name(json_object_get(cfg, "Subject"), e);
  if (!n)
    return -1;
  X509_NAME_free(n);
  if (json_object_get(csrx, "KeyUsage")) {
    X509_EXTENSION *x = ext_key_usage(json_object_get(csrx, "KeyUsage"), e);
    if (!x)
      return -1;
    X509_EXTENSION_free(x);
  }
  if (json_object_get(csrx, "SubjectInformationAccess")) {
    X509_EXTENSION *x = ext_subject_info_access(json_object_get(csrx, "SubjectInformationAccess"), e);
    if (!x)
      return -1;
    X509_EXTENSION_free(x);
  }
  return 0;
}

/* Tags the API may set: keys beginning with "aws:" belong to AWS. */
static int ca_check_tags(const json_t *tags, err_t *e) {
  size_t i;
  const json_t *t;
  json_array_foreach(tags, i, t) {
    const char *k = json_string_value(json_object_get(t, "Key"));
    if (k && strncmp(k, "aws:", 4) == 0)
      return err_set(e, ERR_InvalidTagException, "Tag keys beginning with 'aws:' are reserved");
  }
  return 0;
}

static int ca_put_tags(const ctx_t *c, const char *id, const json_t *tags, err_t *e) {
  size_t i;
  const json_t *t;
  json_array_foreach(tags, i, t) {
    if (store_tag_put(c->store, id, json_string_value(json_object_get(t, "Key")),
                      json_string_value(json_object_get(t, "Value")), e) < 0)
      return -1;
  }
  return 0;
}

int ca_create(const ctx_t *c, const json_t *in, char **arn, err_t *e) {
  const json_t *cfg = json_object_get(in, "CertificateAuthorityConfiguration");
  const json_t *rc = json_object_get(in, "RevocationConfiguration");
  const json_t *tags = json_object_get(in, "Tags");
  const char *token = json_string_value(json_object_get(in, "IdempotencyToken"));
  const char *kss = json_string_value(json_object_get(in, "KeyStorageSecurityStandard"));
  const char *mode = json_string_value(json_object_get(in, "UsageMode"));
  char id[REQID_LEN + 1], *cfg_text = NULL, *rc_text = NULL;
  long n = 0;
  int ret = -1;
  *arn = NULL;

  if (ca_check_config(c, cfg, e) < 0 || (rc && revcfg_check(rc, e) < 0) ||
      (tags && ca_check_tags(tags, e) < 0))
    return -1;
  if (!kss)
    kss = "FIPS_140_2_LEVEL_3_OR_HIGHER";
  if (strcmp(kss, "CCPC_LEVEL_1_OR_HIGHER") == 0)
    return err_set(e, ERR_InvalidArgsException,
                   "A certificate authority cannot be created in this region with the specified "
                   "security standard.");
  if (reqid_uuid4(id) < 0 || !(*arn = arn_ca_make(c->partition, c->region, c->account, id)) ||
      !(cfg_text = json_dumps(cfg, JSON_COMPACT)) ||
      (rc && !(rc_text = json_dumps(rc, JSON_COMPACT)))) {
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  if (store_begin(c->store, e) < 0 || store_ca_lock_account(c->store, c->account, e) < 0)
    goto out;
  if (token) {
    int claimed = store_idem_claim(c->store, c->account, "CreateCertificateAuthority", token,
                                   arn, e);
    if (claimed < 0)
      goto out;
    if (claimed == 1) {
      /* the same token within 5 minutes: the CA it made, nothing new */
      store_rollback(c->store);
      ret = 0;
      goto out;
    }
  }
  if (store_ca_count(c->store, c->account, &n, e) < 0)
    goto out;
  if (n >= c->ca_quota) {
    err_set(e, ERR_LimitExceededException,
            "The account already has %ld certificate authorities, the most it may have", n);
    goto out;
  }
  {
    store_ca_new_t row = {id,
                          *arn,
                          c->account,
                          c->region,
                          json_string_value(json_object_get(in, "CertificateAuthorityType")),
                          mode ? mode : "GENERAL_PURPOSE",
                          kss,
                          cfg_text,
                          rc_text};
    if (store_ca_insert(c->store, &row, e) < 0 || (tags && ca_put_tags(c, id, tags, e) < 0) ||
        audit_event(c, "CreateCertificateAuthority", *arn, NULL, "type=%s key=%s", row.type,
                 json_string_value(json_object_get(cfg, "KeyAlgorithm"))) < 0 ||
        store_commit(c->store, e) < 0)
      goto out;
  }
  if (c->kick)
    c->kick(c->kick_arg);
  ret = 0;
out:
  if (ret < 0) {
    store_rollback(c->store);
    free(*arn);
    *arn = NULL;
  }
  free(cfg_text);
  free(rc_text);
  return ret;
}

/* ---- read ---- */

int ca_describe(const ctx_t *c, const char *arn, json_t **out, err_t *e) {
  store_ca_t row;
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  *out = ca_to_json(&row);
  store_ca_clear(&row);
  return 0;
}

int ca_list(const ctx_t *c, const char *cursor, int limit, json_t **cas, char **next, err_t *e) {
  store_ca_t *rows = NULL;
  int n = 0;
  *cas = NULL;
  if (store_ca_list(c->store, c->account, cursor, limit, &rows, &n, next, e) < 0)
    return -1;
  *cas = json_array();
  for (int i = 0; i < n; i++)
    json_array_append_new(*cas, ca_to_json(&rows[i]));
  store_ca_free(rows, n);
  return 0;
}

int ca_get_csr(const ctx_t *c, const char *arn, char **pem, err_t *e) {
  store_ca_t row;
  int rc = -1;
  *pem = NULL;
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  if (strcmp(row.status, "FAILED") == 0) {
    err_set(e, ERR_RequestFailedException, "The certificate authority %s failed to be created",
            arn);
  } else if (strcmp(row.status, "DELETED") == 0) {
    err_set(e, ERR_InvalidStateException, "The certificate authority %s is deleted", arn);
  } else if (strcmp(row.status, "CREATING") == 0 || !row.csr_pem) {
    err_set(e, ERR_RequestInProgressException,
            "The certificate authority's key and CSR are being created; retry shortly.");
  } else {
    *pem = row.csr_pem;
    row.csr_pem = NULL;
    rc = 0;
  }
  store_ca_clear(&row);
  return rc;
}

int ca_get_certificate(const ctx_t *c, const char *arn, char **cert, char **chain, err_t *e) {
  static const char *const with_cert[] = {"ACTIVE", "DISABLED", "EXPIRED", NULL};
  store_ca_t row;
  int rc = -1;
  *cert = *chain = NULL;
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  if (!ca_status_in(&row, with_cert) || !row.cert_der) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is in the %s state and has no certificate", arn,
            row.status);
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

int ca_update(const ctx_t *c, const char *arn, const json_t *in, err_t *e) {
  static const char *const updatable[] = {"ACTIVE", "DISABLED", NULL};
  const char *status = json_string_value(json_object_get(in, "Status"));
  const json_t *rc = json_object_get(in, "RevocationConfiguration");
  store_ca_t row;
  char *rc_text = NULL;
  int ret = -1;
  memset(&row, 0, sizeof row);
  if (status && strcmp(status, "ACTIVE") != 0 && strcmp(status, "DISABLED") != 0)
    return err_set(e, ERR_InvalidArgsException,
                   "Status can only be updated to ACTIVE or DISABLED, not %s", status);
  if (rc && (revcfg_check(rc, e) < 0 || !(rc_text = json_dumps(rc, JSON_COMPACT))))
    goto out;
  if (store_begin(c->store, e) < 0 || ca_get(c, arn, STORE_LOCK_UPDATE, &row, e) < 0)
    goto out;
  if (!ca_status_in(&row, updatable)) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is in the %s state; it must be in the ACTIVE or "
            "DISABLED state to be updated.",
            arn, row.status);
    goto out;
  }
  if (status && strcmp(status, row.status) != 0 &&
      store_ca_set_status(c->store, row.id, status, e) < 0)
    goto out;
  if (rc_text && store_ca_set_revocation(c->store, row.id, rc_text, e) < 0)
    goto out;
  if (audit_event(c, "UpdateCertificateAuthority", arn, NULL, "status=%s revocation=%s",
               status ? status : row.status, rc_text ? "changed" : "unchanged") < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_ca_clear(&row);
  free(rc_text);
  return ret;
}

int ca_delete(const ctx_t *c, const char *arn, int days, err_t *e) {
  store_ca_t row;
  int ret = -1, immediate;
  memset(&row, 0, sizeof row);
  if (store_begin(c->store, e) < 0 || ca_get(c, arn, STORE_LOCK_UPDATE, &row, e) < 0)
    goto out;
  if (strcmp(row.status, "ACTIVE") == 0) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is ACTIVE; disable it before deleting it.", arn);
    goto out;
  }
  if (strcmp(row.status, "DELETED") == 0) {
    err_set(e, ERR_InvalidStateException, "The certificate authority %s is already deleted.",
            arn);
    goto out;
  }
  /* from CREATING or FAILED there is no restoration window */
  immediate = strcmp(row.status, "CREATING") == 0 || strcmp(row.status, "FAILED") == 0;
  if ((immediate ? store_ca_remove(c->store, row.id, arn, e)
                 : store_ca_mark_deleted(c->store, row.id, days, e)) < 0 ||
      audit_event(c, "DeleteCertificateAuthority", arn, NULL, "from=%s %s", row.status,
               immediate ? "removed at once" : "restorable") < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  if (immediate && c->kick)
    c->kick(c->kick_arg); /* destroy the key, if one was made */
  ret = 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_ca_clear(&row);
  return ret;
}

int ca_restore(const ctx_t *c, const char *arn, err_t *e) {
  store_ca_t row;
  int ret = -1;
  memset(&row, 0, sizeof row);
  if (store_begin(c->store, e) < 0 || ca_get(c, arn, STORE_LOCK_UPDATE, &row, e) < 0)
    goto out;
  if (strcmp(row.status, "DELETED") != 0 || !row.restorable) {
    err_set(e, ERR_InvalidStateException,
            strcmp(row.status, "DELETED") != 0
                ? "The certificate authority %s is not deleted, so it cannot be restored."
                : "The restoration period of certificate authority %s has ended.",
            arn);
    goto out;
  }
  if (store_ca_restore(c->store, row.id, e) < 0 ||
      audit_event(c, "RestoreCertificateAuthority", arn, NULL, "to=%s", row.status_before_deletion) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_ca_clear(&row);
  return ret;
}

int ca_import(const ctx_t *c, const char *arn, const unsigned char *cert, size_t cert_len,
              const unsigned char *chain, size_t chain_len, err_t *e) {
  static const char *const importable[] = {"PENDING_CERTIFICATE", "ACTIVE", "DISABLED",
                                           "EXPIRED", NULL};
  store_ca_t row, locked;
  EVP_PKEY *pub = NULL;
  cacert_t cc;
  const char *status;
  int ret = -1;
  memset(&locked, 0, sizeof locked);
  memset(&cc, 0, sizeof cc);
  if (ca_get(c, arn, STORE_LOCK_NONE, &row, e) < 0)
    return -1;
  if (strcmp(row.status, "CREATING") == 0) {
    err_set(e, ERR_RequestInProgressException,
            "The certificate authority's key is being created; retry shortly.");
    goto out;
  }
  if (!ca_status_in(&row, importable) || !row.has_key) {
    err_set(e, ERR_InvalidStateException,
            "The certificate authority %s is in the %s state; a certificate cannot be imported.",
            arn, row.status);
    goto out;
  }
  /* all checks, and the token's public key, before any lock is taken */
  pub = p11_public_key(c->p11, row.key_id, e);
  if (!pub)
    goto out;
  if (cacert_check(row.type, pub, cert, cert_len, chain, chain_len, clock_now(), &cc, e) < 0)
    goto out;
  if (store_begin(c->store, e) < 0 || ca_get(c, arn, STORE_LOCK_UPDATE, &locked, e) < 0)
    goto out;
  if (!ca_status_in(&locked, importable)) {
    err_set(e, ERR_ConcurrentModificationException,
            "The certificate authority %s changed state meanwhile (%s)", arn, locked.status);
    goto out;
  }
  /* pending or expired CAs become ACTIVE; a renewal keeps ACTIVE or DISABLED */
  status = strcmp(locked.status, "DISABLED") == 0 ? "DISABLED" : "ACTIVE";
  if (store_ca_set_certificate(c->store, locked.id, cc.der, cc.der_len, cc.chain_pem, cc.serial,
                               cc.not_before, cc.not_after, status, e) < 0 ||
      audit_event(c, "ImportCertificateAuthorityCertificate", arn, NULL, "serial=%s status=%s", cc.serial,
               status) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 0;
out:
  if (ret < 0)
    store_rollback(c->store);
  EVP_PKEY_free(pub);
  cacert_clear(&cc);
  store_ca_clear(&row);
  store_ca_clear(&locked);
  return ret;
}

/* ---- janitor ---- */

/* The CA's CSR, signed in the token. */
static char *ca_make_csr(const ctx_t *c, const json_t *cfg, const unsigned char id[P11_ID_LEN],
                         err_t *e) {
  const json_t *csrx = json_object_get(cfg, "CsrExtensions");
  X509_REQ *req = X509_REQ_new();
  X509_NAME *name = subject_to_name(json_object_get(cfg, "Subject"), e);
  EVP_PKEY *pub = p11_public_key(c->p11, id, e), *priv = NULL;
  STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
  BIO *b = NULL;
  char *pem = NULL, *data;
  long len;
  if (!req || !name || !pub || !exts)
    goto out;
  if (json_object_get(csrx, "KeyUsage")) {
    X509_EXTENSION *x = ext_key_usage(json_object_get(csrx, "KeyUsage"), e);
    if (!x || !sk_X509_EXTENSION_push(exts, x)) {
      X509_EXTENSION_free(x);
      goto out;
    }
  }
  if (json_object_get(csrx, "SubjectInformationAccess")) {
    X509_EXTENSION *x = ext_subject_info_access(json_object_get(csrx, "SubjectInformationAccess"), e);
    if (!x || !sk_X509_EXTENSION_push(exts, x)) {
      X509_EXTENSION_free(x);
      goto out;
    }
  }
  if (!X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) ||
      !X509_REQ_set_pubkey(req, pub) ||
      (sk_X509_EXTENSION_num(exts) && !X509_REQ_add_extensions(req, exts)))
    goto out;
  priv = p11_private_key(c->p11, id, e);
  if (!priv ||
      sigalg_sign_req(req, priv, json_string_value(json_object_get(cfg, "SigningAlgorithm")), e) < 0)
    goto out;
  /* every signature from the token is checked in software */
  if (X509_REQ_verify(req, pub) != 1) {
    err_set(e, ERR_InternalFailure, "the token's CSR signature does not verify");
    goto out;
  }
  b = BIO_new(BIO_s_mem());
  if (b && PEM_write_bio_X509_REQ(b, req) && (len = BIO_get_mem_data(b, &data)) > 0)
    pem = strndup(data, (size_t)len);
out:
  if (!pem && e->code == ERR_OK)
    err_set(e, ERR_InternalFailure, "cannot build the CA's CSR");
  BIO_free(b);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  EVP_PKEY_free(pub);
  EVP_PKEY_free(priv);
  X509_NAME_free(name);
  X509_REQ_free(req);
  return pem;
}

int ca_keygen_next(const ctx_t *c, err_t *e) {
  store_ca_t row;
  json_t *cfg = NULL;
  unsigned char id[P11_ID_LEN];
  char *csr = NULL;
  const char *ka;
  int claimed, done, ret = -1;
  err_t ke;
  err_clear(&ke);
  claimed = store_ca_claim_creating(c->store, &row, e);
  if (claimed <= 0)
    return claimed;
  cfg = json_loads(row.ca_config, 0, NULL);
  ka = json_string_value(json_object_get(cfg, "KeyAlgorithm"));
  /* leftovers of an attempt that died before recording its key */
  if (p11_destroy(c->p11, row.id, &ke) < 0 || !ka ||
      p11_generate(c->p11, ka, row.id, id, &ke) < 0 || p11_check_key(c->p11, id, &ke) < 0 ||
      !(csr = ca_make_csr(c, cfg, id, &ke))) {
    log_err(NULL, "ca=%s key generation failed: %s", row.arn, ke.msg);
    p11_destroy(c->p11, row.id, NULL);
    if (store_begin(c->store, e) < 0 ||
        store_ca_set_failed(c->store, row.id, "OTHER", e) < 0 ||
        audit_event(c, "CreateKey", row.arn, NULL, "failed: %s", ke.msg) < 0 ||
        store_commit(c->store, e) < 0)
      goto out;
    ret = 1;
    goto out;
  }
  if (store_begin(c->store, e) < 0 ||
      (done = store_ca_set_key(c->store, row.id, id, csr, e)) < 0 ||
      audit_event(c, done ? "CreateKey" : "DestroyKey", row.arn, NULL,
                  done ? "%s key generated in the token, CSR signed" : "%s: CA deleted meanwhile",
                  ka) < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  if (!done)
    p11_destroy(c->p11, row.id, NULL);
  ret = 1;
out:
  if (ret < 0)
    store_rollback(c->store);
  free(csr);
  json_decref(cfg);
  store_ca_clear(&row);
  return ret;
}

int ca_purge_next(const ctx_t *c, err_t *e) {
  store_ca_t row;
  int got, ret = -1;
  memset(&row, 0, sizeof row);
  if (store_begin(c->store, e) < 0 || (got = store_ca_next_purge(c->store, &row, e)) < 0)
    goto out;
  if (got == 0) {
    store_rollback(c->store);
    return 0;
  }
  if (store_ca_remove(c->store, row.id, row.arn, e) < 0 ||
      audit_event(c, "PurgeCertificateAuthority", row.arn, NULL, "restoration period ended") < 0 ||
      store_commit(c->store, e) < 0)
    goto out;
  ret = 1;
out:
  if (ret < 0)
    store_rollback(c->store);
  store_ca_clear(&row);
  return ret;
}

int ca_destroy_next(const ctx_t *c, err_t *e) {
  char *label = NULL, *arn = NULL;
  int got = store_key_destroy_next(c->store, &label, &arn, e), n, ret = -1;
  if (got <= 0)
    return got;
  /* after the commit that released it; idempotent if repeated */
  n = p11_destroy(c->p11, label, e);
  if (n >= 0 && store_begin(c->store, e) == 0 && store_key_destroy_done(c->store, label, e) == 0 &&
      audit_event(c, "DestroyKey", arn, NULL, "%d token objects destroyed", n) == 0 &&
      store_commit(c->store, e) == 0)
    ret = 1;
  if (ret < 0)
    store_rollback(c->store);
  free(label);
  free(arn);
  return ret;
}

int ca_expire_due(const ctx_t *c, err_t *e) {
  return audit_batch(c, "ExpireCertificateAuthority", "certificate notAfter passed",
                     store_ca_expire, e);
}
