/* test_spool.c — atomic entries, cleanup, refusal to replace, symlinks
 * planted in the spool, walking order, index.json rebuilds, paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#include "spool_fixture.h"
#include "spool_internal.h" /* test_leftovers_cleaned frees a crashed entry by hand */

static int setup(void **state)
{
	return spool_fixture_setup(state, "test_spool");
}

static char *path_in(const struct fixture *f, const char *rel)
{
	return xasprintf("%s/%s", f->dir, rel);
}

static bool exists_in(const struct fixture *f, const char *rel)
{
	char *p = path_in(f, rel);
	bool r = fsio_exists(p);
	free(p);
	return r;
}

static size_t count_entries(const char *dir)
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

static size_t tmp_entries(const struct fixture *f)
{
	char *t = path_in(f, "tmp");
	size_t n = count_entries(t);
	free(t);
	return n;
}

static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	struct buf b;
	buf_init(&b, 1 << 20);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	fclose(fp);
	return buf_steal(&b);
}

/* Commit a submission entry with a metadata.json; returns commit's rc. */
static int file_entry(struct fixture *f, const char *call, const char *slug, int version,
		      const char *status, bool verified, struct err *err)
{
	char id[64];
	snprintf(id, sizeof(id), "id-%s-%s-%d", call, slug, version);
	struct spool_entry *e = NULL;
	assert_int_equal(spool_begin(f->sp, id, &e, err), 0);
	struct metadata *md = metadata_new();
	md->id = xstrdup(id);
	md->kind = xstrdup("submission");
	md->call = xstrdup(call);
	md->call_title = xstrdup("Title of the call");
	md->status = xstrdup(status);
	md->submitter.name = xasprintf("Name of %s", slug);
	md->submitter.slug = xstrdup(slug);
	md->submitter.verified = verified;
	md->received_at = 1648591140 + version * 60;
	md->timeliness = xstrdup("on_time");
	md->word_count = 100 * version;
	md->over_limit = version == 10;
	md->version = version;
	char *json = metadata_to_json(md);
	assert_int_equal(spool_entry_write(e, "message.eml", "raw\r\n", 5, err), 0);
	assert_int_equal(spool_entry_write(e, "metadata.json", json, strlen(json), err), 0);
	free(json);
	metadata_free(&md);
	char *rel = spool_submission_path(call, slug, version);
	int rc = spool_commit(f->sp, &e, rel, err);
	assert_null(e);
	free(rel);
	return rc;
}

static void test_layout(void **state)
{
	struct fixture *f = *state;
	static const char *const areas[] = {
		"calls", "unmatched", "ignored", "quarantine", "tmp", "outbox", "state",
	};
	for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++) {
		char *p = path_in(f, areas[i]);
		struct stat st;
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0750);
		free(p);
	}
	assert_string_equal(spool_dir(f->sp), f->dir);
	/* Opening again is fine. */
	struct spool *again = NULL;
	assert_int_equal(spool_open(f->dir, &again, NULL), 0);
	spool_close(&again);
	assert_null(again);
}

static void test_commit_and_abort(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	struct spool_entry *e = NULL;
	assert_int_equal(spool_begin(f->sp, "20220329T215900Z-0123456789ab", &e, &err), 0);
	assert_non_null(e);
	assert_true(fsio_exists(e->files_dir));
	assert_int_equal(spool_entry_write(e, "message.eml", "From: a\r\n\r\nbody", 16, &err), 0);
	assert_int_equal(spool_entry_write(e, "files/report.docx", "PK\3\4", 4, &err), 0);
	assert_int_equal(spool_entry_write(e, "metadata.json", "{}\n", 3, &err), 0);
	/* The same name twice is refused (O_EXCL), never overwritten. */
	assert_int_equal(spool_entry_write(e, "message.eml", "x", 1, &err), -1);
	const char *rel = "unmatched/2022-03-29/20220329T215900Z-0123456789ab";
	assert_false(exists_in(f, rel));
	/* Sealed: no more writes, its descriptors closed; it still commits. */
	spool_entry_seal(e);
	assert_int_equal(e->fd, -1);
	assert_int_equal(spool_entry_write(e, "body.txt", "x", 1, &err), -1);
	assert_int_equal(spool_sync(f->sp, &err), 0);
	assert_int_equal(spool_commit(f->sp, &e, rel, &err), 0);
	assert_null(e);
	assert_int_equal(spool_sync(f->sp, &err), 0);
	assert_int_equal(tmp_entries(f), 0);

	char *p = xasprintf("%s/%s/message.eml", f->dir, rel);
	char *text = read_text(p);
	assert_string_equal(text, "From: a\r\n\r\nbody");
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(text);
	free(p);
	p = xasprintf("%s/%s/files/report.docx", f->dir, rel);
	assert_true(fsio_exists(p));
	free(p);
	assert_true(spool_entry_exists(f->sp, rel));

	/* Abort leaves nothing behind. */
	assert_int_equal(spool_begin(f->sp, "aborted", &e, &err), 0);
	assert_int_equal(spool_entry_write(e, "message.eml", "x", 1, &err), 0);
	assert_int_equal(tmp_entries(f), 1);
	spool_abort(&e);
	assert_null(e);
	spool_abort(&e); /* NULL-safe */
	assert_int_equal(tmp_entries(f), 0);
	assert_false(spool_entry_exists(f->sp, "quarantine/aborted"));
}

static void test_entry_names(void **state)
{
	struct fixture *f = *state;
	struct spool_entry *e = NULL;
	assert_int_equal(spool_begin(f->sp, "names", &e, NULL), 0);
	static const char *const bad[] = {
		"", ".", "..", "../x", "files/../x", "files/", "files/a/b", "a/b", ".hidden",
		"files/.hidden", "/etc/passwd", "nl\nname", "files/..",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = {0};
		if (spool_entry_write(e, bad[i], "x", 1, &err) != -1)
			fail_msg("accepted %s", bad[i]);
	}
	assert_int_equal(count_entries(e->files_dir), 0);
	assert_int_equal(count_entries(e->dir), 1); /* files/ only */
	spool_abort(&e);

	static const char *const bad_ids[] = { "", "..", "a/b", ".x" };
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		assert_int_equal(spool_begin(f->sp, bad_ids[i], &e, NULL), -1);
		assert_null(e);
	}
}

static void test_leftovers_cleaned(void **state)
{
	struct fixture *f = *state;
	struct spool_entry *e = NULL;
	/* A crash mid-build: a staging directory that is never committed. */
	assert_int_equal(spool_begin(f->sp, "half-built", &e, NULL), 0);
	assert_int_equal(spool_entry_write(e, "files/a.pdf", "%PDF", 4, NULL), 0);
	char *stray = path_in(f, "tmp/stray-file");
	assert_int_equal(fsio_replace(stray, "x", 1, 0640, NULL), 0);
	/* A symlink left in tmp/ is removed, its target is not touched. */
	char *target = xasprintf("%s/keep", f->elsewhere);
	assert_int_equal(fsio_replace(target, "keep", 4, 0640, NULL), 0);
	char *link = path_in(f, "tmp/link");
	assert_int_equal(symlink(f->elsewhere, link), 0);
	assert_int_equal(tmp_entries(f), 3);

	spool_close(&f->sp);
	assert_int_equal(spool_open(f->dir, &f->sp, NULL), 0);
	/* Only the daemon, holding the lock, clears tmp/: a reader such as
	 * intakectl must not remove an entry the daemon is building. */
	assert_int_equal(tmp_entries(f), 3);
	assert_int_equal(spool_lock(f->sp, NULL), 0);
	assert_int_equal(tmp_entries(f), 0);
	assert_true(fsio_exists(target));
	/* The crashed entry's fds are still open here; free it as the process
	 * would on exit. */
	close(e->fd);
	close(e->files_fd);
	free(e->id);
	free(e->dir);
	free(e->files_dir);
	free(e);

	/* A stale staging directory with the id of a new entry is replaced. */
	char *stale = path_in(f, "tmp/again");
	assert_int_equal(mkdir(stale, 0750), 0);
	assert_int_equal(spool_begin(f->sp, "again", &e, NULL), 0);
	spool_abort(&e);
	free(stale);
	free(stray);
	free(target);
	free(link);
}

static void test_no_replace(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	assert_int_equal(file_entry(f, "c", "bangladesh", 1, "accepted", true, &err), 0);
	char *p = path_in(f, "calls/c/bangladesh/v1/metadata.json");
	char *before = read_text(p);

	err_clear(&err);
	assert_int_equal(file_entry(f, "c", "bangladesh", 1, "late", true, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "already exists"));
	char *after = read_text(p);
	assert_string_equal(before, after);
	assert_int_equal(tmp_entries(f), 0); /* the loser's staging is gone */

	/* An empty directory in the way: rename(2) alone would replace it. */
	char *empty = path_in(f, "calls/c/bangladesh/v2");
	assert_int_equal(mkdir(empty, 0750), 0);
	assert_int_equal(file_entry(f, "c", "bangladesh", 2, "late", true, &err), -1);
	assert_int_equal(count_entries(empty), 0);
	assert_int_equal(spool_latest_version(f->sp, "c", "bangladesh"), 2);
	free(empty);
	free(before);
	free(after);
	free(p);
}

static int count_visit(const char *relpath, const struct metadata *md, void *arg)
{
	struct strlist *seen = arg;
	assert_non_null(md->id);
	strlist_push(seen, relpath);
	return 0;
}

static void test_symlinks_not_followed(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	assert_int_equal(file_entry(f, "c", "good", 1, "accepted", true, &err), 0);

	/* Something that looks like an entry, outside the spool. */
	char *fake = xasprintf("%s/v1", f->elsewhere);
	assert_int_equal(mkdir(fake, 0700), 0);
	char *fake_md = xasprintf("%s/metadata.json", fake);
	assert_int_equal(fsio_replace(fake_md, "{\"id\": \"planted\"}", 17, 0600, NULL), 0);

	char *slug_link = path_in(f, "calls/c/evil");
	assert_int_equal(symlink(f->elsewhere, slug_link), 0);
	char *version_link = path_in(f, "calls/c/good/v2");
	assert_int_equal(symlink(fake, version_link), 0);

	struct strlist seen = {0};
	assert_int_equal(spool_each_submission(f->sp, "c", count_visit, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.v[0], "calls/c/good/v1");
	strlist_free(&seen);
	assert_int_equal(spool_latest_version(f->sp, "c", "good"), 1);
	assert_int_equal(spool_latest_version(f->sp, "c", "evil"), -1);
	assert_false(spool_entry_exists(f->sp, "calls/c/evil/v1"));
	assert_false(spool_entry_exists(f->sp, "calls/c/good/v2"));

	/* Commit through the symlinked slug must fail and write nothing there. */
	err_clear(&err);
	assert_int_equal(file_entry(f, "c", "evil", 2, "accepted", true, &err), -1);
	assert_int_equal(err.cls, ERR_TEMP);
	assert_non_null(strstr(err.msg, "not a directory"));
	assert_int_equal(count_entries(f->elsewhere), 1); /* v1 only */
	assert_int_equal(tmp_entries(f), 0);

	/* A symlinked call directory: no walk, no write, no index. */
	char *call_link = path_in(f, "calls/linked");
	assert_int_equal(symlink(f->elsewhere, call_link), 0);
	assert_int_equal(spool_each_submission(f->sp, "linked", count_visit, &seen, &err), -1);
	assert_int_equal(seen.n, 0);
	assert_int_equal(spool_write_index(f->sp, "linked", &err), -1);
	assert_int_equal(file_entry(f, "linked", "x", 1, "accepted", true, &err), -1);
	assert_int_equal(count_entries(f->elsewhere), 1);

	/* A symlinked area makes spool_open refuse the spool. */
	spool_close(&f->sp);
	char *q = path_in(f, "quarantine");
	assert_int_equal(rmdir(q), 0);
	assert_int_equal(symlink(f->elsewhere, q), 0);
	err_clear(&err);
	assert_int_equal(spool_open(f->dir, &f->sp, &err), -1);
	assert_int_equal(err.cls, ERR_CONFIG);
	assert_null(f->sp);
	assert_int_equal(unlink(q), 0);
	assert_int_equal(spool_open(f->dir, &f->sp, &err), 0);

	/* The root itself may be a symlink. */
	char *root_link = xasprintf("%s/spool-link", f->root);
	assert_int_equal(symlink(f->dir, root_link), 0);
	struct spool *via_link = NULL;
	assert_int_equal(spool_open(root_link, &via_link, &err), 0);
	assert_int_equal(spool_each_submission(via_link, "c", count_visit, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
	strlist_free(&seen);
	spool_close(&via_link);

	free(root_link);
	free(q);
	free(call_link);
	free(fake);
	free(fake_md);
	free(slug_link);
	free(version_link);
}

static int stop_after_two(const char *relpath, const struct metadata *md, void *arg)
{
	(void)relpath;
	(void)md;
	int *n = arg;
	return ++*n == 2;
}

static void test_walk_order(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	static const struct { const char *slug; int version; } rows[] = {
		{ "b", 1 }, { "a", 10 }, { "a", 2 }, { "a-2", 1 }, { "a", 1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(file_entry(f, "order", rows[i].slug, rows[i].version,
					    "accepted", true, &err), 0);
	/* Noise that is neither a slug nor a version. */
	static const char *const noise[] = {
		"calls/order/.hidden", "calls/order/a/v01", "calls/order/a/vx",
		"calls/order/a/v0", "calls/order/a/notes",
	};
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
		char *p = path_in(f, noise[i]);
		assert_int_equal(mkdir(p, 0750), 0);
		free(p);
	}
	/* A version whose metadata.json is damaged is skipped, not fatal. */
	char *bad = path_in(f, "calls/order/b/v2");
	assert_int_equal(mkdir(bad, 0750), 0);
	char *bad_md = xasprintf("%s/metadata.json", bad);
	assert_int_equal(fsio_replace(bad_md, "{not json", 9, 0640, NULL), 0);

	struct strlist seen = {0};
	assert_int_equal(spool_each_submission(f->sp, "order", count_visit, &seen, &err), 0);
	static const char *const want[] = {
		"calls/order/a/v1", "calls/order/a/v2", "calls/order/a/v10",
		"calls/order/a-2/v1", "calls/order/b/v1",
	};
	assert_int_equal(seen.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(seen.v[i], want[i]);
	strlist_free(&seen);

	int n = 0;
	assert_int_equal(spool_each_submission(f->sp, "order", stop_after_two, &n, &err), 0);
	assert_int_equal(n, 2);

	/* A call nobody submitted to yet has no directory: nothing to visit. */
	assert_int_equal(spool_each_submission(f->sp, "empty", count_visit, &seen, &err), 0);
	assert_int_equal(seen.n, 0);

	assert_int_equal(spool_latest_version(f->sp, "order", "a"), 10);
	assert_int_equal(spool_latest_version(f->sp, "order", "b"), 2);
	assert_int_equal(spool_latest_version(f->sp, "order", "nobody"), 0);
	assert_int_equal(spool_latest_version(f->sp, "nocall", "a"), 0);
	assert_int_equal(spool_latest_version(f->sp, "order", "../order"), -1);
	free(bad);
	free(bad_md);
}

static void test_index_rebuild(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	assert_int_equal(file_entry(f, "idx", "bangladesh", 1, "accepted", true, &err), 0);
	assert_int_equal(file_entry(f, "idx", "bangladesh", 2, "late", true, &err), 0);
	assert_int_equal(file_entry(f, "idx", "bangladesh", 10, "late", true, &err), 0);
	assert_int_equal(file_entry(f, "idx", "unknown-0a1b2c3d4e", 1, "accepted", false, &err), 0);
	assert_int_equal(file_entry(f, "idx", "chile", 1, "rejected", true, &err), 0);

	assert_int_equal(spool_write_index(f->sp, "idx", &err), 0);
	char *p = path_in(f, "calls/idx/index.json");
	char *first = read_text(p);
	/* Written twice in a row: the same bytes (no clock inside). */
	assert_int_equal(spool_write_index(f->sp, "idx", &err), 0);
	char *second = read_text(p);
	assert_string_equal(first, second);
	/* Deleted, then rebuilt from the entries alone. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(spool_write_index(f->sp, "idx", &err), 0);
	char *third = read_text(p);
	assert_string_equal(first, third);
	assert_false(exists_in(f, "calls/idx/index.json.tmp"));

	/* Content: submitters in slug order, current = highest vN, totals. */
	const char *bd = strstr(first, "\"slug\": \"bangladesh\"");
	const char *cl = strstr(first, "\"slug\": \"chile\"");
	const char *un = strstr(first, "\"slug\": \"unknown-0a1b2c3d4e\"");
	assert_non_null(bd);
	assert_true(bd < cl && cl < un);
	assert_true(strstr(bd, "\"name\": \"Name of bangladesh\"") < strstr(bd, "\"current\": \"v10\""));
	assert_true(strstr(bd, "\"current\": \"v10\"") < strstr(bd, "\"versions\""));
	assert_non_null(strstr(first, "\"call\": \"idx\""));
	assert_non_null(strstr(first, "\"title\": \"Title of the call\""));
	assert_non_null(strstr(first, "\"received_at\": \"2022-03-29T22:00:00Z\""));
	const char *totals = strstr(first, "\"totals\"");
	assert_non_null(totals);
	assert_non_null(strstr(totals, "\"submitters\": 3"));
	assert_non_null(strstr(totals, "\"versions\": 5"));
	assert_non_null(strstr(totals, "\"accepted\": 1"));
	assert_non_null(strstr(totals, "\"late\": 1"));
	assert_non_null(strstr(totals, "\"rejected\": 1"));
	assert_non_null(strstr(totals, "\"over_limit\": 1"));
	assert_non_null(strstr(totals, "\"unverified\": 1"));
	assert_null(strstr(first, "generated_at"));

	/* An index for a call without entries yet. */
	assert_int_equal(spool_write_index(f->sp, "fresh", &err), 0);
	char *q = path_in(f, "calls/fresh/index.json");
	char *fresh = read_text(q);
	assert_non_null(strstr(fresh, "\"submitters\": []"));
	assert_non_null(strstr(fresh, "\"versions\": 0"));
	free(fresh);
	free(q);
	free(first);
	free(second);
	free(third);
	free(p);
}

static void test_paths(void **state)
{
	struct fixture *f = *state;
	char *s = spool_submission_path("imrf-2022", "bangladesh", 3);
	assert_string_equal(s, "calls/imrf-2022/bangladesh/v3");
	free(s);
	/* 2022-03-29 23:30 in New York is already the 30th in UTC. */
	s = spool_dated_path("unmatched", 1648611000, "ID");
	assert_string_equal(s, "unmatched/2022-03-30/ID");
	free(s);
	s = spool_dated_path("ignored", 1648591140, "ID");
	assert_string_equal(s, "ignored/2022-03-29/ID");
	free(s);
	s = spool_quarantine_path("ID");
	assert_string_equal(s, "quarantine/ID");
	free(s);
	s = spool_abs(f->sp, "calls/x");
	char *want = xasprintf("%s/calls/x", f->dir);
	assert_string_equal(s, want);
	free(s);
	free(want);

	char id[40];
	spool_make_id(1648591140, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		      id);
	assert_string_equal(id, "20220329T215900Z-0123456789ab");

	static const struct { const char *p; bool ok; } rows[] = {
		{ "calls/c/s/v1", true }, { "quarantine/ID", true }, { "a", true },
		{ "", false }, { "/calls", false }, { "calls/", false }, { "calls//x", false },
		{ "calls/../x", false }, { "calls/./x", false }, { "..", false },
		{ "calls/.hidden", false }, { "calls/a\tb", false }, { "calls/a\nb", false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (spool_relpath_valid(rows[i].p) != rows[i].ok)
			fail_msg("spool_relpath_valid(\"%s\") != %d", rows[i].p, rows[i].ok);
	assert_false(spool_relpath_valid(NULL));
	struct spool_entry *e = NULL;
	assert_int_equal(spool_begin(f->sp, "p", &e, NULL), 0);
	struct err err = {0};
	assert_int_equal(spool_commit(f->sp, &e, "calls/../escape", &err), -1);
	assert_null(e);
	assert_int_equal(tmp_entries(f), 0);
}

static void test_metadata_update(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	assert_int_equal(file_entry(f, "c", "peru", 1, "accepted", true, &err), 0);
	struct metadata *md = NULL;
	assert_int_equal(spool_load_metadata(f->sp, "calls/c/peru/v1", &md, &err), 0);
	assert_string_equal(md->submitter.slug, "peru");
	assert_null(md->ack.state);
	md->ack.state = xstrdup("sent");
	assert_int_equal(spool_save_metadata(f->sp, "calls/c/peru/v1", md, &err), 0);
	metadata_free(&md);
	assert_int_equal(spool_load_metadata(f->sp, "calls/c/peru/v1", &md, &err), 0);
	assert_string_equal(md->ack.state, "sent");
	assert_false(exists_in(f, "calls/c/peru/v1/metadata.json.tmp"));

	/* Not through a symlink, not for an entry that does not exist. */
	char *link = path_in(f, "calls/c/linked");
	assert_int_equal(symlink("peru", link), 0);
	assert_int_equal(spool_save_metadata(f->sp, "calls/c/linked/v1", md, &err), -1);
	metadata_free(&md);
	assert_int_equal(spool_load_metadata(f->sp, "calls/c/linked/v1", &md, &err), -1);
	assert_null(md);
	assert_int_equal(spool_load_metadata(f->sp, "calls/c/peru/v2", &md, &err), -1);
	assert_null(md);

	/* A damaged file is named in the error. */
	char *p = path_in(f, "calls/c/peru/v1/metadata.json");
	assert_int_equal(fsio_replace(p, "[1]", 3, 0640, NULL), 0);
	assert_int_equal(spool_load_metadata(f->sp, "calls/c/peru/v1", &md, &err), -1);
	assert_int_equal(err.cls, ERR_MESSAGE);
	assert_non_null(strstr(err.msg, "calls/c/peru/v1/metadata.json"));
	/* metadata.json planted as a symlink is not read. */
	assert_int_equal(unlink(p), 0);
	char *outside = xasprintf("%s/md.json", f->elsewhere);
	assert_int_equal(fsio_replace(outside, "{}", 2, 0600, NULL), 0);
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(spool_load_metadata(f->sp, "calls/c/peru/v1", &md, &err), -1);
	assert_false(spool_entry_exists(f->sp, "calls/c/peru/v1"));
	free(outside);
	free(p);
	free(link);
}

/* A delivery record staged, then put in place by its group's commit;
 * never over a metadata.json replaced in between (intakectl). */
static void test_metadata_staged(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	const char *rel = "calls/c/peru/v1";
	assert_int_equal(file_entry(f, "c", "peru", 1, "accepted", true, &err), 0);
	assert_int_equal(spool_commit_metadata(f->sp, rel, &err), 0); /* nothing staged */
	struct metadata *md = NULL;
	assert_int_equal(spool_load_metadata(f->sp, rel, &md, &err), 0);
	md->ack.state = xstrdup("sent");
	usleep(20 * 1000); /* past the timestamp granularity */
	assert_int_equal(spool_stage_metadata(f->sp, rel, md, &err), 0);
	metadata_free(&md);
	assert_int_equal(spool_load_metadata(f->sp, rel, &md, &err), 0);
	assert_null(md->ack.state); /* staged only */
	metadata_free(&md);
	assert_int_equal(spool_commit_metadata(f->sp, rel, &err), 1);
	assert_int_equal(spool_load_metadata(f->sp, rel, &md, &err), 0);
	assert_string_equal(md->ack.state, "sent");
	assert_false(exists_in(f, "calls/c/peru/v1/metadata.json.next"));

	/* Staged, then replaced by someone else: the staged copy is dropped. */
	free(md->ack.state);
	md->ack.state = xstrdup("failed");
	assert_int_equal(spool_stage_metadata(f->sp, rel, md, &err), 0);
	usleep(20 * 1000);
	free(md->status);
	md->status = xstrdup("rejected");
	assert_int_equal(spool_save_metadata(f->sp, rel, md, &err), 0);
	metadata_free(&md);
	assert_int_equal(spool_commit_metadata(f->sp, rel, &err), 0);
	assert_false(exists_in(f, "calls/c/peru/v1/metadata.json.next"));
	assert_int_equal(spool_load_metadata(f->sp, rel, &md, &err), 0);
	assert_string_equal(md->status, "rejected");
	metadata_free(&md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_and_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_cleaned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metadata_staged, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
