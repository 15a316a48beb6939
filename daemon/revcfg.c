#include "revcfg.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int revcfg_cname(const char *what, const char *v, err_t *e) {
  if (v && (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0))
    return err_set(e, ERR_InvalidArgsException,
                   "%s must be a host name without a scheme (no http:// or https://)", what);
  return 0;
}

/* S3 bucket naming rules for the bucket part (before any '/'). */
static int revcfg_bucket(const char *b, err_t *e) {
  size_t n = strcspn(b, "/");
  int ok = n >= 3 && n <= 63 && (islower((unsigned char)b[0]) || isdigit((unsigned char)b[0])) &&
           (islower((unsigned char)b[n - 1]) || isdigit((unsigned char)b[n - 1]));
  for (size_t i = 0; ok && i < n; i++) {
    unsigned char c = (unsigned char)b[i];
    ok = islower(c) || isdigit(c) || c == '-' || c == '.';
    if (i && c == '.' && b[i - 1] == '.')
      ok = 0;
  }
  return ok ? 0
            : err_set(e, ERR_InvalidArgsException,
                      "S3BucketName '%s' does not follow the S3 bucket naming rules", b);
}

static int revcfg_disabled_only(const json_t *block, const char *name, err_t *e) {
  if (json_object_size(block) != 1)
    return err_set(e, ERR_InvalidArgsException,
                   "%s: when Enabled is false, no other field may be set", name);
  return 0;
}

int revcfg_check(const json_t *rc, err_t *e) {
  const json_t *crl = json_object_get(rc, "CrlConfiguration");
  const json_t *ocsp = json_object_get(rc, "OcspConfiguration");
  if (crl) {
    const char *cname = json_string_value(json_object_get(crl, "CustomCname"));
    const char *bucket = json_string_value(json_object_get(crl, "S3BucketName"));
    const json_t *cdp = json_object_get(crl, "CrlDistributionPointExtensionConfiguration");
    if (!json_is_true(json_object_get(crl, "Enabled"))) {
      if (revcfg_disabled_only(crl, "CrlConfiguration", e) < 0)
        return -1;
    } else {
      if (revcfg_cname("CrlConfiguration.CustomCname", cname, e) < 0)
        return -1;
      if (json_is_true(json_object_get(cdp, "OmitExtension")) && cname && *cname)
        return err_set(e, ERR_InvalidArgsException,
                       "OmitExtension cannot be true when CustomCname is set");
      if (!bucket)
        return err_set(e, ERR_InvalidArgsException,
                       "CrlConfiguration.S3BucketName is required when the CRL is enabled");
      if (revcfg_bucket(bucket, e) < 0)
        return -1;
    }
  }
  if (ocsp) {
    if (!json_is_true(json_object_get(ocsp, "Enabled"))) {
      if (revcfg_disabled_only(ocsp, "OcspConfiguration", e) < 0)
        return -1;
    } else if (revcfg_cname("OcspConfiguration.OcspCustomCname",
                            json_string_value(json_object_get(ocsp, "OcspCustomCname")),
                            e) < 0) {
      return -1;
    }
  }
  return 0;
}
