/* fault.c — test-only fault points (see fault.h). */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/fault.h"

enum { FAULT_NAME_MAX = 64 };

static struct {
	int state;                 /* 0: unread, 1: disarmed, 2: armed */
	char name[FAULT_NAME_MAX];
	unsigned long at;          /* die at this hit */
	unsigned long hits;
} fault;

/* "NAME" or "NAME:N"; anything else (empty, too long, N not a positive
 * number) leaves the points disarmed. */
static void fault_parse(const char *spec)
{
	fault.state = 1;
	if (spec == NULL || *spec == '\0')
		return;
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (len == 0 || len >= sizeof(fault.name))
		return;
	unsigned long at = 1;
	if (colon) {
		char *end;
		at = strtoul(colon + 1, &end, 10);
		if (end == colon + 1 || *end != '\0' || at == 0 || at == ULONG_MAX)
			return;
	}
	memcpy(fault.name, spec, len);
	fault.name[len] = '\0';
	fault.at = at;
	fault.hits = 0;
	fault.state = 2;
}

/* Only async-signal-safe calls: the message must reach the log even if
 * the point sits between a write and its fsync. */
static void fault_say(const char *name, unsigned long n)
{
	char num[24];
	size_t i = sizeof(num);
	do {
		num[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n && i > 0);
	const char *parts[] = { "intaked: fault ", name, " hit " };
	for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++)
		if (write(STDERR_FILENO, parts[k], strlen(parts[k])) < 0)
			return;
	if (write(STDERR_FILENO, num + i, sizeof(num) - i) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

void fault_point(const char *name)
{
	if (fault.state == 0)
		fault_parse(getenv("INTAKED_FAULT"));
	if (fault.state != 2 || strcmp(name, fault.name) != 0)
		return;
	if (++fault.hits < fault.at)
		return;
	fault_say(name, fault.hits);
	raise(SIGKILL);
	_exit(137); /* not reached: SIGKILL cannot be caught */
}

void fault_reset(void)
{
	memset(&fault, 0, sizeof(fault));
}
