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
  int crl_partitioned; /* CrlType PARTITIONED */
  int ocsp_enabled;
  char *ocsp_cname;    /* OcspCustomCname */
  char *text;          /* the document as stored: compact JSON */
} revcfg_t;

/* Decodes and checks the document. InvalidArgsException when a rule of
 * pca-behavior.md is broken: a disabled block says anything but
 * Enabled=false; a CNAME with a scheme; OmitExtension with CustomCname; a
 * bucket name against S3's rules; an enabled CRL without a bucket. */
MUST_CHECK
int revcfg_from_json(const struct json_t *rc, revcfg_t *out, err_t *e);
/* Decodes a stored document (NULL: nothing configured); it was checked
 * when it was stored. */
MUST_CHECK
int revcfg_from_text(const char *text, revcfg_t *out, err_t *e);
/* The stored document as DescribeCertificateAuthority shows it (both
 * blocks always there): a new JSON object. */
struct json_t *revcfg_describe(const char *text);
void revcfg_clear(revcfg_t *r);
/* Where the CRL called name (the CA id, or a partition's id) goes:
 * "<S3BucketName>/<CustomPath or crl>/<name>.crl" (the path without
 * leading or trailing '/'), and the URL a certificate's CDP gives for it:
 * http://<CustomCname>/<path>/<name>.crl, or the bucket's S3 URL in
 * region. -1 when it does not fit in cap. */
int revcfg_crl_key(const revcfg_t *r, const char *name, char *out, size_t cap);
int revcfg_crl_url(const revcfg_t *r, const char *name, const char *region, char *out,
                   size_t cap);
/* S3's bucket naming rules for the part of b before any '/': 0, or
 * InvalidArgsException. */
MUST_CHECK
int revcfg_bucket_check(const char *b, err_t *e);

#endif
