#ifndef PCAD_CLOCK_H
#define PCAD_CLOCK_H
#include <time.h>

/* Wall-clock seconds: the one place pcad reads the time of day. */
time_t clock_now(void);
/* Monotonic milliseconds, for deadlines and backoff. */
long long clock_now_ms(void);
/* Sleeps ms milliseconds (0 or less: not at all). */
void clock_sleep_ms(long ms);

#endif
