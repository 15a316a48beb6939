#include "core/arn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n characters of s all in set (isdigit/islower-like predicates) */
static int arn_span(const char *s, size_t n, int (*ok)(int)) {
  for (size_t i = 0; i < n; i++)
    if (!ok((unsigned char)s[i]))
      return 0;
  return 1;
}

static int arn_partition_char(int c) { return islower(c) || c == '-'; }
static int arn_region_char(int c) { return islower(c) || isdigit(c) || c == '-'; }
static int arn_hex_char(int c) { return isdigit(c) || (c >= 'a' && c <= 'f'); }

static int arn_is_uuid(const char *s) {
  static const int groups[] = {8, 4, 4, 4, 12};
  for (int g = 0; g < 5; g++) {
    if (!arn_span(s, (size_t)groups[g], arn_hex_char))
      return 0;
    s += groups[g];
    if (g < 4 && *s++ != '-')
      return 0;
  }
  return *s == '\0';
}

int arn_ca_parse(const char *arn, char id[37], err_t *e) {
  const char *p = arn, *q;
  static const char kind[] = "certificate-authority/";
  if (strncmp(p, "arn:", 4) != 0)
    goto bad;
  p += 4;
  q = strchr(p, ':');
  if (!q || q == p || !arn_span(p, (size_t)(q - p), arn_partition_char))
    goto bad;
  p = q + 1;
  if (strncmp(p, "acm-pca:", 8) != 0)
    goto bad;
  p += 8;
  q = strchr(p, ':');
  if (!q || q == p || !arn_span(p, (size_t)(q - p), arn_region_char))
    goto bad;
  p = q + 1;
  q = strchr(p, ':');
  if (!q || q - p != 12 || !arn_span(p, 12, (int (*)(int))isdigit))
    goto bad;
  p = q + 1;
  if (strncmp(p, kind, sizeof kind - 1) != 0 || !arn_is_uuid(p + sizeof kind - 1))
    goto bad;
  memcpy(id, p + sizeof kind - 1, 36);
  id[36] = '\0';
  return 0;
bad:
  return err_set(e, ERR_InvalidArnException,
                 "The ARN %.200s is not a valid certificate authority ARN.", arn);
}

char *arn_ca_make(const char *partition, const char *region, const char *account,
                  const char *id) {
  char *s = NULL;
  if (asprintf(&s, "arn:%s:acm-pca:%s:%s:certificate-authority/%s", partition, region, account,
               id) < 0)
    return NULL;
  return s;
}

int arn_ca_account(const char *arn, char account[13]) {
  const char *p = arn;
  char id[37];
  err_t e;
  if (arn_ca_parse(arn, id, &e) < 0)
    return -1;
  for (int field = 0; field < 4; field++) /* arn:partition:acm-pca:region: */
    p = strchr(p, ':') + 1;
  if (strspn(p, "0123456789") != 12 || p[12] != ':')
    return -1;
  memcpy(account, p, 12);
  account[12] = '\0';
  return 0;
}

int arn_ca_served(const char *arn, const char *partition, const char *region, err_t *e) {
  char id[37], prefix[128];
  int n = snprintf(prefix, sizeof prefix, "arn:%s:acm-pca:%s:", partition, region);
  if (arn_ca_parse(arn, id, e) < 0)
    return -1;
  if (n < 0 || (size_t)n >= sizeof prefix || strncmp(arn, prefix, (size_t)n) != 0)
    return err_set(e, ERR_InvalidArnException,
                   "The ARN %.200s is not a certificate authority of this endpoint (partition "
                   "%s, region %s).",
                   arn, partition, region);
  return 0;
}
