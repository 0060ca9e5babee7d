/* test_words.c — SPEC §4's rule of what is counted, in tables: body
 * against documents, inline against attachment, quoted lines and the
 * signature, documents that cannot be read. The first table runs whole
 * messages through mime_analyze, as the worker does; the others ask
 * words.c's parts directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/mime.h"
#include "intaked/extract.h"
#include "intaked/util.h"
#include "words.h"

#define HDR "From: a@example.org\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
#define MIXED HDR "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
#define PLAIN(t) "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" t "\r\n"
#define NOTE PLAIN("Please find our input attached here.") /* 6 words */
#define TXT_ATT(name, t)                                                     \
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"                 \
	"Content-Disposition: attachment; filename=\"" name "\"\r\n\r\n" t "\r\n"
#define END "--b--\r\n"

/* One document as the table expects it: -2 words = not checked. */
struct doc_want {
	const char *type;
	bool is_document;
	long words;
	const char *error; /* NULL: none */
};

struct row {
	const char *name;
	const char *raw;
	const char *counted;
	long word_count;
	long body_words;
	size_t ndocs;
	struct doc_want docs[3];
};

static const struct row messages[] = {
	/* --- the body, when there is no document */
	{ "plain body", HDR "\r\nOne two three.\r\n", "body", 3, 3, 0, { { 0 } } },
	{ "quoted lines left out", HDR "\r\nOne two\r\n> quoted three four\r\n>> five\r\nsix\r\n",
	  "body", 3, 3, 0, { { 0 } } },
	{ "signature left out", HDR "\r\nOne two\r\n-- \r\nDesk Officer (Migration)\r\n",
	  "body", 2, 2, 0, { { 0 } } },
	{ "dashes without the blank are no signature", HDR "\r\nOne two\r\n--\r\nthree\r\n",
	  "body", 3, 3, 0, { { 0 } } },
	{ "only quotes", HDR "\r\n> all quoted\r\n> here\r\n", "body", 0, 0, 0, { { 0 } } },
	{ "html body as text", HDR "Content-Type: text/html\r\n\r\n<p>One <b>two</b></p><p>three</p>\r\n",
	  "body", 3, 3, 0, { { 0 } } },
	{ "plain preferred over html",
	  HDR "Content-Type: multipart/alternative; boundary=b\r\n\r\n" PLAIN("one two")
	      "--b\r\nContent-Type: text/html\r\n\r\n<p>one two three four</p>\r\n" END,
	  "body", 2, 2, 0, { { 0 } } },
	{ "first plain part is the body", MIXED PLAIN("one two") PLAIN("three four five") END,
	  "body", 2, 2, 0, { { 0 } } },
	{ "forwarded body when there is none of our own",
	  MIXED "--b\r\nContent-Type: message/rfc822\r\n\r\n"
		"From: x@example.org\r\nSubject: f\r\n\r\nfour words in here\r\n" END,
	  "body", 4, 4, 0, { { 0 } } },
	/* --- documents, when there is one: the body is not counted */
	{ "txt attachment counts instead of the body",
	  MIXED NOTE TXT_ATT("input.txt", "Alpha beta gamma.") END, "documents", 3, 6, 1,
	  { { "txt", true, 3, NULL } } },
	{ "documents are summed",
	  MIXED NOTE TXT_ATT("a.txt", "one two") TXT_ATT("b.md", "# three four five") END,
	  "documents", 5, 6, 2, { { "txt", true, 2, NULL }, { "md", true, 3, NULL } } },
	{ "inline part with a file name is an attachment",
	  MIXED NOTE "--b\r\nContent-Type: text/plain\r\n"
		     "Content-Disposition: inline; filename=\"note.txt\"\r\n\r\none two\r\n" END,
	  "documents", 2, 6, 1, { { "txt", true, 2, NULL } } },
	{ "unnamed attachment typed by its content type",
	  MIXED NOTE "--b\r\nContent-Type: text/html\r\n"
		     "Content-Disposition: attachment\r\n\r\n<p>one two three</p>\r\n" END,
	  "documents", 3, 6, 1, { { "html", true, 3, NULL } } },
	{ "quotes and signature count inside a document",
	  MIXED NOTE TXT_ATT("q.txt", "> one\r\n-- \r\ntwo") END, "documents", 2, 6, 1,
	  { { "txt", true, 2, NULL } } },
	{ "document inside a forwarded message",
	  MIXED NOTE "--b\r\nContent-Type: message/rfc822\r\n\r\n"
		     "From: x@example.org\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
		     "--c\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; "
		     "filename=\"in.txt\"\r\n\r\none two three four\r\n--c--\r\n" END,
	  "documents", 4, 6, 1, { { "txt", true, 4, NULL } } },
	/* --- attachments that are not documents leave the body counted */
	{ "image is not a document",
	  MIXED NOTE "--b\r\nContent-Type: image/png; name=\"x.png\"\r\n"
		     "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n" END,
	  "body", 6, 6, 1, { { "other", false, -1, NULL } } },
	{ "spreadsheet is not a document",
	  MIXED NOTE "--b\r\nContent-Type: application/octet-stream; name=\"t.xlsx\"\r\n\r\n"
		     "PK\x03\x04 not a word file\r\n" END,
	  "body", 6, 6, 1, { { "other", false, -1, NULL } } },
	{ "signature part is no attachment",
	  HDR "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; "
	      "boundary=b\r\n\r\n" PLAIN("signed text")
	      "--b\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n"
	      "-----BEGIN PGP SIGNATURE-----\r\n" END,
	  "body", 2, 2, 0, { { 0 } } },
	{ "external body is no attachment",
	  MIXED NOTE "--b\r\nContent-Type: message/external-body; access-type=URL; "
		     "URL=\"http://x/y.docx\"\r\n\r\n" END,
	  "body", 6, 6, 0, { { 0 } } },
	/* --- documents that cannot be read: kept, counted as 0 */
	{ "corrupt pdf counts 0, not the body",
	  MIXED NOTE "--b\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n\r\n"
		     "%PDF-1.4 broken\r\n" END,
	  "documents", 0, 6, 1, { { "pdf", true, -1, "corrupt" } } },
	{ "unreadable document beside a readable one",
	  MIXED NOTE TXT_ATT("ok.txt", "one two three")
		  "--b\r\nContent-Type: application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document; name=\"bad.docx\"\r\n\r\nPK\x03\x04garbage\r\n" END,
	  "documents", 3, 6, 2, { { "txt", true, 3, NULL }, { "docx", true, -1, "corrupt" } } },
	{ "winmail.dat is an unreadable document",
	  MIXED NOTE "--b\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n"
		     "Content-Transfer-Encoding: base64\r\n\r\neJ8+IgAAAQAA\r\n" END,
	  "documents", 0, 6, 1, { { "tnef", true, -1, "unsupported" } } },
};

static void check_doc(const struct row *r, size_t i, const struct document *d)
{
	const struct doc_want *w = &r->docs[i];

	if (strcmp(d->type, w->type) != 0 || d->is_document != w->is_document ||
	    (w->words != -2 && d->words != w->words))
		fail_msg("%s: doc %zu type=%s is_document=%d words=%ld, want %s %d %ld",
			 r->name, i, d->type, d->is_document, d->words, w->type,
			 w->is_document, w->words);
	if ((w->error == NULL) != (d->error == NULL) ||
	    (w->error != NULL && strcmp(w->error, d->error) != 0))
		fail_msg("%s: doc %zu error=%s, want %s", r->name, i,
			 d->error ? d->error : "-", w->error ? w->error : "-");
}

static void check_row(const struct row *r, int dirfd, const struct limits_config *lim)
{
	struct analysis *a = NULL;
	struct err err = { 0 };

	if (mime_analyze((const unsigned char *)r->raw, strlen(r->raw), dirfd, lim, &a, &err) < 0)
		fail_msg("%s: %s", r->name, err.msg);
	if (strcmp(a->counted, r->counted) != 0 || a->word_count != r->word_count ||
	    a->body_words != r->body_words || a->ndocs != r->ndocs)
		fail_msg("%s: counted=%s words=%ld body=%ld ndocs=%zu, want %s %ld %ld %zu",
			 r->name, a->counted, a->word_count, a->body_words, a->ndocs,
			 r->counted, r->word_count, r->body_words, r->ndocs);
	for (size_t i = 0; i < a->ndocs; i++)
		check_doc(r, i, &a->docs[i]);
	analysis_free(&a);
}

static void test_what_counts(void **state)
{
	char path[] = "/tmp/test_words.XXXXXX";
	struct limits_config lim = { .max_mime_parts = 100, .extract_timeout = 20 };
	int fd;

	(void)state;
	assert_non_null(mkdtemp(path));
	fd = open(path, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	mime_init();
	for (size_t i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		check_row(&messages[i], fd, &lim);
	mime_deinit();
	close(fd);
	assert_int_equal(fsio_rmtree(path), 0);
}

/* ---- words.c on its own */

static void test_part_roles(void **state)
{
	static const struct {
		const char *ctype, *disposition;
		bool filename;
		enum words_role want;
	} rows[] = {
		{ "text/plain", NULL, false, WORDS_BODY_PLAIN },
		{ "text/plain", "inline", false, WORDS_BODY_PLAIN },
		{ "text/html", NULL, false, WORDS_BODY_HTML },
		{ "text/plain", "inline", true, WORDS_ATTACHMENT },
		{ "text/plain", "attachment", false, WORDS_ATTACHMENT },
		{ "text/plain", "ATTACHMENT", false, WORDS_ATTACHMENT },
		{ "text/html", "attachment", false, WORDS_ATTACHMENT },
		{ "application/pdf", NULL, false, WORDS_ATTACHMENT },
		{ "image/png", "inline", false, WORDS_ATTACHMENT },
		{ "text/calendar", NULL, false, WORDS_NONE },
		{ "text/enriched", "inline", false, WORDS_NONE },
		{ "message/delivery-status", NULL, false, WORDS_NONE },
		{ "message/external-body", NULL, false, WORDS_NONE },
		{ "message/external-body", "attachment", true, WORDS_NONE },
		{ "application/pgp-signature", NULL, true, WORDS_NONE },
		{ "application/pkcs7-signature", "attachment", true, WORDS_NONE },
		{ "application/x-pkcs7-signature", NULL, false, WORDS_NONE },
		{ "application/pgp-encrypted", NULL, false, WORDS_NONE },
		{ "application/pkcs7-mime", "attachment", true, WORDS_ATTACHMENT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum words_role got = words_part_role(rows[i].ctype, rows[i].disposition,
						      rows[i].filename);
		if (got != rows[i].want)
			fail_msg("row %zu (%s %s %d): role %d, want %d", i, rows[i].ctype,
				 rows[i].disposition ? rows[i].disposition : "-",
				 rows[i].filename, got, rows[i].want);
	}
}

/* Plain over HTML, this message over a forwarded one. */
static void test_body_preference(void **state)
{
	size_t own_plain = words_body_slot(WORDS_BODY_PLAIN, false);
	size_t own_html = words_body_slot(WORDS_BODY_HTML, false);
	size_t fwd_plain = words_body_slot(WORDS_BODY_PLAIN, true);
	size_t fwd_html = words_body_slot(WORDS_BODY_HTML, true);

	(void)state;
	assert_true(own_plain < own_html && own_html < fwd_plain && fwd_plain < fwd_html);
	assert_true(fwd_html < WORDS_BODY_SLOTS);
	assert_false(words_body_slot_is_html(own_plain));
	assert_true(words_body_slot_is_html(own_html));
	assert_false(words_body_slot_is_html(fwd_plain));
	assert_true(words_body_slot_is_html(fwd_html));
}

static void test_document_types(void **state)
{
	static const char *const yes[] = { "docx", "odt", "pdf", "rtf", "txt", "md", "html", "tnef" };
	static const char *const no[] = { "other", "", "zip", "xlsx", "DOCX" };

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(words_is_document(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(words_is_document(no[i]));
	assert_false(words_is_document(NULL));
	/* SPEC §4: .doc where a converter exists. */
	assert_int_equal(words_is_document("doc"), extract_doc_available());
}

/* Documents against the body, from what the walk found. */
static void test_total(void **state)
{
	static const struct {
		const char *name;
		long body_words;
		size_t ndocs;
		struct doc_want docs[3];
		const char *counted;
		long want;
	} rows[] = {
		{ "no attachment", 42, 0, { { 0 } }, "body", 42 },
		{ "only a picture", 42, 1, { { "other", false, -1, NULL } }, "body", 42 },
		{ "negative body is 0", -1, 0, { { 0 } }, "body", 0 },
		{ "two documents summed", 42, 3,
		  { { "docx", true, 1000, NULL }, { "pdf", true, 234, NULL },
		    { "other", false, 7, NULL } }, "documents", 1234 },
		{ "unreadable only: 0, not the body", 42, 1,
		  { { "pdf", true, -1, "too_large" } }, "documents", 0 },
		{ "an error's words do not count", 42, 2,
		  { { "pdf", true, 5, "timeout" }, { "txt", true, 3, NULL } }, "documents", 3 },
		{ "sum saturates", 0, 2,
		  { { "txt", true, LONG_MAX, NULL }, { "txt", true, 5, NULL } }, "documents", LONG_MAX },
	};
	struct document docs[3];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct analysis a = { .body_words = rows[i].body_words, .docs = docs,
				      .ndocs = rows[i].ndocs };

		memset(docs, 0, sizeof(docs));
		for (size_t k = 0; k < rows[i].ndocs; k++) {
			docs[k].is_document = rows[i].docs[k].is_document;
			docs[k].words = rows[i].docs[k].words;
			docs[k].error = (char *)rows[i].docs[k].error;
		}
		words_total(&a);
		if (strcmp(a.counted, rows[i].counted) != 0 || a.word_count != rows[i].want)
			fail_msg("%s: %s %ld, want %s %ld", rows[i].name, a.counted, a.word_count,
				 rows[i].counted, rows[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_counts),
		cmocka_unit_test(test_part_roles),
		cmocka_unit_test(test_body_preference),
		cmocka_unit_test(test_document_types),
		cmocka_unit_test(test_total),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
