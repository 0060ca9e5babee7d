/* backoff.h — the one retry delay: exponential (min doubling to max) with
 * ±20 % jitter, as a function of the number of failed attempts. Used for
 * reconnects (run/loop.c) and outgoing mail (store/outbox.c). */
#ifndef INTAKED_BACKOFF_H
#define INTAKED_BACKOFF_H

#include <stdint.h>

/* Delay in seconds after the attempts-th failure in a row (1 = the first):
 * min * 2^(attempts-1), at most max, then moved by r within ±20 % of that.
 * Pure, for tests; r is any random number. */
long backoff_delay(long min, long max, int attempts, uint32_t r);
/* The same with r from getrandom (the pid when that fails). */
long backoff_next(long min, long max, int attempts);

#endif
