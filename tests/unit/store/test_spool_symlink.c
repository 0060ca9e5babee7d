/* test_spool_symlink.c — the spool is the only path-maker: a symlink
 * planted in place of an area (SPOOL/state, SPOOL/outbox), of a file in
 * it or of an outbox item, pointing outside the spool, is refused by every
 * module that keeps files there, and nothing is read or written outside. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/health.h"
#include "intaked/highwater.h"
#include "intaked/outbox.h"
#include "intaked/ratelimit.h"
#include "intaked/schedstate.h"
#include "intaked/spool.h"
#include "intaked/uidvalidity.h"
#include "intaked/util.h"

#include "spool_fixture.h"

static int setup(void **state)
{
	return spool_fixture_setup(state, "test_spool_symlink");
}

static size_t count_in(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* Replace SPOOL/area (already made by spool_open) with a symlink to
 * elsewhere/: what an attacker with write access to the spool could do
 * while the daemon runs. */
static void plant_area_link(struct fixture *f, const char *area)
{
	char *p = xasprintf("%s/%s", f->dir, area);
	assert_int_equal(fsio_rmtree(p), 0);
	assert_int_equal(symlink(f->elsewhere, p), 0);
	free(p);
}

/* The spool keeps each area's fd from spool_open: a link planted later is
 * not followed (the fd names the removed directory, so the operation
 * fails or finds nothing), and a spool opened after it refuses it. */
static void assert_reopen_refused(struct fixture *f)
{
	struct err err = { 0 };
	spool_close(&f->sp);
	assert_int_equal(spool_open(f->dir, &f->sp, &err), -1);
	assert_null(f->sp);
	assert_non_null(strstr(err.msg, "symlink"));
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void uidvalidity_refuses_symlinked_state(void **state)
{
	struct fixture *f = *state;
	plant_area_link(f, "state");
	struct err err = { 0 };
	assert_int_equal(uidvalidity_check(f->sp, "INBOX", 7, NULL, &err), -1);
	assert_int_equal(count_in(f->elsewhere), 0);
	assert_reopen_refused(f);
}

static void highwater_refuses_symlinked_state(void **state)
{
	struct fixture *f = *state;
	plant_area_link(f, "state");
	struct highwater hw = { .uidvalidity = 7, .mark = 10 };
	struct err err = { 0 };
	assert_int_equal(highwater_save(f->sp, "INBOX", &hw, &err), -1);
	assert_int_equal(count_in(f->elsewhere), 0);
}

static void ratelimit_refuses_symlinked_state(void **state)
{
	struct fixture *f = *state;
	plant_area_link(f, "state");
	struct ratelimit *rl = NULL;
	struct err err = { 0 };
	int rc = ratelimit_open(f->sp, &rl, &err);
	if (rc == 0)
		rc = ratelimit_add(rl, "a@example.org", 1700000000, &err);
	ratelimit_close(&rl);
	assert_int_equal(rc, -1);
	assert_int_equal(count_in(f->elsewhere), 0);
}

static void schedstate_refuses_symlinked_state(void **state)
{
	struct fixture *f = *state;
	plant_area_link(f, "state");
	struct schedstate *st = NULL;
	struct err err = { 0 };
	assert_int_equal(schedstate_open(f->sp, "remind", &st, &err), -1);
	assert_null(st);
	assert_int_equal(count_in(f->elsewhere), 0);
}

static void health_refuses_symlinked_state(void **state)
{
	struct fixture *f = *state;
	struct strlist folders = { 0 };
	strlist_push(&folders, "INBOX");
	struct health *h = health_new(f->sp, &folders);
	plant_area_link(f, "state");
	health_set_state(h, NULL, HEALTH_CONNECTED); /* written at once */
	health_flush(h);
	char *planted = xasprintf("%s/health.json", f->elsewhere);
	write_file(planted, "{}\n");
	free(planted);
	struct health *r = NULL;
	struct err err = { 0 };
	/* Nothing read through the link either: the planted file is not seen. */
	assert_int_equal(health_load(f->sp, &r, &err), 0);
	assert_null(r);
	health_free(&h);
	strlist_free(&folders);
	assert_int_equal(count_in(f->elsewhere), 1);
	assert_reopen_refused(f);
}

/* A symlinked record file is neither read nor written through. */
static void uidvalidity_replaces_symlinked_record(void **state)
{
	struct fixture *f = *state;
	char *outside = xasprintf("%s/uv", f->elsewhere);
	char *rec = xasprintf("%s/state/uidvalidity", f->dir);
	write_file(outside, "{\"INBOX\": 7}\n");
	assert_int_equal(symlink(outside, rec), 0);
	struct err err = { 0 };
	/* 7 would be "unchanged" if the link were read: it is not. */
	assert_int_equal(uidvalidity_check(f->sp, "INBOX", 7, NULL, &err), 0);
	struct stat st;
	assert_int_equal(lstat(rec, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	char *text = NULL;
	assert_int_equal(fsio_read_file(outside, 100, &text, NULL, &err), 0);
	assert_string_equal(text, "{\"INBOX\": 7}\n");
	free(text);
	free(outside);
	free(rec);
}

static void outbox_refuses_symlinked_outbox(void **state)
{
	struct fixture *f = *state;
	plant_area_link(f, "outbox");
	struct err err = { 0 };
	const char *msg = "Subject: x\r\n\r\nbody\r\n";
	assert_int_equal(outbox_queue(f->sp, "ack", NULL, "", "a@example.org", "<m@x>", msg,
				      strlen(msg), 1700000000, NULL, &err), -1);
	assert_int_equal(count_in(f->elsewhere), 0);
}

/* outbox/queue/ID a symlink to a directory outside holding an item: it
 * is not read (lookup), not sent and not moved (flush). */
static void outbox_ignores_symlinked_item(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	const char *msg = "Subject: x\r\n\r\nbody\r\n";
	char *id = NULL;
	assert_int_equal(outbox_queue(f->sp, "ack", NULL, "", "a@example.org", "<m@x>", msg,
				      strlen(msg), 1700000000, &id, &err), 0);
	char *item = xasprintf("%s/outbox/queue/%s", f->dir, id);
	char *outside = xasprintf("%s/item", f->elsewhere);
	assert_int_equal(rename(item, outside), 0);
	assert_int_equal(symlink(outside, item), 0);
	enum outbox_where w;
	struct outbox_item it;
	int rc = outbox_lookup(f->sp, id, &w, &it, &err);
	assert_true(rc < 0 || it.rcpt == NULL);
	outbox_item_clear(&it);
	struct outbox_stats st = { 0 };
	struct smtp_config sc = { .url = "smtp://127.0.0.1:1", .host = "127.0.0.1", .port = 1,
				   .plaintext = true };
	outbox_flush(f->sp, &sc, NULL, 1700000000, NULL, NULL, &st, &err);
	char *env = xasprintf("%s/envelope.json", outside);
	assert_true(fsio_exists(env));
	char *text = NULL;
	assert_int_equal(fsio_read_file(env, 1 << 16, &text, NULL, &err), 0);
	assert_null(strstr(text, "\"attempts\": 1"));
	free(text);
	free(env);
	free(item);
	free(outside);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(uidvalidity_refuses_symlinked_state, setup, teardown),
		cmocka_unit_test_setup_teardown(highwater_refuses_symlinked_state, setup, teardown),
		cmocka_unit_test_setup_teardown(ratelimit_refuses_symlinked_state, setup, teardown),
		cmocka_unit_test_setup_teardown(schedstate_refuses_symlinked_state, setup, teardown),
		cmocka_unit_test_setup_teardown(health_refuses_symlinked_state, setup, teardown),
		cmocka_unit_test_setup_teardown(uidvalidity_replaces_symlinked_record, setup,
						teardown),
		cmocka_unit_test_setup_teardown(outbox_refuses_symlinked_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(outbox_ignores_symlinked_item, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
