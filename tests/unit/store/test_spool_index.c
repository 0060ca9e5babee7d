/* test_spool_index.c — calls/CALL/index.json, streamed: the bytes are
 * those the jansson-tree implementation wrote (the fixtures below were
 * produced by it, before index.json was streamed), for a spool with
 * several submitters and versions, every status and timeliness, nulls,
 * strings that need escaping, damaged entries, symlinks and junk names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

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

static int setup(void **state)
{
	return spool_fixture_setup(state, "test_spool_index");
}

/* mkdir -p spool/rel and write text as rel/name. */
static void put_file(const struct fixture *f, const char *rel, const char *name,
		     const char *text)
{
	char *d = xasprintf("%s/%s", f->dir, rel);
	assert_int_equal(fsio_mkdirs(d, 0750, NULL), 0);
	char *p = xasprintf("%s/%s", d, name);
	assert_int_equal(fsio_replace(p, text, strlen(text), 0640, NULL), 0);
	free(p);
	free(d);
}

struct row {
	const char *slug;
	int version;
	const char *id, *title, *status, *timeliness, *name;
	long received_offset;     /* 0: received_at null */
	long words;               /* -1: null */
	bool over_limit, verified;
};

static void put_entry(const struct fixture *f, const char *call, const struct row *r)
{
	struct metadata *md = metadata_new();
	md->id = r->id ? xstrdup(r->id) : NULL;
	md->kind = xstrdup("submission");
	md->call = xstrdup(call);
	md->call_title = r->title ? xstrdup(r->title) : NULL;
	md->status = r->status ? xstrdup(r->status) : NULL;
	md->timeliness = r->timeliness ? xstrdup(r->timeliness) : NULL;
	md->submitter.name = r->name ? xstrdup(r->name) : NULL;
	md->submitter.slug = xstrdup(r->slug);
	md->submitter.verified = r->verified;
	md->received_at = r->received_offset ? 1648591140 + r->received_offset : 0;
	md->word_count = r->words;
	md->word_limit = 1000;
	md->over_limit = r->over_limit;
	md->version = r->version;
	char *rel = spool_submission_path(call, r->slug, r->version);
	char *json = metadata_to_json(md);
	put_file(f, rel, "metadata.json", json);
	free(json);
	free(rel);
	metadata_free(&md);
}

static char *read_index(const struct fixture *f, const char *call)
{
	char *p = xasprintf("%s/calls/%s/index.json", f->dir, call);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(fsio_read_file(p, 1 << 20, &text, &len, NULL), 0);
	assert_int_equal(strlen(text), len);
	free(p);
	return text;
}

/* On a mismatch, leave the bytes where a fixture can be made from them. */
static void assert_index(const struct fixture *f, const char *call, const char *want)
{
	char *got = read_index(f, call);
	if (strcmp(got, want) != 0) {
		char *p = xasprintf("/tmp/test_spool_index.%s.json", call);
		fsio_replace(p, got, strlen(got), 0644, NULL);
		print_error("index.json of %s differs from the fixture; written to %s\n", call, p);
		free(p);
	}
	assert_string_equal(got, want);
	free(got);
}

static const char want_mixed[] =
	"{\n"
	"  \"call\": \"mixed\",\n"
	"  \"title\": \"Title U\",\n"
	"  \"submitters\": [\n"
	"    {\n"
	"      \"slug\": \"alpha\",\n"
	"      \"name\": \"Alpha\",\n"
	"      \"current\": \"v10\",\n"
	"      \"versions\": [\n"
	"        {\n"
	"          \"version\": 1,\n"
	"          \"id\": \"a1\",\n"
	"          \"received_at\": \"2022-03-29T22:00:00Z\",\n"
	"          \"status\": \"accepted\",\n"
	"          \"timeliness\": \"early\",\n"
	"          \"word_count\": 100,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": true\n"
	"        },\n"
	"        {\n"
	"          \"version\": 2,\n"
	"          \"id\": \"a2\",\n"
	"          \"received_at\": \"2022-03-29T22:01:00Z\",\n"
	"          \"status\": \"late\",\n"
	"          \"timeliness\": \"late\",\n"
	"          \"word_count\": 2000,\n"
	"          \"over_limit\": true,\n"
	"          \"verified\": true\n"
	"        },\n"
	"        {\n"
	"          \"version\": 10,\n"
	"          \"id\": \"a10\",\n"
	"          \"received_at\": \"2022-03-29T22:02:00Z\",\n"
	"          \"status\": \"rejected\",\n"
	"          \"timeliness\": \"late\",\n"
	"          \"word_count\": 3000,\n"
	"          \"over_limit\": true,\n"
	"          \"verified\": true\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"slug\": \"beta\",\n"
	"      \"name\": \"B\303\251ta\\n\",\n"
	"      \"current\": \"v3\",\n"
	"      \"versions\": [\n"
	"        {\n"
	"          \"version\": 1,\n"
	"          \"id\": \"quote\\\" back\\\\ slash/ tab\\t ctl\\u0001 \303\251 \342\234\223 \177\",\n"
	"          \"received_at\": null,\n"
	"          \"status\": null,\n"
	"          \"timeliness\": null,\n"
	"          \"word_count\": null,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": false\n"
	"        },\n"
	"        {\n"
	"          \"version\": 3,\n"
	"          \"id\": \"b3\",\n"
	"          \"received_at\": \"2022-03-29T22:03:00Z\",\n"
	"          \"status\": \"accepted\",\n"
	"          \"timeliness\": \"within_grace\",\n"
	"          \"word_count\": 0,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": true\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"slug\": \"epsilon\",\n"
	"      \"name\": null,\n"
	"      \"current\": \"v3\",\n"
	"      \"versions\": [\n"
	"        {\n"
	"          \"version\": 1,\n"
	"          \"id\": \"e1\",\n"
	"          \"received_at\": \"2022-03-29T22:05:00Z\",\n"
	"          \"status\": \"accepted\",\n"
	"          \"timeliness\": \"on_time\",\n"
	"          \"word_count\": 10,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": false\n"
	"        },\n"
	"        {\n"
	"          \"version\": 3,\n"
	"          \"id\": \"e3\",\n"
	"          \"received_at\": null,\n"
	"          \"status\": \"accepted\",\n"
	"          \"timeliness\": null,\n"
	"          \"word_count\": null,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": true\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"slug\": \"gamma\",\n"
	"      \"name\": \"Gamma\",\n"
	"      \"current\": \"v1\",\n"
	"      \"versions\": [\n"
	"        {\n"
	"          \"version\": 1,\n"
	"          \"id\": \"g1\",\n"
	"          \"received_at\": \"2022-03-29T22:04:00Z\",\n"
	"          \"status\": \"late\",\n"
	"          \"timeliness\": \"within_grace\",\n"
	"          \"word_count\": 50,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": true\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"slug\": \"unknown-0a1b2c3d4e\",\n"
	"      \"name\": null,\n"
	"      \"current\": \"v1\",\n"
	"      \"versions\": [\n"
	"        {\n"
	"          \"version\": 1,\n"
	"          \"id\": \"u1\",\n"
	"          \"received_at\": \"2022-03-29T22:06:00Z\",\n"
	"          \"status\": \"late\",\n"
	"          \"timeliness\": \"late\",\n"
	"          \"word_count\": 20,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": false\n"
	"        }\n"
	"      ]\n"
	"    },\n"
	"    {\n"
	"      \"slug\": \"zeta\",\n"
	"      \"name\": \"Zeta\",\n"
	"      \"current\": \"v2\",\n"
	"      \"versions\": [\n"
	"        {\n"
	"          \"version\": 1,\n"
	"          \"id\": \"z1\",\n"
	"          \"received_at\": \"2022-03-29T22:07:00Z\",\n"
	"          \"status\": \"accepted\",\n"
	"          \"timeliness\": \"on_time\",\n"
	"          \"word_count\": 30,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": true\n"
	"        },\n"
	"        {\n"
	"          \"version\": 2,\n"
	"          \"id\": \"z2\",\n"
	"          \"received_at\": \"2022-03-29T22:08:00Z\",\n"
	"          \"status\": \"accepted\",\n"
	"          \"timeliness\": \"on_time\",\n"
	"          \"word_count\": 40,\n"
	"          \"over_limit\": false,\n"
	"          \"verified\": true\n"
	"        }\n"
	"      ]\n"
	"    }\n"
	"  ],\n"
	"  \"totals\": {\n"
	"    \"submitters\": 6,\n"
	"    \"versions\": 11,\n"
	"    \"accepted\": 3,\n"
	"    \"late\": 2,\n"
	"    \"rejected\": 1,\n"
	"    \"over_limit\": 1,\n"
	"    \"unverified\": 1\n"
	"  }\n"
	"}\n";

static void test_index_bytes(void **state)
{
	struct fixture *f = *state;
	static const struct row rows[] = {
		/* current v10 (numeric order, not v2), rejected, over the limit */
		{ "alpha", 1, "a1", "Title \"A\"", "accepted", "early", "Alpha", 60, 100, false, true },
		{ "alpha", 2, "a2", "Title \"A\"", "late", "late", "Alpha (renamed)", 120, 2000, true, true },
		{ "alpha", 10, "a10", "Title \"A\"", "rejected", "late", "Alpha", 180, 3000, true, true },
		/* every nullable value null; escapes; no title */
		{ "beta", 1, "quote\" back\\ slash/ tab\t ctl\x01 \xc3\xa9 \xe2\x9c\x93 \x7f", NULL,
		  NULL, NULL, NULL, 0, -1, false, false },
		{ "beta", 3, "b3", NULL, "accepted", "within_grace", "B\xc3\xa9ta\n", 240, 0, false, true },
		/* the highest version is damaged: current is v1 */
		{ "gamma", 1, "g1", "Title G", "late", "within_grace", "Gamma", 300, 50, false, true },
		/* unverified and current accepted */
		{ "epsilon", 1, "e1", "Title E", "accepted", "on_time", "Eps", 360, 10, false, false },
		{ "unknown-0a1b2c3d4e", 1, "u1", "Title U", "late", "late", NULL, 420, 20, false, false },
		/* last slug, without a title: the title is the one before */
		{ "zeta", 1, "z1", NULL, "accepted", "on_time", "Zeta", 480, 30, false, true },
		{ "zeta", 2, "z2", NULL, "accepted", "on_time", "Zeta", 540, 40, false, true },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		put_entry(f, "mixed", &rows[i]);

	/* Damaged or odd entries: skipped. */
	put_file(f, "calls/mixed/gamma/v2", "metadata.json", "{not json");
	put_file(f, "calls/mixed/delta/v1", "metadata.json", "{\"id\": 7}");
	put_file(f, "calls/mixed/epsilon/v2", "message.eml", "no metadata\r\n");
	/* Minimal: missing keys read as their null values. */
	put_file(f, "calls/mixed/epsilon/v3", "metadata.json",
		 "{\"id\": \"e3\", \"status\": \"accepted\", \"submitter\": {\"verified\": true}}");
	/* Junk names, a file and symlinks where directories belong. */
	static const char *const junk[] = {
		"calls/mixed/.hidden/v1", "calls/mixed/with.dot/v1", "calls/mixed/_x/v1",
		"calls/mixed/alpha/v01", "calls/mixed/alpha/v0", "calls/mixed/alpha/vx",
		"calls/mixed/alpha/notes",
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		put_file(f, junk[i], "metadata.json", "{\"id\": \"junk\", \"call_title\": \"Junk\"}");
	put_file(f, "calls/mixed", "file-slug", "not a directory\n");
	put_file(f, "calls/mixed/alpha", "v11", "not a directory\n");
	put_file(f, "calls/mixed", "index.json", "stale\n");
	put_file(f, "calls/mixed", "index.json.tmp", "crash leftover\n");
	const struct row planted = { "evil", 1, "planted", "Planted", "accepted", "on_time",
				     "Evil", 1, 1, false, true };
	put_entry(f, "outside", &planted);
	char *target = xasprintf("%s/calls/outside/evil", f->dir);
	char *link = xasprintf("%s/calls/mixed/evil", f->dir);
	assert_int_equal(symlink(target, link), 0);
	free(link);
	link = xasprintf("%s/calls/mixed/zeta/v3", f->dir);
	char *vtarget = xasprintf("%s/v1", target);
	assert_int_equal(symlink(vtarget, link), 0);

	struct err err = {0};
	assert_int_equal(spool_write_index(f->sp, "mixed", &err), 0);
	assert_index(f, "mixed", want_mixed);
	/* Again: the same bytes, and no staging file left. */
	assert_int_equal(spool_write_index(f->sp, "mixed", &err), 0);
	assert_index(f, "mixed", want_mixed);
	char *tmp = xasprintf("%s/calls/mixed/index.json.tmp", f->dir);
	assert_false(fsio_exists(tmp));
	free(tmp);
	free(vtarget);
	free(link);
	free(target);
}

static const char want_empty[] =
	"{\n"
	"  \"call\": \"none\",\n"
	"  \"title\": null,\n"
	"  \"submitters\": [],\n"
	"  \"totals\": {\n"
	"    \"submitters\": 0,\n"
	"    \"versions\": 0,\n"
	"    \"accepted\": 0,\n"
	"    \"late\": 0,\n"
	"    \"rejected\": 0,\n"
	"    \"over_limit\": 0,\n"
	"    \"unverified\": 0\n"
	"  }\n"
	"}\n";

static void test_index_empty(void **state)
{
	struct fixture *f = *state;
	struct err err = {0};
	/* No directory yet, then one holding only junk. */
	assert_int_equal(spool_write_index(f->sp, "none", &err), 0);
	assert_index(f, "none", want_empty);
	put_file(f, "calls/none/gone/v1", "metadata.json", "[]");
	assert_int_equal(spool_write_index(f->sp, "none", &err), 0);
	assert_index(f, "none", want_empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_index_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_empty, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
