/* test_analysis.c — word totals and the worker's JSON wire form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "words.h"

static void doc_add(struct analysis *a, const char *name, const char *type, bool is_doc,
		    long words, const char *error)
{
	struct document *d;

	a->docs = xreallocarray(a->docs, a->ndocs + 1, sizeof(*a->docs));
	d = &a->docs[a->ndocs++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->file = xasprintf("files/%s", name);
	d->content_type = xstrdup("application/octet-stream");
	d->type = xstrdup(type);
	d->size = 1234;
	memset(d->sha256, 'a', 64);
	d->is_document = is_doc;
	d->words = words;
	d->error = xstrdup(error);
}

static void header_add(struct analysis *a, const char *name, const char *value)
{
	a->headers = xreallocarray(a->headers, a->nheaders + 1, sizeof(*a->headers));
	a->headers[a->nheaders].name = xstrdup(name);
	a->headers[a->nheaders].value = xstrdup(value);
	a->nheaders++;
}

static void test_total_body_only(void **state)
{
	struct analysis *a = analysis_new();

	(void)state;
	a->body_words = 42;
	doc_add(a, "logo.png", "other", false, -1, NULL);
	words_total(a);
	assert_int_equal(a->word_count, 42);
	assert_string_equal(a->counted, "body");
	analysis_free(&a);
	assert_null(a);
}

static void test_total_documents(void **state)
{
	struct analysis *a = analysis_new();

	(void)state;
	a->body_words = 42;
	doc_add(a, "a.docx", "docx", true, 1000, NULL);
	doc_add(a, "b.pdf", "pdf", true, 234, NULL);
	doc_add(a, "c.pdf", "pdf", true, -1, "encrypted");
	doc_add(a, "logo.png", "other", false, -1, NULL);
	words_total(a);
	assert_int_equal(a->word_count, 1234);
	assert_string_equal(a->counted, "documents");
	analysis_free(&a);
}

/* Words are unknown with a part unexamined, or a link when the body was
 * what got counted; a link beside an attached document is only recorded. */
static void test_words_unknown(void **state)
{
	struct analysis *a = analysis_new();

	(void)state;
	a->body_words = 5;
	words_total(a);
	assert_false(analysis_words_unknown(a));
	analysis_add_link(a, "https://1drv.ms/w/s!x", "onedrive");
	assert_true(analysis_words_unknown(a));
	doc_add(a, "a.docx", "docx", true, 300, NULL);
	words_total(a);
	assert_false(analysis_words_unknown(a));
	analysis_add_unexamined(a, "3", "b.docx", "depth");
	assert_true(analysis_words_unknown(a));
	analysis_free(&a);
}

static void test_total_unreadable_document_only(void **state)
{
	struct analysis *a = analysis_new();

	(void)state;
	a->body_words = 42;
	doc_add(a, "c.pdf", "pdf", true, -1, "too_large");
	words_total(a);
	/* The body is a cover note, not the submission: 0, not 42. */
	assert_int_equal(a->word_count, 0);
	assert_string_equal(a->counted, "documents");
	analysis_free(&a);
}

static void test_header_lookup(void **state)
{
	struct analysis *a = analysis_new();

	(void)state;
	header_add(a, "Received", "one");
	header_add(a, "Auto-Submitted", "auto-replied");
	header_add(a, "Received", "two");
	assert_string_equal(analysis_header(a, "received"), "one");
	assert_string_equal(analysis_header(a, "AUTO-SUBMITTED"), "auto-replied");
	assert_null(analysis_header(a, "List-Id"));
	analysis_free(&a);
}

static struct analysis *sample(void)
{
	struct analysis *a = analysis_new();

	header_add(a, "From", "\"Mission\" <x@mofa.gov.bd>");
	header_add(a, "Subject", "=?UTF-8?B?w6l0w6k=?=");
	free(a->from_addr);
	a->from_addr = xstrdup("x@mofa.gov.bd");
	free(a->from_name);
	a->from_name = xstrdup("Mission \"Bangladesh\"");
	a->reply_to_addr = xstrdup("r@mofa.gov.bd");
	free(a->subject);
	a->subject = xstrdup("été — 提案");
	a->message_id = xstrdup("<id@x>");
	a->date_header = xstrdup("Tue, 29 Mar 2022 17:59:00 -0400");
	a->has_return_path = true;
	a->return_path = xstrdup("");
	strlist_push(&a->to, "inputs+imrf@example.org");
	strlist_push(&a->cc, "a@b.c");
	strlist_push(&a->cc, "d@e.f");
	strlist_push(&a->delivered_to, "inputs@example.org");
	a->content_type = xstrdup("multipart/mixed");
	free(a->body_text);
	a->body_text = xstrdup("line one\nline \"two\"\t\x01");
	a->body_words = 4;
	doc_add(a, "Bangladesh input.docx", "docx", true, 4213, NULL);
	doc_add(a, "scan.pdf", "pdf", true, -1, "no_text");
	a->warning = xstrdup("blank lines before the header skipped");
	analysis_add_unexamined(a, "12-40", NULL, "parts");
	analysis_add_unexamined(a, "41", "late.docx", "parts");
	analysis_add_unexamined(a, NULL, NULL, "depth");
	analysis_add_link(a, "https://we.tl/t-abc", "wetransfer");
	words_total(a);
	return a;
}

static void test_json_round_trip(void **state)
{
	struct analysis *a = sample(), *b = NULL;
	struct err err = { 0 };
	char *json = analysis_to_json(a), *again;

	(void)state;
	assert_int_equal(analysis_from_json(json, strlen(json), &b, &err), 0);
	assert_non_null(b);
	assert_int_equal(b->nheaders, 2);
	assert_string_equal(b->headers[1].value, "=?UTF-8?B?w6l0w6k=?=");
	assert_string_equal(b->from_addr, "x@mofa.gov.bd");
	assert_string_equal(b->from_name, "Mission \"Bangladesh\"");
	assert_string_equal(b->reply_to_addr, "r@mofa.gov.bd");
	assert_null(b->sender_addr);
	assert_string_equal(b->subject, "été — 提案");
	assert_true(b->has_return_path);
	assert_string_equal(b->return_path, "");
	assert_int_equal(b->cc.n, 2);
	assert_string_equal(b->cc.v[1], "d@e.f");
	assert_int_equal(b->original_to.n, 0);
	assert_string_equal(b->body_text, a->body_text);
	assert_int_equal(b->ndocs, 2);
	assert_string_equal(b->docs[0].file, "files/Bangladesh input.docx");
	assert_int_equal(b->docs[0].words, 4213);
	assert_int_equal(b->docs[1].words, -1);
	assert_string_equal(b->docs[1].error, "no_text");
	assert_int_equal(b->docs[0].size, 1234);
	assert_true(b->docs[0].is_document);
	assert_int_equal(strlen(b->docs[0].sha256), 64);
	assert_int_equal(b->word_count, 4213);
	assert_string_equal(b->counted, "documents");
	assert_string_equal(b->warning, a->warning);
	assert_int_equal(b->nunexamined, 3);
	assert_string_equal(b->unexamined[0].part, "12-40");
	assert_null(b->unexamined[0].name);
	assert_string_equal(b->unexamined[1].name, "late.docx");
	assert_null(b->unexamined[2].part);
	assert_string_equal(b->unexamined[2].reason, "depth");
	assert_int_equal(b->nlinks, 1);
	assert_string_equal(b->links[0].service, "wetransfer");
	assert_true(analysis_words_unknown(b));
	/* Encoding what was decoded gives the same bytes. */
	again = analysis_to_json(b);
	assert_string_equal(again, json);
	free(again);
	free(json);
	analysis_free(&a);
	analysis_free(&b);
}

static void test_json_invalid_utf8_survives(void **state)
{
	struct analysis *a = analysis_new(), *b = NULL;
	struct err err = { 0 };
	char *json;

	(void)state;
	free(a->subject);
	a->subject = xstrdup("caf\xe9");
	json = analysis_to_json(a);
	assert_int_equal(analysis_from_json(json, strlen(json), &b, &err), 0);
	assert_string_equal(b->subject, "caf\xEF\xBF\xBD");
	free(json);
	analysis_free(&a);
	analysis_free(&b);
}

static void test_json_minimal_object(void **state)
{
	struct analysis *b = NULL;
	struct err err = { 0 };

	(void)state;
	assert_int_equal(analysis_from_json("{}", 2, &b, &err), 0);
	assert_string_equal(b->from_addr, "");
	assert_string_equal(b->subject, "");
	assert_string_equal(b->body_text, "");
	assert_null(b->message_id);
	assert_int_equal(b->ndocs, 0);
	assert_string_equal(b->counted, "body");
	analysis_free(&b);
}

static const char *const malformed[] = {
	"",
	"not json",
	"[]",
	"\"string\"",
	"{\"from_addr\": 5}",
	"{\"subject\": [\"x\"]}",
	"{\"to\": \"a@b.c\"}",
	"{\"to\": [1]}",
	"{\"headers\": [[\"From\"]]}",
	"{\"headers\": [[\"From\", 1]]}",
	"{\"headers\": {}}",
	"{\"has_return_path\": \"yes\"}",
	"{\"body_words\": -5}",
	"{\"body_words\": 1.5}",
	"{\"counted\": \"everything\"}",
	"{\"docs\": [5]}",
	"{\"docs\": [{\"size\": -1}]}",
	"{\"docs\": [{\"words\": -2}]}",
	"{\"docs\": [{\"sha256\": \"" "00000000000000000000000000000000"
	"000000000000000000000000000000000\"}]}",
	"{\"docs\": [{\"file\": \"../etc/passwd\"}]}",
	"{\"docs\": [{\"file\": \"files/../x\"}]}",
	"{\"docs\": [{\"file\": \"files/a/b\"}]}",
	"{\"docs\": [{\"file\": \"files/\"}]}",
	"{\"docs\": [{\"file\": \"/tmp/x\"}]}",
	"{\"subject\": \"a\", \"subject\": \"b\"}",
	"{\"subject\": \"nul\\u0000inside\"}",
	"{\"subject\": \"x\"} trailing",
	"{\"unexamined\": [5]}",
	"{\"unexamined\": [{\"part\": \"1\"}]}",
	"{\"unexamined\": [{\"reason\": 3}]}",
	"{\"links\": [{\"url\": \"https://x\"}]}",
	"{\"links\": {}}",
};

static void test_json_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct analysis *b = (struct analysis *)1;
		struct err err = { 0 };

		if (analysis_from_json(malformed[i], strlen(malformed[i]), &b, &err) != -1)
			fail_msg("accepted: %s", malformed[i]);
		assert_null(b);
		assert_int_equal(err.cls, ERR_MESSAGE);
		assert_non_null(strstr(err.msg, "worker output malformed"));
	}
}

static void test_json_length_is_respected(void **state)
{
	const char *json = "{\"subject\":\"a\"}garbage";
	struct analysis *b = NULL;
	struct err err = { 0 };

	(void)state;
	assert_int_equal(analysis_from_json(json, 15, &b, &err), 0);
	assert_string_equal(b->subject, "a");
	analysis_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_total_body_only),
		cmocka_unit_test(test_total_documents),
		cmocka_unit_test(test_total_unreadable_document_only),
		cmocka_unit_test(test_words_unknown),
		cmocka_unit_test(test_header_lookup),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_invalid_utf8_survives),
		cmocka_unit_test(test_json_minimal_object),
		cmocka_unit_test(test_json_malformed),
		cmocka_unit_test(test_json_length_is_respected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
