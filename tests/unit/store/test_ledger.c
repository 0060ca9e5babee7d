/* test_ledger.c — the filing journal: lookups count only committed entries,
 * torn and damaged lines, escaping, shared keys, 100k records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/ledger.h"
#include "intaked/spool.h"
#include "intaked/util.h"

struct fixture {
	char dir[64];
	char *ledger_path;
	struct spool *sp;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_ledger.XXXXXX");
	if (mkdtemp(f->dir) == NULL || spool_open(f->dir, &f->sp, NULL) < 0)
		return -1;
	f->ledger_path = xasprintf("%s/state/ledger", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	spool_close(&f->sp);
	fsio_rmtree(f->dir);
	free(f->ledger_path);
	free(f);
	return 0;
}

/* Commit a minimal entry holding the message with raw hash sha at relpath,
 * as the filer does after appending. */
static void commit_entry(struct fixture *f, const char *id, const char *relpath,
			 const char *sha)
{
	struct spool_entry *e = NULL;
	struct err err = {0};
	char *json = xasprintf("{\"raw_sha256\": \"%s\"}\n", sha);
	assert_int_equal(spool_begin(f->sp, id, &e, &err), 0);
	assert_int_equal(spool_entry_write(e, "metadata.json", json, strlen(json), &err), 0);
	free(json);
	if (spool_commit(f->sp, &e, relpath, &err) < 0)
		fail_msg("commit %s: %s", relpath, err.msg);
}

static void sha_of(int i, char out[65])
{
	char seed[32];
	snprintf(seed, sizeof(seed), "message %d", i);
	sha256_hex(seed, strlen(seed), out);
}

static struct ledger *open_ledger(struct fixture *f)
{
	struct ledger *l = NULL;
	struct err err = {0};
	if (ledger_open(f->sp, &l, &err) < 0)
		fail_msg("ledger_open: %s", err.msg);
	return l;
}

static char *read_ledger(struct fixture *f, size_t *len_r)
{
	char *data = NULL;
	assert_int_equal(fsio_read_file(f->ledger_path, 1 << 26, &data, len_r, NULL), 0);
	return data;
}

static void append_raw(struct fixture *f, const char *text)
{
	int fd = open(f->ledger_path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static void test_counts_only_committed(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	assert_int_equal(ledger_count(l), 0);
	assert_null(ledger_find_sha(l, "nothing"));
	assert_null(ledger_find_uid(l, "INBOX", 1, 1));

	char sha[65];
	sha_of(1, sha);
	struct ledger_record rec = {
		.id = "id1", .raw_sha256 = sha, .message_id = "<m1@x>", .mailbox = "INBOX",
		.uidvalidity = 7, .uid = 100, .relpath = "calls/c/bangladesh/v1",
	};
	struct err err = {0};
	assert_int_equal(ledger_append(l, &rec, &err), 0);
	assert_int_equal(ledger_count(l), 1);
	/* Journalled, not yet committed (a crash here): no hit. */
	assert_null(ledger_find_sha(l, sha));
	assert_null(ledger_find_uid(l, "INBOX", 7, 100));

	commit_entry(f, "id1", rec.relpath, sha);
	assert_string_equal(ledger_find_sha(l, sha), rec.relpath);
	assert_string_equal(ledger_find_uid(l, "INBOX", 7, 100), rec.relpath);
	assert_null(ledger_find_uid(l, "INBOX", 8, 100));   /* new UIDVALIDITY */
	assert_null(ledger_find_uid(l, "INBOX", 7, 101));
	assert_null(ledger_find_uid(l, "Archive", 7, 100));
	assert_null(ledger_find_uid(l, "inbox", 7, 100));
	char other[65];
	sha_of(2, other);
	assert_null(ledger_find_sha(l, other));
	ledger_close(&l);
	assert_null(l);

	/* What was appended is there after a restart. */
	l = open_ledger(f);
	assert_int_equal(ledger_count(l), 1);
	assert_string_equal(ledger_find_sha(l, sha), rec.relpath);
	assert_string_equal(ledger_find_uid(l, "INBOX", 7, 100), rec.relpath);

	/* A record whose entry never appeared stays ignored. */
	char lost[65];
	sha_of(3, lost);
	struct ledger_record orphan = {
		.id = "id3", .raw_sha256 = lost, .mailbox = "INBOX", .uidvalidity = 7,
		.uid = 103, .relpath = "calls/c/chile/v9",
	};
	assert_int_equal(ledger_append(l, &orphan, &err), 0);
	ledger_close(&l);
	l = open_ledger(f);
	assert_int_equal(ledger_count(l), 2);
	assert_null(ledger_find_sha(l, lost));
	assert_null(ledger_find_uid(l, "INBOX", 7, 103));
	/* A directory without metadata.json is no entry either. */
	char *half = xasprintf("%s/calls/c/chile/v9", f->dir);
	assert_int_equal(fsio_mkdirs(half, 0750, NULL), 0);
	assert_null(ledger_find_sha(l, lost));
	free(half);
	ledger_close(&l);
}

static void test_shared_keys(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	struct err err = {0};
	char sha[65];
	sha_of(10, sha);
	/* First attempt crashed before commit; the second was filed. */
	struct ledger_record crashed = {
		.id = "a", .raw_sha256 = sha, .mailbox = "INBOX", .uidvalidity = 1, .uid = 5,
		.relpath = "unmatched/2022-03-29/a",
	};
	struct ledger_record filed = crashed;
	filed.relpath = "unmatched/2022-03-29/a-2";
	/* The same message seen again in another folder: same entry. */
	struct ledger_record copy = filed;
	copy.mailbox = "Archive";
	copy.uid = 77;
	assert_int_equal(ledger_append(l, &crashed, &err), 0);
	assert_int_equal(ledger_append(l, &filed, &err), 0);
	assert_int_equal(ledger_append(l, &copy, &err), 0);
	commit_entry(f, "a-2", filed.relpath, sha);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(ledger_count(l), 3);
		assert_string_equal(ledger_find_sha(l, sha), filed.relpath);
		assert_string_equal(ledger_find_uid(l, "INBOX", 1, 5), filed.relpath);
		assert_string_equal(ledger_find_uid(l, "Archive", 1, 77), filed.relpath);
		ledger_close(&l);
		l = open_ledger(f);
	}
	ledger_close(&l);
}

/* A batch: one write for all records; every one found once committed,
 * after a restart too; one bad record refuses the whole batch. */
static void test_append_many(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	struct err err = {0};
	char sha[3][65], id[3][16], rel[3][40];
	struct ledger_record recs[3];
	for (int i = 0; i < 3; i++) {
		sha_of(40 + i, sha[i]);
		snprintf(id[i], sizeof(id[i]), "b%d", i);
		snprintf(rel[i], sizeof(rel[i]), "calls/c/peru/v%d", i + 1);
		recs[i] = (struct ledger_record){
			.id = id[i], .raw_sha256 = sha[i], .mailbox = "INBOX", .uidvalidity = 3,
			.uid = (uint32_t)(10 + i), .relpath = rel[i],
		};
	}
	struct ledger_record bad = recs[1];
	bad.relpath = "../escape";
	struct ledger_record mixed[2] = { recs[0], bad };
	assert_int_equal(ledger_append_many(l, mixed, 2, &err), -1);
	assert_int_equal(ledger_count(l), 0);
	assert_int_equal(ledger_append_many(l, recs, 0, &err), 0);
	assert_int_equal(ledger_append_many(l, recs, 3, &err), 0);
	for (int i = 0; i < 3; i++)
		commit_entry(f, id[i], rel[i], sha[i]);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(ledger_count(l), 3);
		for (int i = 0; i < 3; i++) {
			assert_string_equal(ledger_find_sha(l, sha[i]), rel[i]);
			assert_string_equal(ledger_find_uid(l, "INBOX", 3, (uint32_t)(10 + i)), rel[i]);
		}
		ledger_close(&l);
		l = open_ledger(f);
	}
	ledger_close(&l);
}

static void test_torn_last_line(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	struct err err = {0};
	char sha[65];
	for (int i = 0; i < 2; i++) {
		sha_of(i, sha);
		char id[16], rel[64];
		snprintf(id, sizeof(id), "id%d", i);
		snprintf(rel, sizeof(rel), "quarantine/%s", id);
		struct ledger_record rec = {
			.id = id, .raw_sha256 = sha, .mailbox = "INBOX", .uidvalidity = 1,
			.uid = (uint32_t)i + 1, .relpath = rel,
		};
		assert_int_equal(ledger_append(l, &rec, &err), 0);
		commit_entry(f, id, rel, sha);
	}
	ledger_close(&l);
	size_t good_len;
	char *good = read_ledger(f, &good_len);

	/* A crash in the middle of the third append. */
	append_raw(f, "L1\tid2\tdeadbeef\t\tINB");
	l = open_ledger(f);
	assert_int_equal(ledger_count(l), 2);
	size_t len;
	char *now = read_ledger(f, &len);
	assert_int_equal(len, good_len);
	assert_memory_equal(now, good, len);
	free(now);

	/* The next record starts on its own line. */
	sha_of(2, sha);
	struct ledger_record rec = {
		.id = "id2", .raw_sha256 = sha, .mailbox = "INBOX", .uidvalidity = 1, .uid = 3,
		.relpath = "quarantine/id2",
	};
	assert_int_equal(ledger_append(l, &rec, &err), 0);
	commit_entry(f, "id2", rec.relpath, sha);
	ledger_close(&l);
	l = open_ledger(f);
	assert_int_equal(ledger_count(l), 3);
	assert_string_equal(ledger_find_uid(l, "INBOX", 1, 3), "quarantine/id2");
	assert_string_equal(ledger_find_uid(l, "INBOX", 1, 1), "quarantine/id0");
	now = read_ledger(f, &len);
	assert_int_equal(count_char(now, len, '\n'), 3);
	assert_int_equal(now[len - 1], '\n');
	free(now);
	free(good);
	ledger_close(&l);
}

static void test_damaged_lines_skipped(void **state)
{
	struct fixture *f = *state;
	char sha[65];
	sha_of(1, sha);
	char *good = xasprintf("L1\tok\t%s\t<m@x>\tINBOX\t9\t9\tquarantine/ok\n", sha);
	static const char *const bad[] = {
		"\n",
		"garbage\n",
		"L2\tfuture\tsha\t\tINBOX\t1\t1\tquarantine/f\n",
		"L1\tonly\tthree\n",
		"L1\tid\tsha\t\tINBOX\t1\t1\tquarantine/x\textra\n",
		"L1\tid\tsha\t\tIN%zzBOX\t1\t1\tquarantine/x\n",
		"L1\tid\tsha\t\tIN%00BOX\t1\t1\tquarantine/x\n",
		"L1\tid\tsha\t\tINBOX\t1\t1\t../../etc\n",
		"L1\tid\tsha\t\tINBOX\t1\t1\t/abs\n",
		"L1\tid\tsha\t\tINBOX\tx\t1\tquarantine/x\n",
		"L1\tid\tsha\t\tINBOX\t1\t4294967296\tquarantine/x\n",
		"L1\t\tsha\t\tINBOX\t1\t1\tquarantine/x\n",
		"L1\tid\t\t\tINBOX\t1\t1\tquarantine/x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		append_raw(f, bad[i]);
	/* A line far beyond any record's size. */
	char *huge = xmalloc(200000);
	memset(huge, 'x', 199998);
	huge[199998] = '\n';
	huge[199999] = '\0';
	append_raw(f, huge);
	free(huge);
	append_raw(f, good);
	commit_entry(f, "ok", "quarantine/ok", sha);

	struct ledger *l = open_ledger(f);
	assert_int_equal(ledger_count(l), 1);
	assert_string_equal(ledger_find_sha(l, sha), "quarantine/ok");
	assert_string_equal(ledger_find_uid(l, "INBOX", 9, 9), "quarantine/ok");
	ledger_close(&l);
	free(good);
}

static void test_escaping(void **state)
{
	struct fixture *f = *state;
	static const char *const mailboxes[] = {
		"Boîte\treçue", "line\nbreak", "100%", "%09", "cr\rlf", "Входящие/架", "",
	};
	const size_t n = sizeof(mailboxes) / sizeof(mailboxes[0]);
	struct ledger *l = open_ledger(f);
	struct err err = {0};
	for (size_t i = 0; i < n; i++) {
		char sha[65], id[16], rel[32];
		sha_of((int)i, sha);
		snprintf(id, sizeof(id), "e%zu", i);
		snprintf(rel, sizeof(rel), "ignored/2022-03-29/e%zu", i);
		struct ledger_record rec = {
			.id = id, .raw_sha256 = sha, .message_id = "<tab\there@x>",
			.mailbox = mailboxes[i], .uidvalidity = 3, .uid = (uint32_t)i + 1,
			.relpath = rel,
		};
		assert_int_equal(ledger_append(l, &rec, &err), 0);
		commit_entry(f, id, rel, sha);
	}
	ledger_close(&l);

	size_t len;
	char *text = read_ledger(f, &len);
	assert_int_equal(count_char(text, len, '\n'), n);
	assert_int_equal(count_char(text, len, '\t'), n * 7);
	assert_int_equal(count_char(text, len, '\r'), 0);
	assert_non_null(strstr(text, "L1\te0\t"));
	free(text);

	l = open_ledger(f);
	for (size_t i = 0; i < n; i++) {
		char rel[32];
		snprintf(rel, sizeof(rel), "ignored/2022-03-29/e%zu", i);
		const char *hit = ledger_find_uid(l, mailboxes[i], 3, (uint32_t)i + 1);
		if (hit == NULL || strcmp(hit, rel) != 0)
			fail_msg("mailbox %zu not found after reload", i);
	}
	assert_null(ledger_find_uid(l, "Boîte%09reçue", 3, 1));
	ledger_close(&l);
}

static void test_invalid_records(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	struct ledger_record rows[] = {
		{ .id = NULL, .raw_sha256 = "s", .relpath = "quarantine/x" },
		{ .id = "", .raw_sha256 = "s", .relpath = "quarantine/x" },
		{ .id = "x", .raw_sha256 = NULL, .relpath = "quarantine/x" },
		{ .id = "x", .raw_sha256 = "s", .relpath = NULL },
		{ .id = "x", .raw_sha256 = "s", .relpath = "../outside" },
		{ .id = "x", .raw_sha256 = "s", .relpath = "quarantine//x" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct err err = {0};
		assert_int_equal(ledger_append(l, &rows[i], &err), -1);
		assert_int_equal(err.cls, ERR_TEMP);
	}
	assert_int_equal(ledger_count(l), 0);
	/* NULL message-id and mailbox are fine; uid 0 is simply not indexed. */
	struct ledger_record rec = { .id = "x", .raw_sha256 = "s", .relpath = "quarantine/x" };
	assert_int_equal(ledger_append(l, &rec, NULL), 0);
	commit_entry(f, "x", "quarantine/x", "s");
	assert_string_equal(ledger_find_sha(l, "s"), "quarantine/x");
	assert_null(ledger_find_uid(l, "", 0, 0));
	ledger_close(&l);
	struct stat st;
	assert_int_equal(stat(f->ledger_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

/* 100 000 records (written in the documented format, not appended one by
 * one: that would be 100 000 fsyncs). */
static void test_many_records(void **state)
{
	struct fixture *f = *state;
	enum { N = 100000 };
	struct buf b;
	buf_init(&b, (size_t)N * 256);
	for (int i = 0; i < N; i++) {
		char sha[65];
		sha_of(i, sha);
		assert_int_equal(buf_printf(&b, "L1\tid%d\t%s\t<%d@x>\tINBOX\t42\t%d\t"
					    "calls/big/s%d/v1\n", i, sha, i, i + 1, i), 0);
	}
	assert_int_equal(fsio_replace(f->ledger_path, b.data, b.len, 0640, NULL), 0);
	buf_free(&b);
	static const int hits[] = { 0, 1, 4999, 50000, N - 1 };
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		char id[16], rel[64], hit_sha[65];
		snprintf(id, sizeof(id), "id%d", hits[i]);
		snprintf(rel, sizeof(rel), "calls/big/s%d/v1", hits[i]);
		sha_of(hits[i], hit_sha);
		commit_entry(f, id, rel, hit_sha);
	}

	struct ledger *l = open_ledger(f);
	assert_int_equal(ledger_count(l), N);
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		char sha[65], rel[64];
		sha_of(hits[i], sha);
		snprintf(rel, sizeof(rel), "calls/big/s%d/v1", hits[i]);
		assert_string_equal(ledger_find_sha(l, sha), rel);
		assert_string_equal(ledger_find_uid(l, "INBOX", 42, (uint32_t)hits[i] + 1), rel);
	}
	/* Every other record is known but not committed: no hit. */
	for (int i = 2; i < N; i += 997) {
		char sha[65];
		sha_of(i, sha);
		if (i != 4999 && i != 50000 && ledger_find_sha(l, sha) != NULL)
			fail_msg("record %d hit without an entry", i);
	}
	char absent[65];
	sha_of(N + 1, absent);
	assert_null(ledger_find_sha(l, absent));
	assert_null(ledger_find_uid(l, "INBOX", 42, N + 1));
	ledger_close(&l);
}

/* A crash between the append and the rename leaves a record; another
 * message of the same submitter may then be filed at that very vN path.
 * That must not make the crashed message look filed. */
static void test_path_taken_by_other_message(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	char lost[65], other[65];
	sha_of(1, lost);
	sha_of(2, other);
	struct ledger_record rec = {
		.id = "lost", .raw_sha256 = lost, .mailbox = "INBOX", .uidvalidity = 9,
		.uid = 5, .relpath = "calls/c/s/v1",
	};
	assert_int_equal(ledger_append(l, &rec, NULL), 0);
	commit_entry(f, "other", "calls/c/s/v1", other);
	assert_null(ledger_find_sha(l, lost));
	assert_null(ledger_find_uid(l, "INBOX", 9, 5));
	ledger_close(&l);
}

/* ledger_note_committed: the records of those bytes at that path count
 * from then on without the entry being read (here it is not even there:
 * the note is the only reason they count); other records are untouched. */
static void test_note_committed(void **state)
{
	struct fixture *f = *state;
	struct ledger *l = open_ledger(f);
	char sha[65], other[65];
	sha_of(1, sha);
	sha_of(2, other);
	struct ledger_record recs[] = {
		{ .id = "id1", .raw_sha256 = sha, .mailbox = "INBOX", .uidvalidity = 7,
		  .uid = 100, .relpath = "calls/c/s/v1" },
		{ .id = "id1", .raw_sha256 = sha, .mailbox = "Archive", .uidvalidity = 3,
		  .uid = 5, .relpath = "calls/c/s/v1" },            /* a duplicate */
		{ .id = "id2", .raw_sha256 = other, .mailbox = "INBOX", .uidvalidity = 7,
		  .uid = 101, .relpath = "calls/c/s/v1" },          /* other bytes */
		{ .id = "id1", .raw_sha256 = sha, .mailbox = "INBOX", .uidvalidity = 7,
		  .uid = 102, .relpath = "calls/c/s/v2" },          /* other path */
	};
	struct err err = {0};
	assert_int_equal(ledger_append_many(l, recs, 4, &err), 0);
	assert_null(ledger_find_uid(l, "INBOX", 7, 100));
	ledger_note_committed(l, sha, "calls/c/s/v1");
	ledger_note_committed(l, NULL, "calls/c/s/v1"); /* ignored */
	assert_string_equal(ledger_find_uid(l, "INBOX", 7, 100), "calls/c/s/v1");
	assert_string_equal(ledger_find_uid(l, "Archive", 3, 5), "calls/c/s/v1");
	assert_string_equal(ledger_find_sha(l, sha), "calls/c/s/v1");
	assert_null(ledger_find_uid(l, "INBOX", 7, 101));
	assert_null(ledger_find_sha(l, other));
	assert_null(ledger_find_uid(l, "INBOX", 7, 102));
	ledger_close(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_only_committed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_lines_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_taken_by_other_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_committed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
