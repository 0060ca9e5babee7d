/* test_notify.c — what notify.c really puts on NOTIFY_SOCKET: a datagram
 * socket bound in a fresh directory plays the service manager. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "intaked/log.h"
#include "notify.h"

struct manager {
	char dir[64];
	char path[128];
	int fd;
};

static int manager_setup(void **state)
{
	struct manager *m = calloc(1, sizeof(*m));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_non_null(m);
	snprintf(m->dir, sizeof(m->dir), "/tmp/test_notify.XXXXXX");
	assert_non_null(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/notify", m->dir);
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(m->fd >= 0);
	assert_true(strlen(m->path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, m->path, strlen(m->path) + 1);
	assert_int_equal(bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", m->path, 1), 0);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	*state = m;
	return 0;
}

static int manager_teardown(void **state)
{
	struct manager *m = *state;
	close(m->fd);
	unlink(m->path);
	rmdir(m->dir);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	free(m);
	return 0;
}

/* The next datagram as a string, or NULL if none comes within timeout_ms. */
static const char *manager_recv(struct manager *m, int timeout_ms)
{
	static char msg[1024];
	struct pollfd pfd = { .fd = m->fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return NULL;
	ssize_t n = recv(m->fd, msg, sizeof(msg) - 1, 0);
	assert_true(n >= 0);
	msg[n] = '\0';
	return msg;
}

static void send_ready(void) { notify_ready(); }
static void send_stopping(void) { notify_stopping(); }
static void send_watchdog(void) { notify_watchdog(); }
static void send_status_counts(void) { notify_status("filed=%d outbox=%d alarms=%s", 3, 1, "none"); }
static void send_status_newline(void) { notify_status("call %s", "a\nREADY=1\r\tX"); }

static const struct {
	const char *name;
	void (*send)(void);
	const char *expect;
} simple_cases[] = {
	{ "ready", send_ready, "READY=1" },
	{ "stopping", send_stopping, "STOPPING=1" },
	{ "watchdog", send_watchdog, "WATCHDOG=1" },
	{ "status", send_status_counts, "STATUS=filed=3 outbox=1 alarms=none" },
	{ "status-one-line", send_status_newline, "STATUS=call a READY=1  X" },
};

static void test_simple_messages(void **state)
{
	struct manager *m = *state;
	for (size_t i = 0; i < sizeof(simple_cases) / sizeof(simple_cases[0]); i++) {
		simple_cases[i].send();
		const char *got = manager_recv(m, 2000);
		if (got == NULL)
			fail_msg("%s: nothing received", simple_cases[i].name);
		if (strcmp(got, simple_cases[i].expect) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", simple_cases[i].name, got,
				 simple_cases[i].expect);
	}
	assert_null(manager_recv(m, 50));
}

static void test_status_is_capped(void **state)
{
	struct manager *m = *state;
	char big[NOTIFY_STATUS_MAX * 3];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	notify_status("%s", big);
	const char *got = manager_recv(m, 2000);
	assert_non_null(got);
	assert_int_equal(strncmp(got, "STATUS=", 7), 0);
	assert_int_equal(strlen(got + 7), NOTIFY_STATUS_MAX);
	assert_int_equal(strspn(got + 7, "x"), NOTIFY_STATUS_MAX);
}

static unsigned long long monotonic_usec(void)
{
	struct timespec ts;
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL;
}

static void test_reloading_carries_monotonic_time(void **state)
{
	struct manager *m = *state;
	static const char head[] = "RELOADING=1\nMONOTONIC_USEC=";

	unsigned long long before = monotonic_usec();
	notify_reloading();
	unsigned long long after = monotonic_usec();
	const char *got = manager_recv(m, 2000);
	assert_non_null(got);
	assert_int_equal(strncmp(got, head, sizeof(head) - 1), 0);
	const char *digits = got + sizeof(head) - 1;
	assert_true(strlen(digits) > 0);
	assert_int_equal(strspn(digits, "0123456789"), strlen(digits));
	errno = 0;
	unsigned long long usec = strtoull(digits, NULL, 10);
	assert_int_equal(errno, 0);
	assert_true(usec >= before && usec <= after);

	/* The reload is over only when READY=1 follows. */
	notify_ready();
	got = manager_recv(m, 2000);
	assert_non_null(got);
	assert_string_equal(got, "READY=1");
}

static void test_nothing_without_notify_socket(void **state)
{
	struct manager *m = *state;
	long usec = 42;

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "120000000", 1);
	notify_ready();
	notify_status("filed=%d", 1);
	notify_reloading();
	notify_stopping();
	notify_watchdog();
	assert_false(notify_watchdog_enabled(&usec));
	assert_int_equal(usec, 0);
	assert_null(manager_recv(m, 100));

	setenv("NOTIFY_SOCKET", "", 1);
	notify_ready();
	assert_null(manager_recv(m, 100));
}

static void test_unreachable_socket_is_harmless(void **state)
{
	struct manager *m = *state;
	char gone[160];

	snprintf(gone, sizeof(gone), "%s/no-such-socket", m->dir);
	setenv("NOTIFY_SOCKET", gone, 1);
	log_init("test_notify", false, 0);
	for (int i = 0; i < 3; i++) {
		notify_ready();
		notify_watchdog();
		notify_status("attempt=%d", i);
	}
	setenv("NOTIFY_SOCKET", m->path, 1);
	notify_ready();
	const char *got = manager_recv(m, 2000);
	assert_non_null(got);
	assert_string_equal(got, "READY=1");
}

static void test_watchdog_enabled(void **state)
{
	struct manager *m = *state;
	char self[32], other[32];
	const struct {
		const char *name;
		const char *usec, *pid; /* NULL: unset; "self"/"other": a pid */
		bool enabled;
		long want;
	} cases[] = {
		{ "no watchdog", NULL, NULL, false, 0 },
		{ "ours", "120000000", "self", true, 120000000L },
		{ "no pid given", "60000000", NULL, true, 60000000L },
		{ "another process", "120000000", "other", false, 0 },
		{ "zero", "0", "self", false, 0 },
		{ "garbage", "2min", "self", false, 0 },
	};

	snprintf(self, sizeof(self), "%ld", (long)getpid());
	snprintf(other, sizeof(other), "%ld", (long)getpid() + 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long usec = -1;
		if (cases[i].usec)
			setenv("WATCHDOG_USEC", cases[i].usec, 1);
		else
			unsetenv("WATCHDOG_USEC");
		if (cases[i].pid)
			setenv("WATCHDOG_PID", strcmp(cases[i].pid, "self") == 0 ? self : other, 1);
		else
			unsetenv("WATCHDOG_PID");
		bool on = notify_watchdog_enabled(&usec);
		if (on != cases[i].enabled || usec != cases[i].want)
			fail_msg("%s: enabled=%d usec=%ld, want %d %ld", cases[i].name, on, usec,
				 cases[i].enabled, cases[i].want);
		/* It only reads the environment: later calls still see it. */
		assert_int_equal(notify_watchdog_enabled(NULL), cases[i].enabled);
	}
	assert_null(manager_recv(m, 50));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple_messages, manager_setup, manager_teardown),
		cmocka_unit_test_setup_teardown(test_status_is_capped, manager_setup, manager_teardown),
		cmocka_unit_test_setup_teardown(test_reloading_carries_monotonic_time, manager_setup,
						manager_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_without_notify_socket, manager_setup,
						manager_teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_socket_is_harmless, manager_setup,
						manager_teardown),
		cmocka_unit_test_setup_teardown(test_watchdog_enabled, manager_setup, manager_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
