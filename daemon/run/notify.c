/* notify.c — sd_notify(3) behind plain calls, so that no other module sees
 * systemd. The environment is left in place (unset_environment = 0): the
 * daemon notifies many times over its life. Children inherit it, but
 * systemd only listens to the main PID (NotifyAccess=main) and
 * sd_watchdog_enabled() checks WATCHDOG_PID. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "intaked/log.h"
#include "notify.h"

static bool notify_warned;

static bool notify_socket_set(void)
{
	const char *s = getenv("NOTIFY_SOCKET");
	return s != NULL && *s != '\0';
}

static void notify_send(const char *state)
{
	if (!notify_socket_set())
		return;
	int r = sd_notify(0, state);
	/* A vanished socket would fail every ping: say it once, not forever. */
	if (r < 0 && !notify_warned) {
		notify_warned = true;
		log_warnx("event=notify-failed error=%s", log_q(strerror(-r)));
	}
}

void notify_ready(void)
{
	notify_send("READY=1");
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void notify_watchdog(void)
{
	notify_send("WATCHDOG=1");
}

/* One line of printable text: a control byte in the status (from a call
 * title, say) would otherwise start a new KEY=VALUE assignment. */
static void notify_flatten(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

void notify_status(const char *fmt, ...)
{
	char text[NOTIFY_STATUS_MAX + 1];
	char state[sizeof("STATUS=") + NOTIFY_STATUS_MAX];
	va_list ap;

	if (!notify_socket_set())
		return;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	notify_flatten(text);
	snprintf(state, sizeof(state), "STATUS=%s", text);
	notify_send(state);
}

void notify_reloading(void)
{
	struct timespec ts;
	char state[64];

	if (!notify_socket_set())
		return;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		notify_send("RELOADING=1");
		return;
	}
	unsigned long long usec =
		(unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
	notify_send(state);
}

bool notify_watchdog_enabled(long *usec_r)
{
	uint64_t usec = 0;

	if (usec_r != NULL)
		*usec_r = 0;
	/* Pings would go nowhere: do not make the loop wake up for them. */
	if (!notify_socket_set())
		return false;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return false;
	if (usec_r != NULL)
		*usec_r = usec > (uint64_t)LONG_MAX ? LONG_MAX : (long)usec;
	return true;
}
