/* test_outbox.c — the queue on disk: atomic items, envelope state,
 * schedule, expiry, crash leftovers and the flush lock. Nothing is sent:
 * the only SMTP "server" is a closed loopback port, which exercises the
 * connection-failure path (deferral with backoff, batch stopped). Real
 * delivery is covered by the integration tests. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "intaked/fsio.h"
#include "intaked/outbox.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define T0 1648555200 /* 2022-03-29T12:00:00Z */

struct fx {
	char dir[64];
	struct spool *sp;
	struct smtp_config sc;
	struct strlist events; /* "ID state detail" */
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	memcpy(f->dir, "/tmp/test_outbox.XXXXXX", 24);
	assert_non_null(mkdtemp(f->dir));
	struct err e = { 0 };
	assert_int_equal(spool_open(f->dir, &f->sp, &e), 0);
	/* Nothing listens on port 1: connection refused at once. */
	f->sc.url = "smtp://127.0.0.1:1";
	f->sc.timeout = 5;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	spool_close(&f->sp);
	fsio_rmtree(f->dir);
	strlist_free(&f->events);
	free(f);
	return 0;
}

static void on_event(const struct outbox_item *it, const char *state, const char *detail,
		     void *arg)
{
	struct fx *f = arg;
	char *s = xasprintf("%s %s %s", it->id, state, detail ? detail : "-");
	strlist_push(&f->events, s);
	free(s);
}

static char *queue(struct fx *f, const char *rcpt, const char *msg, time_t now)
{
	char *id = NULL;
	struct err e = { 0 };
	if (outbox_queue(f->sp, "ack", "calls/imrf-2022/bangladesh/v1", "inputs@example.org",
			 rcpt, "<m@example.org>", msg, strlen(msg), now, &id, &e) < 0)
		fail_msg("outbox_queue: %s", e.msg);
	assert_non_null(id);
	return id;
}

static char *path(struct fx *f, const char *area, const char *id, const char *file)
{
	return xasprintf("%s/outbox/%s/%s%s%s", f->dir, area, id, file ? "/" : "",
			 file ? file : "");
}

static json_t *envelope(struct fx *f, const char *area, const char *id)
{
	char *p = path(f, area, id, "envelope.json");
	json_error_t je;
	json_t *o = json_load_file(p, 0, &je);
	if (o == NULL)
		fail_msg("%s: %s", p, je.text);
	free(p);
	return o;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static time_t jtime(json_t *o, const char *k)
{
	time_t t = 0;
	const char *s = jstr(o, k);
	assert_non_null(s);
	assert_int_equal(tztime_parse_iso8601(s, &t), 0);
	return t;
}

static unsigned entries(struct fx *f, const char *area)
{
	struct outbox_stats st;
	struct err e = { 0 };
	assert_int_equal(outbox_stat(f->sp, &st, &e), 0);
	if (strcmp(area, "queue") == 0)
		return st.queued;
	return strcmp(area, "sent") == 0 ? st.sent : st.failed;
}

static void test_queue_item(void **state)
{
	struct fx *f = *state;
	const char *msg = "From: a@b\r\nTo: c@d\r\n\r\nbyte-exact \x01\xff body\r\n";
	char *id = queue(f, "expert@mofa.gov.bd", msg, T0);
	assert_int_equal(strncmp(id, "20220329T120000Z-", 17), 0);
	assert_int_equal(strlen(id), 17 + 16);
	char *p = path(f, "queue", id, "message.eml");
	char *data;
	size_t len;
	struct err e = { 0 };
	assert_int_equal(fsio_read_file(p, 1 << 20, &data, &len, &e), 0);
	assert_int_equal(len, strlen(msg));
	assert_memory_equal(data, msg, len);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	free(data);
	free(p);
	json_t *o = envelope(f, "queue", id);
	assert_string_equal(jstr(o, "id"), id);
	assert_string_equal(jstr(o, "state"), "queued");
	assert_string_equal(jstr(o, "kind"), "ack");
	assert_string_equal(jstr(o, "ref"), "calls/imrf-2022/bangladesh/v1");
	assert_string_equal(jstr(o, "from"), "inputs@example.org");
	assert_string_equal(jstr(o, "rcpt"), "expert@mofa.gov.bd");
	assert_string_equal(jstr(o, "message_id"), "<m@example.org>");
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 0);
	assert_int_equal(jtime(o, "created"), T0);
	assert_int_equal(jtime(o, "next_attempt"), T0);
	assert_true(json_is_null(json_object_get(o, "last_error")));
	json_decref(o);
	/* Nothing left behind in tmp/ (the directory stays: the spool keeps it). */
	char *tmp = xasprintf("%s/outbox/tmp", f->dir);
	DIR *td = opendir(tmp);
	assert_non_null(td);
	unsigned left = 0;
	for (struct dirent *de; (de = readdir(td)) != NULL;)
		left += de->d_name[0] != '.';
	closedir(td);
	assert_int_equal(left, 0);
	free(tmp);

	/* Ids are unique even within one second; ref and message_id optional. */
	char *id2 = NULL;
	assert_int_equal(outbox_queue(f->sp, "digest", NULL, "", "coord@example.org", NULL,
				      "x\r\n", 3, T0, &id2, &e), 0);
	assert_string_not_equal(id, id2);
	o = envelope(f, "queue", id2);
	assert_true(json_is_null(json_object_get(o, "ref")));
	assert_string_equal(jstr(o, "from"), "");
	json_decref(o);
	assert_int_equal(entries(f, "queue"), 2);
	assert_int_equal(outbox_queue(f->sp, "ack", NULL, "a@b", "", NULL, "x", 1, T0, NULL, &e), -1);
	assert_int_equal(outbox_queue(f->sp, "ack", NULL, "a@b", NULL, NULL, "x", 1, T0, NULL, &e), -1);
	assert_int_equal(entries(f, "queue"), 2);
	free(id);
	free(id2);
}

static unsigned staged_count(struct fx *f)
{
	char *p = xasprintf("%s/outbox/tmp", f->dir);
	DIR *d = opendir(p);
	unsigned n = 0;
	assert_non_null(d);
	for (struct dirent *de; (de = readdir(d)) != NULL;)
		n += de->d_name[0] != '.';
	closedir(d);
	free(p);
	return n;
}

/* Staged items are invisible to a flush until published; a staged item
 * can be withdrawn like a queued one. */
static void test_stage_publish_cancel(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };
	char *ids[2] = { NULL, NULL };
	for (int i = 0; i < 2; i++)
		assert_int_equal(outbox_stage(f->sp, "ack", "calls/c/peru/v1", "", "a@example.org",
					      NULL, "x\r\n", 3, T0, &ids[i], &e), 0);
	assert_int_equal(entries(f, "queue"), 0);
	assert_int_equal(staged_count(f), 2);
	assert_int_equal(outbox_cancel(f->sp, ids[1], &e), 0);
	assert_int_equal(staged_count(f), 1);
	assert_int_equal(outbox_publish(f->sp, ids, 1, &e), 0);
	assert_int_equal(entries(f, "queue"), 1);
	assert_int_equal(staged_count(f), 0);
	json_t *o = envelope(f, "queue", ids[0]);
	assert_string_equal(jstr(o, "state"), "queued");
	assert_string_equal(jstr(o, "rcpt"), "a@example.org");
	json_decref(o);
	/* Publishing what is not staged (withdrawn) fails and says so. */
	assert_int_equal(outbox_publish(f->sp, &ids[1], 1, &e), -1);
	assert_non_null(strstr(e.msg, ids[1]));
	free(ids[0]);
	free(ids[1]);
}

static void test_not_due_and_stat(void **state)
{
	struct fx *f = *state;
	char *a = queue(f, "a@x.org", "a\r\n", T0);
	char *b = queue(f, "b@x.org", "b\r\n", T0 + 100);
	/* Nothing is due before its time: no connection is even attempted
	 * (the url is not SMTP at all). */
	f->sc.url = "http://127.0.0.1:1/";
	struct outbox_stats st;
	struct err e = { 0 };
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, T0 - 10, on_event, f, &st, &e), 0);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.sent + st.failed + st.deferred, 0);
	assert_int_equal(st.next_attempt, T0);
	assert_int_equal(f->events.n, 0);
	/* Due now: the bad url is reported and nothing changes. */
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, T0, on_event, f, &st, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	json_t *o = envelope(f, "queue", a);
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 0);
	json_decref(o);
	assert_int_equal(outbox_stat(f->sp, &st, &e), 0);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.deferred, 0);
	assert_int_equal(st.next_attempt, T0);
	free(a);
	free(b);
}

static void test_connection_failure_backoff(void **state)
{
	struct fx *f = *state;
	char *a = queue(f, "a@x.org", "Subject: a\r\n\r\na\r\n", T0);
	char *b = queue(f, "b@x.org", "Subject: b\r\n\r\nb\r\n", T0 + 1);
	struct outbox_stats st;
	struct err e = { 0 };
	time_t now = T0 + 10;
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, now, on_event, f, &st, &e), -1);
	assert_int_equal(e.cls, ERR_TEMP);
	/* The oldest was tried and deferred; the batch stopped before b. */
	assert_int_equal(f->events.n, 1);
	char *want = xasprintf("%s deferred ", a);
	assert_int_equal(strncmp(f->events.v[0], want, strlen(want)), 0);
	free(want);
	assert_int_equal(st.deferred, 1);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.next_attempt, now); /* b is still due */
	json_t *o = envelope(f, "queue", a);
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 1);
	time_t next = jtime(o, "next_attempt");
	assert_in_range(next, now + 48, now + 72); /* 60 s ± 20 % */
	assert_non_null(strstr(jstr(o, "last_error"), "smtp:"));
	assert_string_equal(jstr(o, "state"), "queued");
	json_decref(o);
	o = envelope(f, "queue", b);
	assert_int_equal(json_integer_value(json_object_get(o, "attempts")), 0);
	json_decref(o);

	/* Next round: b first (a is not due), then the doubling for a. */
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, now + 1, on_event, f, &st, &e), -1);
	assert_int_equal(f->events.n, 2);
	assert_int_equal(strncmp(f->events.v[1], b, strlen(b)), 0);
	time_t t = next;
	for (int attempt = 2; attempt <= 9; attempt++) {
		assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, t, NULL, NULL, &st, &e), -1);
		o = envelope(f, "queue", a);
		assert_int_equal(json_integer_value(json_object_get(o, "attempts")), attempt);
		long base = 60L << (attempt - 1);
		base = base > 3600 ? 3600 : base;
		time_t n2 = jtime(o, "next_attempt");
		if (n2 < t + base - base / 5 || n2 > t + base + base / 5)
			fail_msg("attempt %d: delay %ld, want %ld ± 20%%", attempt, (long)(n2 - t), base);
		json_decref(o);
		/* Both are due then: a, the oldest, goes first and its
		 * failure stops the batch again. */
		t = n2 + 3600;
	}
	assert_int_equal(outbox_stat(f->sp, &st, &e), 0);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.deferred, 2);
	free(a);
	free(b);
}

static void test_expiry_and_recovery(void **state)
{
	struct fx *f = *state;
	char *old = queue(f, "old@x.org", "old\r\n", T0);
	char *young = queue(f, "young@x.org", "young\r\n", T0 + 3 * 86400 - 10);
	char *broken = queue(f, "broken@x.org", "b\r\n", T0 + 1);
	char *done = queue(f, "done@x.org", "d\r\n", T0 + 2);
	struct err e = { 0 };
	/* A crash between "sent" being recorded and the move to sent/. */
	json_t *o = envelope(f, "queue", done);
	json_object_set_new(o, "state", json_string("sent"));
	char *p = path(f, "queue", done, "envelope.json");
	assert_int_equal(json_dump_file(o, p, 0), 0);
	free(p);
	json_decref(o);
	/* An envelope that is not JSON. */
	p = path(f, "queue", broken, "envelope.json");
	assert_int_equal(fsio_replace(p, "{not json", 9, 0600, &e), 0);
	free(p);
	/* Leftovers of interrupted outbox_queue calls, old and fresh. */
	char *stale = xasprintf("%s/outbox/tmp/stale", f->dir);
	char *fresh = xasprintf("%s/outbox/tmp/fresh", f->dir);
	assert_int_equal(mkdir(stale, 0700), 0);
	assert_int_equal(mkdir(fresh, 0700), 0);
	time_t now = T0 + 3 * 86400;
	time_t real = time(NULL); /* tmp/ ages by the real clock */
	struct timespec ts[2] = { { real - 7200, 0 }, { real - 7200, 0 } };
	assert_int_equal(utimensat(AT_FDCWD, stale, ts, 0), 0);
	ts[0].tv_sec = ts[1].tv_sec = real - 60;
	assert_int_equal(utimensat(AT_FDCWD, fresh, ts, 0), 0);

	/* young is not due, so no connection is opened for any of this. */
	p = path(f, "queue", young, "envelope.json");
	o = json_load_file(p, 0, NULL);
	json_object_set_new(o, "next_attempt", json_string("2022-04-02T00:00:00Z"));
	assert_int_equal(json_dump_file(o, p, 0), 0);
	json_decref(o);
	free(p);
	f->sc.url = "http://127.0.0.1:1/";
	struct outbox_stats st;
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, now, on_event, f, &st, &e), 0);

	/* old and broken failed; done sent, then its record committed. */
	assert_int_equal(f->events.n, 4);
	char *commit = xasprintf("%s commit -", done);
	assert_string_equal(f->events.v[3], commit);
	free(commit);
	o = envelope(f, "failed", old);
	assert_string_equal(jstr(o, "state"), "failed");
	assert_string_equal(jstr(o, "last_error"), "undelivered for 3 days");
	assert_int_equal(jtime(o, "done_at"), now);
	json_decref(o);
	o = envelope(f, "sent", done);
	assert_string_equal(jstr(o, "state"), "sent");
	json_decref(o);
	p = path(f, "failed", broken, "message.eml");
	assert_true(fsio_exists(p));
	free(p);
	p = path(f, "queue", young, NULL);
	assert_true(fsio_exists(p));
	free(p);
	bool saw_old = false, saw_broken = false, saw_done = false;
	for (size_t i = 0; i < f->events.n; i++) {
		saw_old |= strncmp(f->events.v[i], old, strlen(old)) == 0 &&
			   strstr(f->events.v[i], " failed undelivered for 3 days");
		saw_broken |= strncmp(f->events.v[i], broken, strlen(broken)) == 0 &&
			      strstr(f->events.v[i], " failed ");
		saw_done |= strncmp(f->events.v[i], done, strlen(done)) == 0 &&
			    strstr(f->events.v[i], " sent ");
	}
	assert_true(saw_done);
	assert_true(saw_old);
	assert_true(saw_broken);
	assert_false(fsio_exists(stale));
	assert_true(fsio_exists(fresh));
	assert_int_equal(st.failed, 2);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.next_attempt, 1648857600);
	assert_int_equal(outbox_stat(f->sp, &st, &e), 0);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed, 2);
	free(stale);
	free(fresh);
	free(old);
	free(young);
	free(broken);
	free(done);
}

static void test_lock(void **state)
{
	struct fx *f = *state;
	char *id = queue(f, "a@x.org", "a\r\n", T0);
	char *lock = xasprintf("%s/outbox/.lock", f->dir);
	int fd = open(lock, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	/* Someone else is flushing: nothing is touched (the url would fail). */
	f->sc.url = "http://127.0.0.1:1/";
	struct outbox_stats st;
	struct err e = { 0 };
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, T0, on_event, f, &st, &e), 0);
	assert_int_equal(f->events.n, 0);
	close(fd);
	assert_int_equal(outbox_flush(f->sp, &f->sc, NULL, T0, on_event, f, &st, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	free(lock);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_item, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stage_publish_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_due_and_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connection_failure_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_and_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
