#ifndef PCAD_CLOCK_H
#define PCAD_CLOCK_H
#include <time.h>

/* Wall-clock seconds; tests may inject another source. */
typedef time_t (*clock_fn_t)(void);
time_t clock_now(void);
void clock_set(clock_fn_t fn);

#endif
