/* Fault points: each row sets INTAKED_FAULT, calls points in a child and
 * checks whether and at which hit the child was killed. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "intaked/fault.h"

struct row {
	const char *spec;     /* INTAKED_FAULT, NULL: unset */
	const char *point;    /* the point the child hits, 5 times */
	int killed_at;        /* 1..5, 0: survives */
};

static const struct row rows[] = {
	{ NULL, "after-worker", 0 },
	{ "", "after-worker", 0 },
	{ "after-worker", "after-worker", 1 },
	{ "after-worker:3", "after-worker", 3 },
	{ "after-worker:5", "after-worker", 5 },
	{ "after-worker:6", "after-worker", 0 },
	{ "after-ledger", "after-worker", 0 },
	{ "after-work", "after-worker", 0 },       /* whole name only */
	{ "after-worker:0", "after-worker", 0 },   /* malformed: disarmed */
	{ "after-worker:x", "after-worker", 0 },
	{ "after-worker:2x", "after-worker", 0 },
	{ ":2", "after-worker", 0 },
};

/* Child: hit the point 5 times, report progress through the exit code
 * (never reached when killed), the parent reads the hit count from a pipe. */
static void run_row(const struct row *r)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (r->spec)
			setenv("INTAKED_FAULT", r->spec, 1);
		else
			unsetenv("INTAKED_FAULT");
		fault_reset();
		for (char i = 1; i <= 5; i++) {
			if (write(p[1], &i, 1) != 1)
				_exit(3);
			fault_point(r->point);
		}
		_exit(0);
	}
	close(p[1]);
	char buf[8];
	ssize_t got = 0, n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		got += n;
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (r->killed_at == 0) {
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		assert_int_equal(got, 5);
	} else {
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
		assert_int_equal(got, r->killed_at);
	}
}

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("row %zu: %s\n", i, rows[i].spec ? rows[i].spec : "(unset)");
		run_row(&rows[i]);
	}
}

/* The variable is read once: changing it later has no effect. */
static void test_read_once(void **state)
{
	(void)state;
	unsetenv("INTAKED_FAULT");
	fault_reset();
	fault_point("x");
	setenv("INTAKED_FAULT", "x", 1);
	fault_point("x"); /* would kill the test if it were read again */
	unsetenv("INTAKED_FAULT");
	fault_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_read_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
