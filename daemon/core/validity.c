#include "core/validity.h"

#include <string.h>

/* Calendar months/years added to now (day of month clamped), UTC. */
static int validity_add_months(long long now, long long months, long long *out) {
  struct tm tm;
  time_t t = (time_t)now;
  long long y, m;
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int dim;
  if (months > 12LL * 10000 || !gmtime_r(&t, &tm))
    return -1;
  m = (long long)tm.tm_mon + months;
  y = (long long)tm.tm_year + 1900 + m / 12;
  m %= 12;
  if (y > 9999)
    return -1;
  dim = mdays[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
  tm.tm_year = (int)(y - 1900);
  tm.tm_mon = (int)m;
  if (tm.tm_mday > dim)
    tm.tm_mday = dim;
  *out = (long long)timegm(&tm);
  return 0;
}

/* digits of v as a calendar time: 12 (UTCTime) or 14 (GeneralizedTime). */
static int validity_end_date(long long v, long long *out) {
  struct tm tm;
  int year, digits = 0;
  long long x = v;
  while (x > 0) {
    x /= 10;
    digits++;
  }
  if (digits != 12 && digits != 14)
    return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_sec = (int)(v % 100);
  tm.tm_min = (int)(v / 100 % 100);
  tm.tm_hour = (int)(v / 10000 % 100);
  tm.tm_mday = (int)(v / 1000000 % 100);
  tm.tm_mon = (int)(v / 100000000 % 100) - 1;
  if (digits == 12) {
    year = (int)(v / 10000000000LL);
    year += year >= 50 ? 1900 : 2000;
  } else {
    year = (int)(v / 10000000000LL);
  }
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 59 || year < 1950)
    return -1;
  tm.tm_year = year - 1900;
  {
    /* 30 February and friends do not survive the round trip (timegm
     * normalizes its argument, so compare with a copy) */
    struct tm want = tm, back;
    time_t t;
    *out = (long long)timegm(&tm);
    t = (time_t)*out;
    if (!gmtime_r(&t, &back) || back.tm_mday != want.tm_mday || back.tm_mon != want.tm_mon)
      return -1;
  }
  return 0;
}

int validity_not_after(const char *type, long long value, long long now, long long *out,
                       err_t *e) {
  int bad = 0;
  if (value < 1)
    return err_set(e, ERR_InvalidArgsException, "Validity.Value must be at least 1");
  if (strcmp(type, "DAYS") == 0) {
    bad = value > (VALIDITY_MAX - now) / 86400;
    *out = bad ? 0 : now + value * 86400;
  } else if (strcmp(type, "MONTHS") == 0) {
    bad = validity_add_months(now, value, out) < 0;
  } else if (strcmp(type, "YEARS") == 0) {
    bad = value > 10000 || validity_add_months(now, value * 12, out) < 0;
  } else if (strcmp(type, "ABSOLUTE") == 0) {
    *out = value;
  } else if (strcmp(type, "END_DATE") == 0) {
    if (validity_end_date(value, out) < 0)
      return err_set(e, ERR_InvalidArgsException,
                     "Validity END_DATE %lld is not a YYMMDDHHMMSS or YYYYMMDDHHMMSS time",
                     value);
  } else {
    return err_set(e, ERR_InvalidArgsException, "Validity.Type %s is not known", type);
  }
  if (bad || *out > VALIDITY_MAX)
    return err_set(e, ERR_InvalidArgsException,
                   "Validity %lld %s ends after 9999-12-31T23:59:59Z", value, type);
  if (*out <= now)
    return err_set(e, ERR_InvalidArgsException, "Validity %lld %s ends in the past", value,
                   type);
  return 0;
}
