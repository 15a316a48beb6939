#include "core/castate.h"

#include <string.h>

#define S(name) (1u << CA_##name)

/* A refusal: the error, and its message, a format of the CA's ARN and
 * then its state's name (either may go unused). */
typedef struct {
  err_code_t err;
  const char *msg;
} castate_no_t;

typedef struct {
  unsigned allowed;   /* S(state) for every state op may run in */
  castate_no_t other; /* the refusal in a state neither allowed nor listed */
  struct {
    ca_state_t in;
    castate_no_t no;
  } refuse[3];        /* refusals particular to a state */
  int next;           /* where op leads (CA_SAME for the reads) */
  struct {
    ca_state_t from;
    int to;
  } next_from[2];     /* where op leads from a particular state */
} castate_rule_t;

#define NOT_STATE(msg) {ERR_InvalidStateException, msg}

static const castate_rule_t castate_rules[CA_OP__COUNT] = {
    [CA_OP_GET_CSR] =
        {S(PENDING_CERTIFICATE) | S(ACTIVE) | S(DISABLED) | S(EXPIRED),
         NOT_STATE("The certificate authority %s is in the %s state"),
         {{CA_FAILED,
           {ERR_RequestFailedException, "The certificate authority %s failed to be created"}},
          {CA_DELETED, NOT_STATE("The certificate authority %s is deleted")},
          {CA_CREATING,
           {ERR_RequestInProgressException,
            "The certificate authority's key and CSR are being created; retry shortly."}}},
         CA_SAME},
    [CA_OP_GET_CERTIFICATE] = {S(ACTIVE) | S(DISABLED) | S(EXPIRED),
                               NOT_STATE("The certificate authority %s is in the %s state and "
                                         "has no certificate"),
                               {{0}},
                               CA_SAME},
    [CA_OP_GET_ISSUED] = {~S(DELETED),
                          NOT_STATE("The certificate authority %s is not in the correct state "
                                    "to have issued certificates."),
                          {{0}},
                          CA_SAME},
    [CA_OP_UPDATE] = {S(ACTIVE) | S(DISABLED),
                      NOT_STATE("The certificate authority %s is in the %s state; it must be in "
                                "the ACTIVE or DISABLED state to be updated."),
                      {{0}},
                      CA_ASKED},
    [CA_OP_DELETE] =
        {~(S(ACTIVE) | S(DELETED)),
         NOT_STATE("The certificate authority %s is in the %s state"),
         {{CA_ACTIVE, NOT_STATE("The certificate authority %s is ACTIVE; disable it before "
                                "deleting it.")},
          {CA_DELETED, NOT_STATE("The certificate authority %s is already deleted.")}},
         CA_DELETED,
         /* no restoration window before there is a key */
         {{CA_CREATING, CA_GONE}, {CA_FAILED, CA_GONE}}},
    [CA_OP_RESTORE] = {S(DELETED),
                       NOT_STATE("The certificate authority %s is not deleted, so it cannot be "
                                 "restored."),
                       {{0}},
                       CA_BEFORE},
    [CA_OP_IMPORT] =
        {S(PENDING_CERTIFICATE) | S(ACTIVE) | S(DISABLED) | S(EXPIRED),
         NOT_STATE("The certificate authority %s is in the %s state; a certificate cannot be "
                   "imported."),
         {{CA_CREATING,
           {ERR_RequestInProgressException,
            "The certificate authority's key is being created; retry shortly."}}},
         /* pending or expired CAs become ACTIVE; a renewal keeps ACTIVE or DISABLED */
         CA_ACTIVE,
         {{CA_DISABLED, CA_DISABLED}}},
    [CA_OP_ISSUE] = {S(ACTIVE),
                     NOT_STATE("The certificate authority is not in a valid state for issuing "
                               "certificates."),
                     {{0}},
                     CA_SAME},
    /* activation (PENDING_CERTIFICATE) or renewal (ACTIVE) of a ROOT */
    [CA_OP_ISSUE_SELF] = {S(PENDING_CERTIFICATE) | S(ACTIVE),
                          NOT_STATE("The certificate authority is not in a valid state for "
                                    "issuing certificates."),
                          {{0}},
                          CA_SAME},
    [CA_OP_FINISH] = {S(PENDING_CERTIFICATE) | S(ACTIVE),
                      NOT_STATE("The certificate authority %s can no longer sign"),
                      {{0}},
                      CA_SAME},
    [CA_OP_REVOKE] = {S(ACTIVE) | S(DISABLED),
                      NOT_STATE("The certificate authority %s is in the %s state; it must be "
                                "ACTIVE or DISABLED to revoke certificates."),
                      {{0}},
                      CA_SAME},
    [CA_OP_REPORT] = {S(ACTIVE) | S(DISABLED) | S(EXPIRED),
                      NOT_STATE("The certificate authority %s is in the %s state; an audit "
                                "report can be made when it is ACTIVE, DISABLED or EXPIRED."),
                      {{0}},
                      CA_SAME},
    [CA_OP_CHANGE] = {~S(DELETED),
                      NOT_STATE("The certificate authority %s is DELETED; it cannot change."),
                      {{0}},
                      CA_SAME},
};

static const char *const castate_names[CA__COUNT] = {
#define CA_STATE(name) #name,
#include "core/castate.def"
#undef CA_STATE
};

ca_state_t castate_parse(const char *text) {
  for (int s = 0; text && s < CA__COUNT; s++)
    if (strcmp(text, castate_names[s]) == 0)
      return (ca_state_t)s;
  return CA_UNKNOWN;
}

ca_state_t castate_of(const store_ca_t *row) { return castate_parse(row->status); }

const char *castate_name(ca_state_t s) { return s < CA__COUNT ? castate_names[s] : "UNKNOWN"; }

int castate_allows(ca_op_t op, ca_state_t s) {
  return s < CA__COUNT && (castate_rules[op].allowed & (1u << s)) != 0;
}

int castate_refuse(ca_op_t op, ca_state_t s, const char *arn, err_t *e) {
  const castate_rule_t *r = &castate_rules[op];
  const castate_no_t *no = &r->other;
  for (size_t i = 0; i < sizeof r->refuse / sizeof r->refuse[0]; i++)
    if (r->refuse[i].no.msg && r->refuse[i].in == s)
      no = &r->refuse[i].no;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return err_set(e, no->err, no->msg, arn, castate_name(s));
#pragma GCC diagnostic pop
}

int castate_check(ca_op_t op, ca_state_t s, const char *arn, err_t *e) {
  return castate_allows(op, s) ? 0 : castate_refuse(op, s, arn, e);
}

int castate_next(ca_op_t op, ca_state_t s) {
  const castate_rule_t *r = &castate_rules[op];
  for (size_t i = 0; i < sizeof r->next_from / sizeof r->next_from[0]; i++)
    if (r->next_from[i].to && r->next_from[i].from == s)
      return r->next_from[i].to;
  return r->next;
}
