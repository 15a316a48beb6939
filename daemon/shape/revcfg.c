#include "shape/revcfg.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int revcfg_cname(const char *what, const char *v, err_t *e) {
  if (v && (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0))
    return err_set(e, ERR_InvalidArgsException,
                   "%s must be a host name without a scheme (no http:// or https://)", what);
  return 0;
}

int revcfg_bucket_check(const char *b, err_t *e) {
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

static int revcfg_check(const json_t *rc, err_t *e) {
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
      if (revcfg_bucket_check(bucket, e) < 0)
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

static char *revcfg_dup(const json_t *block, const char *name) {
  const char *v = json_string_value(json_object_get(block, name));
  return v ? strdup(v) : NULL;
}

/* The fields of a checked document (rc NULL: nothing configured); text is
 * the stored form when there is one. */
static int revcfg_decode(const json_t *rc, const char *text, revcfg_t *out, err_t *e) {
  const json_t *crl = json_object_get(rc, "CrlConfiguration");
  const json_t *ocsp = json_object_get(rc, "OcspConfiguration");
  out->crl_enabled = json_is_true(json_object_get(crl, "Enabled"));
  out->crl_omit_cdp = json_is_true(json_object_get(
      json_object_get(crl, "CrlDistributionPointExtensionConfiguration"), "OmitExtension"));
  out->crl_cname = revcfg_dup(crl, "CustomCname");
  out->crl_bucket = revcfg_dup(crl, "S3BucketName");
  out->crl_path = revcfg_dup(crl, "CustomPath");
  out->crl_partitioned =
      json_string_value(json_object_get(crl, "CrlType")) &&
      strcmp(json_string_value(json_object_get(crl, "CrlType")), "PARTITIONED") == 0;
  out->crl_days = json_integer_value(json_object_get(crl, "ExpirationInDays"));
  if (out->crl_days <= 0)
    out->crl_days = 7;
  out->ocsp_enabled = json_is_true(json_object_get(ocsp, "Enabled"));
  out->ocsp_cname = revcfg_dup(ocsp, "OcspCustomCname");
  out->text = text ? strdup(text) : rc ? json_dumps(rc, JSON_COMPACT) : strdup("{}");
  if (!out->text) {
    revcfg_clear(out);
    return err_set(e, ERR_InternalFailure, "out of memory");
  }
  return 0;
}

int revcfg_from_json(const json_t *rc, revcfg_t *out, err_t *e) {
  memset(out, 0, sizeof *out);
  if (rc && revcfg_check(rc, e) < 0)
    return -1;
  return revcfg_decode(rc, NULL, out, e);
}

int revcfg_from_text(const char *text, revcfg_t *out, err_t *e) {
  json_t *rc = text ? json_loads(text, 0, NULL) : NULL;
  int ret;
  memset(out, 0, sizeof *out);
  if (text && !rc)
    return err_set(e, ERR_InternalFailure, "the stored RevocationConfiguration is not JSON");
  ret = revcfg_decode(rc, text, out, e); /* checked when it was stored */
  json_decref(rc);
  return ret;
}

json_t *revcfg_describe(const char *text) {
  json_t *rc = text ? json_loads(text, 0, NULL) : NULL;
  if (!rc)
    rc = json_object();
  if (!json_object_get(rc, "CrlConfiguration"))
    json_object_set_new(rc, "CrlConfiguration", json_pack("{s:b}", "Enabled", 0));
  if (!json_object_get(rc, "OcspConfiguration"))
    json_object_set_new(rc, "OcspConfiguration", json_pack("{s:b}", "Enabled", 0));
  return rc;
}

void revcfg_clear(revcfg_t *r) {
  free(r->crl_cname);
  free(r->crl_bucket);
  free(r->crl_path);
  free(r->ocsp_cname);
  free(r->text);
  memset(r, 0, sizeof *r);
}

/* "<path>/<name>.crl", the path as CustomPath gives it (crl by default)
 * without leading or trailing '/'. */
static int revcfg_crl_object(const revcfg_t *r, const char *name, char *out, size_t cap) {
  const char *dir = r->crl_path ? r->crl_path : "crl";
  size_t n;
  while (*dir == '/')
    dir++;
  for (n = strlen(dir); n && dir[n - 1] == '/'; n--)
    ;
  return snprintf(out, cap, "%.*s%s%s.crl", (int)n, dir, n ? "/" : "", name) < (int)cap ? 0
                                                                                       : -1;
}

int revcfg_crl_key(const revcfg_t *r, const char *name, char *out, size_t cap) {
  char obj[512];
  if (revcfg_crl_object(r, name, obj, sizeof obj) < 0)
    return -1;
  return snprintf(out, cap, "%s/%s", r->crl_bucket ? r->crl_bucket : "", obj) < (int)cap ? 0
                                                                                         : -1;
}

int revcfg_crl_url(const revcfg_t *r, const char *name, const char *region, char *out,
                   size_t cap) {
  char obj[512];
  int n;
  if (revcfg_crl_object(r, name, obj, sizeof obj) < 0)
    return -1;
  if (r->crl_cname && *r->crl_cname)
    n = snprintf(out, cap, "http://%s/%s", r->crl_cname, obj);
  else
    n = snprintf(out, cap, "http://%s.s3.%s.amazonaws.com/%s", r->crl_bucket ? r->crl_bucket : "",
                 region, obj);
  return n < (int)cap ? 0 : -1;
}
