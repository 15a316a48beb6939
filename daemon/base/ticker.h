#ifndef PCAD_TICKER_H
#define PCAD_TICKER_H
/* A thread that runs fn(arg) every interval seconds, or at once when
 * kicked, until stopped: the shape of the janitor, the health check and
 * the publisher. */

typedef struct ticker ticker_t;

ticker_t *ticker_start(long interval_s, void (*fn)(void *arg), void *arg);
/* The next run starts now (or right after the one under way). */
void ticker_kick(ticker_t *t);
/* Waits for the run under way, then frees t. NULL is fine. */
void ticker_stop(ticker_t *t);

#endif
