#ifndef PCAD_ARN_H
#define PCAD_ARN_H
/* acm-pca ARNs: arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid> */
#include "base/err.h"

/* Checks a CA ARN's form and copies its CA id (the UUID); a malformed one
 * is InvalidArnException. Whether it exists is the store's question. */
MUST_CHECK
int arn_ca_parse(const char *arn, char id[37], err_t *e);
/* arn_ca_parse, and the ARN names this endpoint's partition and region
 * (what a policy compares is then the one spelling the store knows):
 * InvalidArnException otherwise. */
MUST_CHECK
int arn_ca_served(const char *arn, const char *partition, const char *region, err_t *e);
/* The account field of a well-formed CA ARN (12 digits): 0, or -1. */
int arn_ca_account(const char *arn, char account[13]);
/* malloc'ed CA ARN. */
char *arn_ca_make(const char *partition, const char *region, const char *account,
                  const char *id);

#endif
