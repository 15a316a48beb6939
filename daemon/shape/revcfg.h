#ifndef PCAD_REVCFG_H
#define PCAD_REVCFG_H
/* RevocationConfiguration: the API document <-> what the domain uses. */
#include "base/err.h"

struct json_t; /* jansson's json_t: only shape/ and api/ look inside */

typedef struct {
  int crl_enabled;
  int crl_omit_cdp;    /* CrlDistributionPointExtensionConfiguration.OmitExtension */
  char *crl_cname;     /* CustomCname, NULL when unset */
  char *crl_bucket;    /* S3BucketName */
  char *crl_path;      /* CustomPath */
  long crl_days;       /* ExpirationInDays (7 when unset) */
  int ocsp_enabled;
  char *ocsp_cname;    /* OcspCustomCname */
  char *text;          /* the document as stored: compact JSON */
} revcfg_t;

/* Decodes and checks the document. InvalidArgsException when a rule of
 * pca-behavior.md is broken: a disabled block says anything but
 * Enabled=false; a CNAME with a scheme; OmitExtension with CustomCname; a
 * bucket name against S3's rules; an enabled CRL without a bucket. */
int revcfg_from_json(const struct json_t *rc, revcfg_t *out, err_t *e);
/* Decodes a stored document (NULL: nothing configured); it was checked
 * when it was stored. */
int revcfg_from_text(const char *text, revcfg_t *out, err_t *e);
/* The stored document as DescribeCertificateAuthority shows it (both
 * blocks always there): a new JSON object. */
struct json_t *revcfg_describe(const char *text);
void revcfg_clear(revcfg_t *r);
/* S3's bucket naming rules for the part of b before any '/': 0, or
 * InvalidArgsException. */
int revcfg_bucket_check(const char *b, err_t *e);

#endif
