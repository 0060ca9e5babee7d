/* test_metadata.c — metadata.json: SPEC §6 keys and shapes, nulls, UTF-8,
 * round trip, malformed input, save/load. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "intaked/fsio.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#define T_RECEIVED 1648591140 /* 2022-03-29T21:59:00Z */
#define T_DEADLINE 1648591200 /* 2022-03-29T22:00:00Z */

static void add_document(struct metadata *md, const char *name, const char *file, long words,
			 const char *error)
{
	md->documents = xreallocarray(md->documents, md->ndocuments + 1, sizeof(*md->documents));
	struct md_document *d = &md->documents[md->ndocuments++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->file = xstrdup(file);
	d->content_type = xstrdup("application/vnd.openxmlformats-officedocument."
				  "wordprocessingml.document");
	d->type = xstrdup("docx");
	d->size = 12345;
	d->sha256 = xstrdup("aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44");
	d->words = words;
	d->error = xstrdup(error);
}

/* Every field set, with non-ASCII text in several scripts. */
static struct metadata *full_metadata(void)
{
	struct metadata *md = metadata_new();
	md->id = xstrdup("20220329T215900Z-0123456789ab");
	md->kind = xstrdup("submission");
	md->reason = xstrdup("matched by address");
	md->call = xstrdup("imrf-2022");
	md->call_title = xstrdup("Progress Declaration, IMRF 2022 — «déclaration»");
	md->status = xstrdup("accepted");
	md->submitter.name = xstrdup("Côte d'Ivoire");
	md->submitter.slug = xstrdup("cote-d-ivoire");
	md->submitter.matched_by = xstrdup("domain");
	md->submitter.verified = true;
	md->from = xstrdup("expert@mofa.gov.bd");
	md->from_name = xstrdup("Эксперт \"Quoted\" 我们");
	md->subject = xstrdup("[IMRF] إسهام مكتوب\ttab \\ backslash");
	md->message_id = xstrdup("<abc@mofa.gov.bd>");
	md->date_header = xstrdup("Tue, 29 Mar 2022 17:59:00 -0400");
	md->in_reply_to = xstrdup("<prev@x>");
	md->references = xstrdup("<a@x> <prev@x>");
	md->reply_to = xstrdup("reply@mofa.gov.bd");
	md->received_at = T_RECEIVED;
	md->deadline = T_DEADLINE;
	md->zone = xstrdup("America/New_York");
	md->timeliness = xstrdup("on_time");
	md->extended = true;
	md->word_count = 4213;
	md->word_limit = 5000;
	md->over_limit = false;
	md->counted = xstrdup("documents");
	md->language = xstrdup("fr");
	md->language_confidence = 0.5;
	add_document(md, "Bangladesh input.docx", "files/Bangladesh_input.docx", 4213, NULL);
	add_document(md, "secret.pdf", "files/secret.pdf", -1, "encrypted");
	md->version = 2;
	md->supersedes = xstrdup("v1");
	md->raw_sha256 = xstrdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	md->raw_size = 987654;
	md->imap.mailbox = xstrdup("INBOX/Sous-dossier");
	md->imap.uidvalidity = 4294967295u;
	md->imap.uid = 42;
	md->ack.state = xstrdup("sent");
	md->ack.to = xstrdup("expert@mofa.gov.bd");
	md->ack.message_id = xstrdup("<ack-1@example.org>");
	md->ack.outbox_id = xstrdup("ob-1");
	md->ack.sent_at = T_RECEIVED + 5;
	md->route.matched_by = xstrdup("to");
	strlist_push(&md->route.also, "other-call");
	strlist_push(&md->route.also, "third");
	md->auth.raw = xstrdup("mx.example.org; spf=pass; dkim=pass; dmarc=pass");
	md->auth.spf = xstrdup("pass");
	md->auth.dkim = xstrdup("pass");
	md->auth.dmarc = xstrdup("pass");
	md->filed_at = T_RECEIVED + 2;
	return md;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	return j;
}

static void test_round_trip_full(void **state)
{
	(void)state;
	struct metadata *md = full_metadata();
	char *json1 = metadata_to_json(md);
	struct metadata *back = NULL;
	struct err err = {0};
	assert_int_equal(metadata_from_json(json1, strlen(json1), &back, &err), 0);
	char *json2 = metadata_to_json(back);
	assert_string_equal(json1, json2);

	/* Spot checks on the struct itself, not only the text. */
	assert_string_equal(back->submitter.name, "Côte d'Ivoire");
	assert_string_equal(back->subject, md->subject);
	assert_string_equal(back->from_name, md->from_name);
	assert_int_equal(back->received_at, T_RECEIVED);
	assert_int_equal(back->deadline, T_DEADLINE);
	assert_int_equal(back->ack.sent_at, T_RECEIVED + 5);
	assert_int_equal(back->filed_at, T_RECEIVED + 2);
	assert_int_equal(back->imap.uidvalidity, 4294967295u);
	assert_int_equal(back->imap.uid, 42);
	assert_int_equal(back->raw_size, 987654);
	assert_int_equal(back->ndocuments, 2);
	assert_int_equal(back->documents[0].words, 4213);
	assert_null(back->documents[0].error);
	assert_int_equal(back->documents[1].words, -1);
	assert_string_equal(back->documents[1].error, "encrypted");
	assert_int_equal(back->route.also.n, 2);
	assert_string_equal(back->route.also.v[1], "third");
	assert_true(back->extended);
	assert_true(back->submitter.verified);
	assert_int_equal(back->version, 2);
	assert_string_equal(back->language, "fr");
	assert_true(back->language_confidence > 0.49 && back->language_confidence < 0.51);
	assert_int_equal(json1[strlen(json1) - 1], '\n');

	metadata_free(&back);
	assert_null(back);
	metadata_free(&md);
	free(json1);
	free(json2);
}

/* An entry filed before the language was detected has no such keys: it
 * still reads, with the language null, and is written back as null. */
static void test_language_absent(void **state)
{
	(void)state;
	struct metadata *md = full_metadata(), *back = NULL;
	struct err err = {0};
	char *text = metadata_to_json(md);
	json_t *j = parse(text);
	assert_int_equal(json_object_del(j, "language"), 0);
	assert_int_equal(json_object_del(j, "language_confidence"), 0);
	char *old = json_dumps(j, 0);
	assert_int_equal(metadata_from_json(old, strlen(old), &back, &err), 0);
	assert_null(back->language);
	assert_true(back->language_confidence < 0);
	char *again = metadata_to_json(back);
	json_t *j2 = parse(again);
	/* Written back without them: an entry filed before detection keeps
	 * its bytes. */
	assert_null(json_object_get(j2, "language"));
	assert_null(json_object_get(j2, "language_confidence"));
	json_decref(j2);
	json_decref(j);
	free(again);
	free(old);
	free(text);
	metadata_free(&back);
	metadata_free(&md);
}

/* SPEC §6 names these keys with these shapes; ours are added, none
 * renamed. */
static void test_spec_shape(void **state)
{
	(void)state;
	struct metadata *md = full_metadata();
	char *text = metadata_to_json(md);
	json_t *j = parse(text);
	static const char *const strings[] = {
		"id", "kind", "call", "status", "from", "from_name", "subject", "message_id",
		"received_at", "date_header", "deadline", "timeliness", "counted", "supersedes",
		"raw_sha256",
	};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		assert_true(json_is_string(json_object_get(j, strings[i])));
	static const char *const ints[] = { "word_count", "word_limit", "version", "raw_size" };
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		assert_true(json_is_integer(json_object_get(j, ints[i])));
	assert_true(json_is_boolean(json_object_get(j, "over_limit")));
	assert_string_equal(json_string_value(json_object_get(j, "received_at")),
			    "2022-03-29T21:59:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "deadline")),
			    "2022-03-29T22:00:00Z");

	json_t *sub = json_object_get(j, "submitter");
	assert_true(json_is_object(sub));
	assert_string_equal(json_string_value(json_object_get(sub, "slug")), "cote-d-ivoire");
	assert_string_equal(json_string_value(json_object_get(sub, "matched_by")), "domain");
	assert_true(json_is_true(json_object_get(sub, "verified")));

	json_t *docs = json_object_get(j, "documents");
	assert_true(json_is_array(docs));
	json_t *d0 = json_array_get(docs, 0), *d1 = json_array_get(docs, 1);
	static const char *const dkeys[] = {
		"name", "file", "content_type", "size", "sha256", "words", "error",
	};
	for (size_t i = 0; i < sizeof(dkeys) / sizeof(dkeys[0]); i++)
		assert_non_null(json_object_get(d0, dkeys[i]));
	assert_true(json_is_null(json_object_get(d0, "error")));
	assert_true(json_is_null(json_object_get(d1, "words")));
	assert_int_equal(json_integer_value(json_object_get(d0, "size")), 12345);

	json_t *imap = json_object_get(j, "imap");
	assert_string_equal(json_string_value(json_object_get(imap, "mailbox")),
			    "INBOX/Sous-dossier");
	assert_int_equal(json_integer_value(json_object_get(imap, "uidvalidity")), 4294967295LL);
	json_t *ack = json_object_get(j, "ack");
	assert_string_equal(json_string_value(json_object_get(ack, "state")), "sent");
	assert_true(json_is_null(json_object_get(ack, "suppressed")));
	assert_non_null(json_object_get(ack, "to"));
	assert_non_null(json_object_get(ack, "message_id"));

	/* Key order follows SPEC §6: id first, kind second. */
	const char *first = json_object_iter_key(json_object_iter(j));
	assert_string_equal(first, "id");
	assert_true(strstr(text, "\"id\"") < strstr(text, "\"kind\""));
	json_decref(j);
	free(text);
	metadata_free(&md);
}

static void test_nulls(void **state)
{
	(void)state;
	struct metadata *md = metadata_new();
	md->id = xstrdup("x");
	md->kind = xstrdup("unmatched");
	char *text = metadata_to_json(md);
	json_t *j = parse(text);
	static const char *const nulls[] = {
		"call", "status", "reason", "deadline", "word_count", "word_limit", "version",
		"supersedes", "received_at", "filed_at", "subject", "zone",
	};
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		assert_true(json_is_null(json_object_get(j, nulls[i])));
	assert_true(json_is_array(json_object_get(j, "documents")));
	assert_int_equal(json_array_size(json_object_get(j, "documents")), 0);
	json_t *ack = json_object_get(j, "ack");
	assert_true(json_is_null(json_object_get(ack, "state")));
	assert_true(json_is_null(json_object_get(ack, "sent_at")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "submitter"), "slug")));
	assert_true(json_is_false(json_object_get(json_object_get(j, "submitter"), "verified")));
	json_decref(j);

	struct metadata *back = NULL;
	assert_int_equal(metadata_from_json(text, strlen(text), &back, NULL), 0);
	assert_null(back->call);
	assert_int_equal(back->word_count, -1);
	assert_int_equal(back->word_limit, 0);
	assert_int_equal(back->deadline, 0);
	assert_int_equal(back->version, 0);
	assert_int_equal(back->ndocuments, 0);
	char *text2 = metadata_to_json(back);
	assert_string_equal(text, text2);
	free(text2);
	metadata_free(&back);
	free(text);
	metadata_free(&md);

	/* Missing keys read as null too (older or hand-made files). */
	const char *sparse = "{\"id\": \"y\", \"future_key\": [1, 2]}";
	assert_int_equal(metadata_from_json(sparse, strlen(sparse), &back, NULL), 0);
	assert_string_equal(back->id, "y");
	assert_int_equal(back->word_count, -1);
	assert_null(back->imap.mailbox);
	assert_null(back->language);
	metadata_free(&back);

	/* "language" (issue 16) survives a rewrite; absent, it stays absent,
	 * so entries filed before it keep their bytes. */
	md = metadata_new();
	text = metadata_to_json(md);
	j = parse(text);
	assert_null(json_object_get(j, "language"));
	json_decref(j);
	free(text);
	metadata_free(&md);
	const char *fr = "{\"id\": \"z\", \"language\": \"fr\"}";
	assert_int_equal(metadata_from_json(fr, strlen(fr), &back, NULL), 0);
	assert_string_equal(back->language, "fr");
	text = metadata_to_json(back);
	j = parse(text);
	assert_string_equal(json_string_value(json_object_get(j, "language")), "fr");
	json_decref(j);
	free(text);
	metadata_free(&back);
}

/* Parts not examined and linked documents survive a round trip, and an
 * unknown over_limit is JSON null, never false. */
static void test_unexamined_and_links(void **state)
{
	(void)state;
	struct metadata *md = metadata_new();
	md->id = xstrdup("x");
	md->over_limit_unknown = true;
	md->unexamined = xcalloc(2, sizeof(*md->unexamined));
	md->nunexamined = 2;
	md->unexamined[0] = (struct md_unexamined){ xstrdup("1.2-1.9"), NULL, xstrdup("parts") };
	md->unexamined[1] = (struct md_unexamined){ xstrdup("1.10"), xstrdup("input.docx"),
						    xstrdup("parts") };
	md->linked = xcalloc(1, sizeof(*md->linked));
	md->nlinked = 1;
	md->linked[0] = (struct md_link){ xstrdup("https://1drv.ms/w/s!x"), xstrdup("onedrive") };
	char *text = metadata_to_json(md);
	json_t *j = parse(text);
	assert_true(json_is_null(json_object_get(j, "over_limit")));
	json_t *u = json_array_get(json_object_get(j, "unexamined"), 1);
	assert_string_equal(json_string_value(json_object_get(u, "part")), "1.10");
	assert_string_equal(json_string_value(json_object_get(u, "name")), "input.docx");
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "unexamined"), 0),
						 "name")));
	json_t *l = json_array_get(json_object_get(j, "linked_documents"), 0);
	assert_string_equal(json_string_value(json_object_get(l, "service")), "onedrive");
	json_decref(j);

	struct metadata *back = NULL;
	assert_int_equal(metadata_from_json(text, strlen(text), &back, NULL), 0);
	assert_true(back->over_limit_unknown);
	assert_false(back->over_limit);
	assert_int_equal(back->nunexamined, 2);
	assert_null(back->unexamined[0].name);
	assert_string_equal(back->unexamined[1].reason, "parts");
	assert_int_equal(back->nlinked, 1);
	assert_string_equal(back->linked[0].url, "https://1drv.ms/w/s!x");
	char *text2 = metadata_to_json(back);
	assert_string_equal(text, text2);
	free(text2);
	free(text);
	metadata_free(&back);

	/* Over the limit already on what was read: true, not unknown. */
	md->over_limit = true;
	text = metadata_to_json(md);
	j = parse(text);
	assert_true(json_is_true(json_object_get(j, "over_limit")));
	json_decref(j);
	free(text);
	metadata_free(&md);

	/* Entries written before these keys existed: false stays false. */
	const char *old = "{\"id\": \"y\", \"over_limit\": false}";
	assert_int_equal(metadata_from_json(old, strlen(old), &back, NULL), 0);
	assert_false(back->over_limit_unknown);
	assert_int_equal(back->nunexamined, 0);
	metadata_free(&back);
}

/* Bytes that are not UTF-8 become U+FFFD; the field is never lost. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } rows[] = {
		{ "abc\xff\xfe" "def", "abc\xef\xbf\xbd\xef\xbf\xbd" "def" },
		{ "over\xc0\xaflong", "over\xef\xbf\xbd\xef\xbf\xbdlong" },
		{ "sur\xed\xa0\x80gate", "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdgate" },
		{ "cut\xe2\x82", "cut\xef\xbf\xbd\xef\xbf\xbd" },
		{ "big\xf4\x90\x80\x80", "big\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "ok €𝄞", "ok €𝄞" },
		{ "latin1 caf\xe9", "latin1 caf\xef\xbf\xbd" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct metadata *md = metadata_new();
		md->subject = xstrdup(rows[i].in);
		md->documents = xcalloc(1, sizeof(*md->documents));
		md->ndocuments = 1;
		md->documents[0].name = xstrdup(rows[i].in);
		md->documents[0].words = -1;
		char *text = metadata_to_json(md);
		struct metadata *back = NULL;
		assert_int_equal(metadata_from_json(text, strlen(text), &back, NULL), 0);
		assert_string_equal(back->subject, rows[i].want);
		assert_string_equal(back->documents[0].name, rows[i].want);
		char *text2 = metadata_to_json(back);
		assert_string_equal(text, text2);
		free(text);
		free(text2);
		metadata_free(&back);
		metadata_free(&md);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	static const struct { const char *json, *needle; } rows[] = {
		{ "", "line" },
		{ "[]", "not a JSON object" },
		{ "{", "line" },
		{ "{\"word_count\": \"many\"}", "word_count" },
		{ "{\"word_count\": -3}", "word_count" },
		{ "{\"received_at\": \"yesterday\"}", "received_at" },
		{ "{\"received_at\": 1648591140}", "received_at" },
		{ "{\"imap\": {\"uid\": -1}}", "imap.uid" },
		{ "{\"imap\": {\"uidvalidity\": 4294967296}}", "imap.uidvalidity" },
		{ "{\"imap\": []}", "imap" },
		{ "{\"documents\": {}}", "documents" },
		{ "{\"documents\": [3]}", "documents" },
		{ "{\"documents\": [{\"words\": 1.5}]}", "documents[0].words" },
		{ "{\"submitter\": 3}", "submitter" },
		{ "{\"submitter\": {\"verified\": \"yes\"}}", "submitter.verified" },
		{ "{\"route\": {\"also\": [1]}}", "route.also" },
		{ "{\"over_limit\": 0}", "over_limit" },
		{ "{\"unexamined\": {}}", "unexamined is not an array" },
		{ "{\"unexamined\": [3]}", "unexamined is not an array" },
		{ "{\"unexamined\": [{\"part\": \"1\"}]}", "unexamined[0].reason" },
		{ "{\"unexamined\": [{\"part\": 1, \"reason\": \"parts\"}]}", "unexamined[0].part" },
		{ "{\"linked_documents\": [{\"url\": \"https://x\"}]}", "linked_documents[0].service" },
		{ "{\"id\": \"a\", \"id\": \"b\"}", "line" },
		{ "{\"id\": 7}", "id" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		static struct metadata dummy;
		struct metadata *md = &dummy; /* must be reset to NULL */
		struct err err = {0};
		assert_int_equal(metadata_from_json(rows[i].json, strlen(rows[i].json), &md, &err),
				 -1);
		assert_null(md);
		assert_int_equal(err.cls, ERR_MESSAGE);
		if (strstr(err.msg, rows[i].needle) == NULL)
			fail_msg("row %zu: \"%s\" does not name %s", i, err.msg, rows[i].needle);
	}
}

/* metadata.json is written and read by the spool only (spool_save_metadata,
 * spool_load_metadata): a damaged file is an error naming it. */
static void test_save_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_metadata.XXXXXX";
	const char *rel = "calls/c/s/v1";
	struct spool *sp = NULL;
	struct err err = {0};
	assert_non_null(mkdtemp(dir));
	assert_int_equal(spool_open(dir, &sp, &err), 0);
	char *entry = xasprintf("%s/%s", dir, rel);
	assert_int_equal(fsio_mkdirs(entry, 0750, &err), 0);
	struct metadata *md = full_metadata();
	assert_int_equal(spool_save_metadata(sp, rel, md, &err), 0);
	/* Saved again: replaced, not refused. */
	md->version = 3;
	assert_int_equal(spool_save_metadata(sp, rel, md, &err), 0);
	struct metadata *back = NULL;
	assert_int_equal(spool_load_metadata(sp, rel, &back, &err), 0);
	assert_int_equal(back->version, 3);
	char *a = metadata_to_json(md), *b = metadata_to_json(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	metadata_free(&back);

	char *path = xasprintf("%s/metadata.json", entry);
	assert_int_equal(fsio_replace(path, "{\"version\": \"x\"}", 16, 0640, &err), 0);
	assert_int_equal(spool_load_metadata(sp, rel, &back, &err), -1);
	assert_null(back);
	/* the operator learns which file and which key */
	assert_non_null(strstr(err.msg, "calls/c/s/v1/metadata.json"));
	assert_non_null(strstr(err.msg, "version is not an integer"));
	unlink(path);
	assert_int_equal(spool_load_metadata(sp, rel, &back, &err), -1);
	free(path);
	free(entry);
	metadata_free(&md);
	spool_close(&sp);
	assert_int_equal(fsio_rmtree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_full),
		cmocka_unit_test(test_language_absent),
		cmocka_unit_test(test_spec_shape),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_unexamined_and_links),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_save_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
