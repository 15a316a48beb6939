#ifndef PCAD_VALIDITY_H
#define PCAD_VALIDITY_H
/* The Validity shape -> notBefore/notAfter (pure arithmetic, no overflow). */
#include <time.h>

#include "base/err.h"

/* The latest time X.509 can say: 9999-12-31T23:59:59Z. */
#define VALIDITY_MAX 253402300799LL

/* notAfter for {type, value} issued at now: DAYS, MONTHS, YEARS from now;
 * ABSOLUTE epoch seconds; END_DATE as YYMMDDHHMMSS (12 digits, YY >= 50 is
 * 19YY) or YYYYMMDDHHMMSS (14). Absurd values are InvalidArgsException. */
MUST_CHECK
int validity_not_after(const char *type, long long value, long long now, long long *out,
                       err_t *e);

#endif
