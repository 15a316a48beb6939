#ifndef PCAD_CASTATE_H
#define PCAD_CASTATE_H
/* The CA lifecycle as one table (core/castate.c): for every operation that
 * depends on a CA's state, the states it may run in, the error a CA in any
 * other state gets, and the state it leads to. States are text only at the
 * edges: the row's status is parsed here, the API's names come from
 * castate.def. */
#include "base/err.h"
#include "store/store_ca.h"

typedef enum {
#define CA_STATE(name) CA_##name,
#include "core/castate.def"
#undef CA_STATE
  CA__COUNT,
  CA_UNKNOWN = CA__COUNT, /* a text that names no state */
} ca_state_t;

/* Where an operation leads, besides a state of its own. */
enum {
  CA_SAME = CA__COUNT + 1, /* the state does not change */
  CA_ASKED,                /* the state the request names (UpdateCertificateAuthority) */
  CA_BEFORE,               /* the state before the deletion (Restore) */
  CA_GONE,                 /* the CA is removed at once (Delete before it had a key) */
};

typedef enum {
  CA_OP_GET_CSR,         /* GetCertificateAuthorityCsr */
  CA_OP_GET_CERTIFICATE, /* GetCertificateAuthorityCertificate */
  CA_OP_GET_ISSUED,      /* GetCertificate: a certificate the CA issued */
  CA_OP_UPDATE,          /* UpdateCertificateAuthority */
  CA_OP_DELETE,          /* DeleteCertificateAuthority */
  CA_OP_RESTORE,         /* RestoreCertificateAuthority */
  CA_OP_IMPORT,          /* ImportCertificateAuthorityCertificate */
  CA_OP_ISSUE,           /* IssueCertificate */
  CA_OP_ISSUE_SELF,      /* IssueCertificate, a ROOT signing its own CSR */
  CA_OP_FINISH,          /* the janitor signing a PENDING certificate */
  CA_OP_REVOKE,          /* RevokeCertificate */
  CA_OP_REPORT,          /* CreateCertificateAuthorityAuditReport */
  CA_OP_CHANGE,          /* tags, policy, permissions */
  CA_OP__COUNT,
} ca_op_t;

ca_state_t castate_parse(const char *text);
/* The row's state. */
ca_state_t castate_of(const store_ca_t *row);
/* The API's name of s ("UNKNOWN" for CA_UNKNOWN). */
const char *castate_name(ca_state_t s);
/* 1 when op may run on a CA in state s, else 0. */
int castate_allows(ca_op_t op, ca_state_t s);
/* 0 when op may run on a CA in state s; else the table's refusal: -1. */
int castate_check(ca_op_t op, ca_state_t s, const char *arn, err_t *e);
/* The table's refusal of op for a CA in state s (whether or not s allows
 * it: for a CA in an allowed state that lacks what op needs): -1. */
int castate_refuse(ca_op_t op, ca_state_t s, const char *arn, err_t *e);
/* Where op leads from s: a ca_state_t, or CA_SAME, CA_ASKED, CA_BEFORE,
 * CA_GONE. */
int castate_next(ca_op_t op, ca_state_t s);

#endif
