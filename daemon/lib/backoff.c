/* backoff.c — retry delays (see backoff.h). One formula for the two users:
 * stateless (a function of the failure count, which the outbox keeps on
 * disk), and jitter both ways so that clients or items that failed together
 * spread out around the nominal delay instead of all after it. */
#include "intaked/backoff.h"

#include <sys/random.h>
#include <unistd.h>

long backoff_delay(long min, long max, int attempts, uint32_t r)
{
	long delay = min;
	for (int i = 1; i < attempts && delay < max; i++)
		delay *= 2;
	if (delay > max)
		delay = max;
	long span = delay * 2 / 5; /* 40 % of the delay: -20 % .. +20 % */
	return delay - delay / 5 + (long)(r % (uint32_t)(span + 1));
}

long backoff_next(long min, long max, int attempts)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid() * 2654435761u;
	return backoff_delay(min, max, attempts, r);
}
