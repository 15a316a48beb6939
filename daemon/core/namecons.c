#include "core/namecons.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "core/cacache.h"

/* 1 when x has a DNS subjectAltName: then, as in X509_verify_cert, the CN
 * is not read as a host name. */
static int namecons_has_dns(X509 *x) {
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  int found = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !found; i++)
    found = sk_GENERAL_NAME_value(gens, i)->type == GEN_DNS;
  GENERAL_NAMES_free(gens);
  return found;
}

/* A certificate with x's subject and subjectAltName only, its extensions
 * cached: NAME_CONSTRAINTS_check reads the SANs from that cache, which the
 * certificate being built may have filled before its SANs were added. */
static X509 *namecons_names(X509 *x) {
  X509 *t = X509_new();
  int loc = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
  if (t && X509_set_subject_name(t, X509_get_subject_name(x)) &&
      (loc < 0 || X509_add_ext(t, X509_get_ext(x, loc), -1))) {
    X509_get_extension_flags(t);
    return t;
  }
  X509_free(t);
  return NULL;
}

/* X509_V_OK when x's names meet nc; cn: the CN is checked as a host name. */
static int namecons_test(X509 *x, NAME_CONSTRAINTS *nc, int cn) {
  int rc = NAME_CONSTRAINTS_check(x, nc);
  if (rc == X509_V_OK && cn)
    rc = NAME_CONSTRAINTS_check_CN(x, nc);
  return rc;
}

/* 1 when the name gen alone (as x's only SAN) breaks nc. */
static int namecons_san_breaks(const GENERAL_NAME *gen, NAME_CONSTRAINTS *nc) {
  X509 *t = X509_new();
  GENERAL_NAMES *one = sk_GENERAL_NAME_new_null();
  GENERAL_NAME *copy = GENERAL_NAME_dup(gen);
  int breaks = 0;
  if (t && one && copy && sk_GENERAL_NAME_push(one, copy)) {
    copy = NULL;
    if (X509_add1_ext_i2d(t, NID_subject_alt_name, one, 0, X509V3_ADD_DEFAULT) == 1) {
      X509_get_extension_flags(t); /* the SAN cache NAME_CONSTRAINTS_check reads */
      breaks = NAME_CONSTRAINTS_check(t, nc) != X509_V_OK;
    }
  }
  GENERAL_NAME_free(copy);
  GENERAL_NAMES_free(one);
  X509_free(t);
  return breaks;
}

/* The first name of x that nc refuses on its own, printed into b. */
static void namecons_culprit(BIO *b, X509 *x, NAME_CONSTRAINTS *nc, int cn) {
  X509 *t = X509_new();
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  int found = 0;
  if (t && X509_set_subject_name(t, X509_get_subject_name(x)) &&
      namecons_test(t, nc, cn) != X509_V_OK) {
    BIO_puts(b, "subject ");
    X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
    found = 1;
  }
  for (int i = 0; !found && i < sk_GENERAL_NAME_num(gens); i++)
    if ((found = namecons_san_breaks(sk_GENERAL_NAME_value(gens, i), nc)))
      GENERAL_NAME_print(b, sk_GENERAL_NAME_value(gens, i));
  if (!found)
    BIO_puts(b, "of the certificate");
  GENERAL_NAMES_free(gens);
  X509_free(t);
}

/* The InvalidArgsException for x's names against ca's constraints. */
static int namecons_refuse(X509 *x, X509 *ca, NAME_CONSTRAINTS *nc, int cn, int rc, err_t *e) {
  BIO *b = BIO_new(BIO_s_mem());
  char *text = NULL;
  long len;
  int loc = X509_get_ext_by_NID(ca, NID_name_constraints, -1);
  if (b) {
    BIO_puts(b, "The name ");
    namecons_culprit(b, x, nc, cn);
    BIO_printf(b, " is outside the name constraints (%s) of the CA certificate ",
               X509_verify_cert_error_string(rc));
    X509_NAME_print_ex(b, X509_get_subject_name(ca), 0, XN_FLAG_RFC2253);
    BIO_puts(b, ": ");
    X509V3_EXT_print(b, X509_get_ext(ca, loc), 0, 0);
  }
  len = b ? BIO_get_mem_data(b, &text) : 0;
  for (long i = 0; i < len; i++) /* the extension prints on several lines */
    if (text[i] == '\n' || text[i] == '\r')
      text[i] = ' ';
  err_set(e, ERR_InvalidArgsException, "%.*s", len > 900 ? 900 : (int)len,
          text ? text : "The certificate's names are outside the issuing CA's name constraints");
  BIO_free(b);
  ERR_clear_error();
  return -1;
}

/* x's names against ca's nameConstraints, when it has them. */
static int namecons_one(X509 *x, X509 *ca, int cn, err_t *e) {
  int crit = -1, rc;
  NAME_CONSTRAINTS *nc = X509_get_ext_d2i(ca, NID_name_constraints, &crit, NULL);
  if (!nc) {
    ERR_clear_error();
    return crit == -1 ? 0 /* none */
                      : err_set(e, ERR_InvalidArgsException,
                                "The issuing CA's name constraints cannot be read");
  }
  rc = namecons_test(x, nc, cn);
  if (rc != X509_V_OK)
    namecons_refuse(x, ca, nc, cn, rc, e);
  NAME_CONSTRAINTS_free(nc);
  return rc == X509_V_OK ? 0 : -1;
}

/* The next certificate of the stored chain, parsed once (the CA cache,
 * keyed "<ca id>/<depth>"); NULL at its end. */
static X509 *namecons_next(BIO *b, const char *ca_id, int depth) {
  char *name = NULL, *hdr = NULL, key[48];
  unsigned char *der = NULL;
  long len = 0;
  X509 *c = NULL;
  if (PEM_read_bio(b, &name, &hdr, &der, &len) && strcmp(name, PEM_STRING_X509) == 0) {
    snprintf(key, sizeof key, "%s/%d", ca_id, depth);
    c = cacache_get(key, der, (size_t)len);
  }
  ERR_clear_error();
  OPENSSL_free(name);
  OPENSSL_free(hdr);
  OPENSSL_free(der);
  return c;
}

int namecons_check(X509 *x, X509 *ca, const char *ca_id, const char *chain_pem, err_t *e) {
  X509 *names = namecons_names(x), *c;
  int cn = !namecons_has_dns(x), rc = -1;
  BIO *b = NULL;
  if (!names || (chain_pem && !(b = BIO_new_mem_buf(chain_pem, -1)))) {
    err_set(e, ERR_InternalFailure, "out of memory");
    goto out;
  }
  rc = namecons_one(names, ca, cn, e);
  for (int depth = 1; rc == 0 && b && (c = namecons_next(b, ca_id, depth)); depth++) {
    rc = namecons_one(names, c, cn, e);
    X509_free(c);
  }
out:
  BIO_free(b);
  X509_free(names);
  return rc;
}
