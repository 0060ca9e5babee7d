/* test_mime.c — crafted messages through mime_analyze (GMime + extract). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/mime.h"
#include "intaked/util.h"

struct fixture {
	char path[64];
	int fd;
	struct limits_config lim;
	struct analysis *a;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->path, sizeof(f->path), "/tmp/test_mime.XXXXXX");
	if (mkdtemp(f->path) == NULL)
		return -1;
	f->fd = open(f->path, O_RDONLY | O_DIRECTORY);
	f->lim.max_attachment_size = 1 << 20;
	f->lim.max_mime_parts = 100;
	f->lim.max_mime_depth = 20;
	f->lim.extract_timeout = 20;
	*state = f;
	return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	analysis_free(&f->a);
	close(f->fd);
	fsio_rmtree(f->path);
	free(f);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	mime_init();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mime_deinit();
	return 0;
}

static struct analysis *run_len(struct fixture *f, const char *raw, size_t len)
{
	struct err err = { 0 };

	analysis_free(&f->a);
	if (mime_analyze((const unsigned char *)raw, len, f->fd, &f->lim, &f->a, &err) < 0)
		fail_msg("mime_analyze: %s", err.msg);
	return f->a;
}

static struct analysis *run(struct fixture *f, const char *raw)
{
	return run_len(f, raw, strlen(raw));
}

static char *file_content(struct fixture *f, const char *rel)
{
	char *path, *data = NULL;
	struct err err = { 0 };

	assert_true(strncmp(rel, "files/", 6) == 0);
	path = xasprintf("%s/%s", f->path, rel + 6);
	assert_int_equal(fsio_read_file(path, 1 << 20, &data, NULL, &err), 0);
	free(path);
	return data;
}

static unsigned files_in_dir(struct fixture *f)
{
	char *cmd = xasprintf("ls -A %s | wc -l", f->path);
	FILE *p = popen(cmd, "r");
	unsigned n = 0;

	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	free(cmd);
	return n;
}

/* ---- addresses and headers ---- */

static const char msg_headers[] =
	"Return-Path: <>\r\n"
	"Delivered-To: Inputs+IMRF@Example.org\r\n"
	"X-Original-To: inputs@example.org\r\n"
	"From: \"boss@un.int\" <Evil@Attacker.Example>\r\n"
	"From: second@example.org\r\n"
	"Sender: =?UTF-8?Q?S=C3=A9c?= <Sec@Mofa.gov.bd>\r\n"
	"Reply-To: Team <team@mofa.gov.bd>, other@x.y\r\n"
	"To: Undisclosed: A <a@example.org>, b@example.org;,\r\n"
	"\tc@example.org\r\n"
	"To: d@example.org\r\n"
	"Cc: =?ISO-8859-1?Q?Jos=E9?= <JOSE@example.org>\r\n"
	"Subject: =?UTF-8?B?w6l0w6k=?= and\r\n"
	" =?UTF-8?Q?caf=C3=A9?=\r\n"
	"Subject: second subject\r\n"
	"Message-ID:\r\n <abc.123@mofa.gov.bd>\r\n"
	"In-Reply-To: <x@y>\r\n"
	"References: <r1@y>\r\n <r2@y>\r\n"
	"Date: Tue, 29 Mar 2022 17:59:00 -0400\r\n"
	"X-Raw: caf\xe9 latin-1\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Hello world\r\n";

static void test_headers_and_addresses(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f, msg_headers);

	/* Local part as written, domain lower-case (address.c). */
	assert_string_equal(a->from_addr, "Evil@attacker.example");
	assert_string_equal(a->from_name, "boss@un.int");
	assert_string_equal(a->sender_addr, "Sec@mofa.gov.bd");
	assert_string_equal(a->reply_to_addr, "team@mofa.gov.bd");
	assert_true(a->has_return_path);
	assert_string_equal(a->return_path, "");
	assert_int_equal(a->to.n, 4);
	assert_string_equal(a->to.v[0], "a@example.org");
	assert_string_equal(a->to.v[1], "b@example.org");
	assert_string_equal(a->to.v[2], "c@example.org");
	assert_string_equal(a->to.v[3], "d@example.org");
	assert_int_equal(a->cc.n, 1);
	assert_string_equal(a->cc.v[0], "jose@example.org");
	assert_int_equal(a->delivered_to.n, 1);
	assert_string_equal(a->delivered_to.v[0], "inputs+imrf@example.org");
	assert_string_equal(a->original_to.v[0], "inputs@example.org");
	assert_string_equal(a->subject, "été and café");
	assert_string_equal(a->message_id, "<abc.123@mofa.gov.bd>");
	assert_string_equal(a->in_reply_to, "<x@y>");
	assert_string_equal(a->references, "<r1@y> <r2@y>");
	assert_string_equal(a->date_header, "Tue, 29 Mar 2022 17:59:00 -0400");
	assert_string_equal(a->content_type, "text/plain");
	/* Every top-level header, in order, unfolded, not decoded. */
	assert_string_equal(a->headers[0].name, "Return-Path");
	assert_string_equal(analysis_header(a, "subject"),
			    "=?UTF-8?B?w6l0w6k=?= and =?UTF-8?Q?caf=C3=A9?=");
	assert_string_equal(analysis_header(a, "X-Raw"), "caf\xEF\xBF\xBD latin-1");
	assert_string_equal(analysis_header(a, "Content-Type"), "text/plain; charset=utf-8");
	assert_string_equal(a->headers[a->nheaders - 1].name, "Content-Type");
	assert_string_equal(a->body_text, "Hello world\r\n");
	assert_int_equal(a->body_words, 2);
	assert_string_equal(a->counted, "body");
	assert_int_equal(a->word_count, 2);
	assert_int_equal(a->ndocs, 0);
	assert_null(a->warning);
}

static void test_subject_injection_and_controls(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Subject: =?UTF-8?Q?Input=0D=0ABcc:_victim@x.org?= =?UTF-8?Q?=07bell=C2=85?=\r\n"
		"\r\nbody\r\n");

	assert_null(strchr(a->subject, '\r'));
	assert_null(strchr(a->subject, '\n'));
	assert_null(strchr(a->subject, '\a'));
	assert_null(strstr(a->subject, "\xC2\x85"));
	assert_non_null(strstr(a->subject, "Input"));
	assert_non_null(strstr(a->subject, "Bcc: victim@x.org"));
}

/* Display names as several mail systems write them: unquoted specials. */
static void test_from_with_specials(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f, "From: Smith, John <j@x.org>\r\n\r\nx\r\n");

	assert_string_equal(a->from_addr, "j@x.org");
	assert_string_equal(a->from_name, "Smith, John");
	a = run(f, "From: =?UTF-8?Q?Mission_de_la_C=C3=B4te?= [Gen\xC3\xA8ve] "
		"<desk@xn--brgeramt-65a.test>\r\n\r\nx\r\n");
	assert_string_equal(a->from_addr, "desk@xn--brgeramt-65a.test");
	assert_string_equal(a->from_name, "Mission de la C\xC3\xB4te [Gen\xC3\xA8ve]");
	a = run(f, "From: \"Desk \\\"A\\\"\" <d@x.org>\r\n\r\nx\r\n");
	assert_string_equal(a->from_name, "Desk \"A\"");
	a = run(f, "From: desk\r\n\r\nx\r\n");
	assert_string_equal(a->from_addr, "");
}

static void test_no_from(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f, "Subject: hi\r\n\r\nno sender\r\n");

	assert_string_equal(a->from_addr, "");
	assert_string_equal(a->from_name, "");
	assert_false(a->has_return_path);
	assert_null(a->return_path);
	assert_null(a->message_id);
}

/* ---- bodies ---- */

static void test_latin1_quoted_printable_body(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=ISO-8859-1\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"Caf=E9 cr=E8me br=FBl=E9e, tr=E8s =\r\n"
		"bonne.\r\n"
		"> cit=E9 pas compt=E9\r\n"
		"-- \r\n"
		"Signature non compt=E9e\r\n");

	assert_non_null(strstr(a->body_text, "Café crème brûlée, très bonne."));
	assert_int_equal(a->body_words, 5);
	assert_int_equal(a->word_count, 5);
}

static void test_html_only_body(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: text/html; charset=utf-8\r\n"
		"\r\n"
		"<html><head><style>p { color: red }</style></head>"
		"<body><p>Hello&nbsp;<b>wor</b>ld</p><p>second&amp;para</p></body></html>\r\n");

	assert_non_null(strstr(a->body_text, "Hello"));
	assert_null(strstr(a->body_text, "<p>"));
	assert_null(strstr(a->body_text, "color"));
	assert_int_equal(a->body_words, 3);
}

static void test_alternative_prefers_plain(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: multipart/alternative; boundary=alt\r\n"
		"\r\n"
		"--alt\r\n"
		"Content-Type: text/html\r\n\r\n"
		"<p>html version here</p>\r\n"
		"--alt\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"plain version\r\n"
		"--alt--\r\n");

	assert_string_equal(a->body_text, "plain version");
	assert_int_equal(a->body_words, 2);
}

/* ---- attachments ---- */

static const char msg_attachment[] =
	"From: Mission <x@mofa.gov.bd>\r\n"
	"Subject: input\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"==b1==\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--==b1==\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"Please find our input attached.\r\n"
	"--==b1==\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Disposition: attachment;\r\n"
	" filename*0*=UTF-8''D%C3%A9claration%20;\r\n"
	" filename*1*=finale.txt\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"TGEgZMOpY2xhcmF0aW9uIGZpbmFsZSBjb21wdGUgc2l4IG1vdHMu\r\n"
	"--==b1==\r\n"
	"Content-Type: application/octet-stream; name=\"=?UTF-8?B?RMOpY2xhcmF0aW9uIGZpbmFsZS50eHQ=?=\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"U2Vjb25kIGNvcHk=\r\n"
	"--==b1==\r\n"
	"Content-Type: image/png\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"iVBORw0KGgo=\r\n"
	"--==b1==--\r\n";

static void test_attachment_rfc2231_name(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f, msg_attachment);
	char *content;

	assert_string_equal(a->body_text, "Please find our input attached.");
	assert_int_equal(a->ndocs, 3);

	assert_string_equal(a->docs[0].name, "Déclaration finale.txt");
	assert_string_equal(a->docs[0].file, "files/Déclaration_finale.txt");
	assert_string_equal(a->docs[0].content_type, "text/plain");
	assert_string_equal(a->docs[0].type, "txt");
	assert_true(a->docs[0].is_document);
	assert_int_equal(a->docs[0].size, strlen("La déclaration finale compte six mots."));
	assert_int_equal(a->docs[0].words, 6);
	assert_null(a->docs[0].error);
	content = file_content(f, a->docs[0].file);
	assert_string_equal(content, "La déclaration finale compte six mots.");
	free(content);
	/* sha256 of the decoded bytes */
	char sha[65];
	sha256_hex("La déclaration finale compte six mots.",
		   strlen("La déclaration finale compte six mots."), sha);
	assert_string_equal(a->docs[0].sha256, sha);

	/* RFC 2047 inside a quoted name (Outlook), same name: a new file. */
	assert_string_equal(a->docs[1].name, "Déclaration finale.txt");
	assert_string_equal(a->docs[1].file, "files/Déclaration_finale-2.txt");
	assert_int_equal(a->docs[1].words, 2);

	/* An inline image without a name is kept but does not count. */
	assert_string_equal(a->docs[2].name, "");
	assert_string_equal(a->docs[2].file, "files/attachment");
	assert_false(a->docs[2].is_document);
	assert_int_equal(a->docs[2].words, -1);

	assert_string_equal(a->counted, "documents");
	assert_int_equal(a->word_count, 8);
	assert_int_equal(files_in_dir(f), 3);
}

static void test_too_large_attachment_not_saved(void **state)
{
	struct fixture *f = *state;
	struct analysis *a;

	f->lim.max_attachment_size = 11;
	a = run(f, msg_attachment);
	assert_int_equal(a->ndocs, 3);
	assert_string_equal(a->docs[0].error, "too_large");
	assert_null(a->docs[0].file);
	assert_int_equal(a->docs[0].words, -1);
	assert_int_equal(a->docs[0].size, strlen("La déclaration finale compte six mots."));
	assert_non_null(a->docs[1].file); /* 11 bytes: at the limit, kept */
	assert_int_equal(files_in_dir(f), 2);
	assert_int_equal(a->word_count, 2);
}

static void test_spent_budget_marks_documents(void **state)
{
	struct fixture *f = *state;
	struct analysis *a;

	f->lim.extract_timeout = 1; /* nothing left for converters */
	a = run(f, msg_attachment);
	assert_int_equal(a->ndocs, 3);
	assert_string_equal(a->docs[0].error, "timeout");
	assert_non_null(a->docs[0].file);
	assert_int_equal(a->docs[0].words, -1);
	assert_null(a->docs[2].error); /* not a document: nothing to convert */
	assert_string_equal(a->body_text, "Please find our input attached.");
	assert_string_equal(a->counted, "documents");
	assert_int_equal(a->word_count, 0);
}

static void test_nested_message_attachment(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: forwarder@mission.org\r\n"
		"Subject: Fwd: our input\r\n"
		"Content-Type: multipart/mixed; boundary=outer\r\n"
		"\r\n"
		"--outer\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"See the forwarded message.\r\n"
		"--outer\r\n"
		"Content-Type: message/rfc822\r\n\r\n"
		"From: expert@mission.org\r\n"
		"Subject: input\r\n"
		"Content-Type: multipart/mixed; boundary=inner\r\n"
		"\r\n"
		"--inner\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"inner body\r\n"
		"--inner\r\n"
		"Content-Type: text/plain; name=\"input.txt\"\r\n"
		"Content-Disposition: attachment\r\n\r\n"
		"one two three four\r\n"
		"--inner--\r\n"
		"--outer--\r\n");

	assert_string_equal(a->from_addr, "forwarder@mission.org");
	assert_string_equal(a->body_text, "See the forwarded message.");
	assert_int_equal(a->ndocs, 1);
	assert_string_equal(a->docs[0].name, "input.txt");
	assert_int_equal(a->docs[0].words, 4);
	assert_string_equal(a->counted, "documents");
	assert_int_equal(a->word_count, 4);
}

static void test_tnef_is_unsupported(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
		"--b\r\n"
		"Content-Type: application/ms-tnef; name=\"winmail.dat\"\r\n"
		"Content-Disposition: attachment; filename=\"winmail.dat\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		"eJ8+IgAAAQAA\r\n"
		"--b--\r\n");

	assert_int_equal(a->ndocs, 1);
	assert_string_equal(a->docs[0].type, "tnef");
	assert_string_equal(a->docs[0].error, "unsupported");
	assert_non_null(a->docs[0].file);
}

static void test_signature_part_is_not_an_attachment(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n"
		"--s\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n"
		"--s\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n"
		"-----BEGIN PGP SIGNATURE-----\r\nxx\r\n-----END PGP SIGNATURE-----\r\n"
		"--s--\r\n");

	assert_int_equal(a->ndocs, 0);
	assert_int_equal(a->body_words, 2);
}

static void test_filename_with_path_and_nul(void **state)
{
	struct fixture *f = *state;
	static const char raw[] =
		"From: a@b.c\r\n"
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\n"
		"Content-Type: text/plain\r\n"
		"Content-Disposition: attachment; filename=\"../../x\0y.txt\"\r\n\r\n"
		"one\r\n"
		"--b\r\n"
		"Content-Type: text/plain\r\n"
		"Content-Disposition: attachment; filename=\"C:\\\\evil\\\\..\\\\.profile\"\r\n\r\n"
		"two\r\n"
		"--b--\r\n";
	struct analysis *a = run_len(f, raw, sizeof(raw) - 1);

	assert_int_equal(a->ndocs, 2);
	/* GMime cuts the name at the NUL (and loses the closing quote). */
	assert_string_equal(a->docs[0].name, "\"../../x");
	assert_string_equal(a->docs[0].file, "files/x");
	assert_string_equal(a->docs[1].file, "files/profile");
	assert_int_equal(files_in_dir(f), 2);
}

/* ---- hostile structure ---- */

static void test_libetpan_crasher_boundary(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: multipart/mixed; boundary=\"\\\"\"\r\n"
		"\r\n"
		"--\"\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"survived\r\n"
		"--\"--\r\n");

	assert_string_equal(a->content_type, "multipart/mixed");
	assert_string_equal(a->body_text, "survived");
}

static char *deep_message(unsigned depth)
{
	struct buf b;

	buf_init(&b, 1 << 24);
	assert_int_equal(buf_puts(&b, "From: a@b.c\r\nSubject: deep\r\n"), 0);
	for (unsigned i = 0; i < depth; i++)
		assert_int_equal(buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"b%u\"\r\n"
					       "\r\n--b%u\r\n", i, i), 0);
	assert_int_equal(buf_puts(&b, "Content-Type: text/plain; name=\"deep.txt\"\r\n\r\n"
				      "buried words\r\n"), 0);
	for (unsigned i = depth; i-- > 0;)
		assert_int_equal(buf_printf(&b, "--b%u--\r\n", i), 0);
	return buf_steal(&b);
}

static void test_deep_nesting_is_bounded(void **state)
{
	struct fixture *f = *state;
	char *raw = deep_message(2000);
	struct timespec t0, t1;
	struct analysis *a;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = run(f, raw);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(raw);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(a->ndocs, 0);
	/* Nothing hidden: what lies deeper is listed, and the parser's own
	 * limit (1024 levels) adds an entry it cannot place. */
	assert_true(a->nunexamined >= 1);
	for (size_t i = 0; i < a->nunexamined; i++)
		assert_string_equal(a->unexamined[i].reason, "depth");
	assert_string_equal(a->from_addr, "a@b.c");
}

static void test_shallow_nesting_is_read(void **state)
{
	struct fixture *f = *state;
	char *raw = deep_message(10);
	struct analysis *a = run(f, raw);

	free(raw);
	assert_int_equal(a->ndocs, 1);
	assert_int_equal(a->docs[0].words, 2);
	assert_int_equal(a->nunexamined, 0);
}

/* Past max_mime_depth: the part is named with its section number. */
static void test_too_deep_is_named(void **state)
{
	struct fixture *f = *state;
	char *raw = deep_message(25);
	struct analysis *a = run(f, raw);

	free(raw);
	assert_int_equal(a->ndocs, 0);
	assert_int_equal(a->nunexamined, 1);
	/* b0 is the top level; b1..b24 are 1, 1.1, ...; deep.txt is in b24. */
	assert_string_equal(a->unexamined[0].name, "deep.txt");
	assert_string_equal(a->unexamined[0].reason, "depth");
	assert_int_equal(strlen(a->unexamined[0].part), 2 * 25 - 1);
	assert_true(analysis_words_unknown(a));
}

static void test_parts_limit(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	struct analysis *a;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "From: a@b.c\r\n"
				      "Content-Type: multipart/mixed; boundary=p\r\n\r\n"), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(buf_printf(&b, "--p\r\nContent-Type: application/pdf; "
					       "name=\"f%d.pdf\"\r\n\r\nx\r\n", i), 0);
	assert_int_equal(buf_puts(&b, "--p--\r\n"), 0);
	f->lim.max_mime_parts = 10;
	a = run_len(f, b.data, b.len);
	buf_free(&b);
	/* The multipart itself is one of the ten. */
	assert_int_equal(a->ndocs, 9);
	/* The other 41 are named, each with its section number. */
	assert_int_equal(a->nunexamined, 41);
	assert_string_equal(a->unexamined[0].part, "10");
	assert_string_equal(a->unexamined[0].name, "f9.pdf");
	assert_string_equal(a->unexamined[40].part, "50");
	assert_string_equal(a->unexamined[40].reason, "parts");
}

/* Unnamed parts past the limit are listed as runs; a document after
 * them, and one inside a forwarded message, by name. */
static void test_parts_limit_runs(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	struct analysis *a;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "From: a@b.c\r\n"
				      "Content-Type: multipart/mixed; boundary=p\r\n\r\n"
				      "--p\r\nContent-Type: text/plain\r\n\r\nfive words of body text\r\n"), 0);
	for (int i = 0; i < 30; i++)
		assert_int_equal(buf_printf(&b, "--p\r\nContent-Type: text/plain\r\n"
					       "Content-Disposition: inline\r\n\r\nsig %d\r\n", i), 0);
	assert_int_equal(buf_puts(&b, "--p\r\nContent-Type: application/pdf; name=\"in.pdf\"\r\n"
				      "\r\nx\r\n"
				      "--p\r\nContent-Type: message/rfc822\r\n\r\n"
				      "From: c@d.e\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n"
				      "--q\r\nContent-Type: text/plain\r\n\r\nfwd\r\n"
				      "--q\r\nContent-Type: application/pdf; name=\"fwd.pdf\"\r\n\r\nx\r\n"
				      "--q--\r\n--p--\r\n"), 0);
	f->lim.max_mime_parts = 5;
	a = run_len(f, b.data, b.len);
	buf_free(&b);
	assert_int_equal(a->nunexamined, 4);
	assert_string_equal(a->unexamined[0].part, "5-31");
	assert_null(a->unexamined[0].name);
	assert_string_equal(a->unexamined[1].part, "32");
	assert_string_equal(a->unexamined[1].name, "in.pdf");
	assert_string_equal(a->unexamined[2].part, "33.1");
	assert_string_equal(a->unexamined[3].part, "33.2");
	assert_string_equal(a->unexamined[3].name, "fwd.pdf");
	assert_int_equal(a->word_count, 5);
	assert_true(analysis_words_unknown(a));
}

/* A document over max_attachment_size is kept in message.eml, marked
 * too_large, and listed as unexamined ("size"). */
static void test_too_large_is_unexamined(void **state)
{
	struct fixture *f = *state;
	struct analysis *a;

	f->lim.max_attachment_size = 4;
	a = run(f, "From: a@b.c\r\n"
		   "Content-Type: multipart/mixed; boundary=p\r\n\r\n"
		   "--p\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
		   "--p\r\nContent-Type: text/plain; name=\"big.txt\"\r\n"
		   "Content-Disposition: attachment\r\n\r\nmany words in here\r\n--p--\r\n");
	assert_int_equal(a->ndocs, 1);
	assert_string_equal(a->docs[0].error, "too_large");
	assert_int_equal(a->nunexamined, 1);
	assert_string_equal(a->unexamined[0].part, "2");
	assert_string_equal(a->unexamined[0].name, "big.txt");
	assert_string_equal(a->unexamined[0].reason, "size");
}

/* A link in the HTML alternative (an href) is found; none is fetched. */
static void test_linked_document(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
		"--alt\r\nContent-Type: text/plain\r\n\r\nOur input is here.\r\n"
		"--alt\r\nContent-Type: text/html\r\n\r\n"
		"<p>Our input is <a href=\"https://drive.google.com/file/d/1x/view?usp=sharing\">"
		"here</a>.</p>\r\n--alt--\r\n");

	assert_int_equal(a->nlinks, 1);
	assert_string_equal(a->links[0].url, "https://drive.google.com/file/d/1x/view?usp=sharing");
	assert_string_equal(a->links[0].service, "google_drive");
	assert_string_equal(a->counted, "body");
	assert_true(analysis_words_unknown(a));
}

static void test_headerless_input(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f, "just some words\nwithout any header\n");

	assert_string_equal(a->from_addr, "");
	assert_int_equal(a->body_words, 6);
	assert_non_null(a->warning);
	a = run(f, "   \r\nFrom: late@b.c\r\nSubject: x\r\n\r\nbody here\r\n");
	assert_string_equal(a->from_addr, "late@b.c");
	assert_int_equal(a->body_words, 2);
	a = run_len(f, "", 0);
	assert_string_equal(a->from_addr, "");
	assert_int_equal(a->word_count, 0);
}

static void test_boundaryless_multipart_keeps_text(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@b.c\r\n"
		"Content-Type: multipart/alternative;\r\n"
		"\r\n"
		"Blah blah blah\r\n");

	assert_int_equal(a->body_words, 3);
}

static void test_write_failure_is_temporary(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = NULL;
	struct err err = { 0 };

	assert_int_equal(mime_analyze((const unsigned char *)msg_attachment,
				      strlen(msg_attachment), -1, &f->lim, &a, &err), -1);
	assert_null(a);
	assert_int_equal(err.cls, ERR_TEMP);
}

/* The language is that of the counted text: the document's when one is
 * read (an English covering note with a Russian attachment is Russian),
 * else the body's; no text, no language. */
static void test_language_of_counted_text(void **state)
{
	struct fixture *f = *state;
	struct analysis *a = run(f,
		"From: a@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n\r\nPlease find our input attached to this mail.\r\n"
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
		"Content-Disposition: attachment; filename=\"ru.txt\"\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\n"
		"Делегация приветствует доклад Генерального секретаря об устойчивом развитии. "
		"Мы призываем все государства-члены действовать сейчас.\r\n--b--\r\n");
	assert_string_equal(a->counted, "documents");
	assert_string_equal(a->language, "ru");
	assert_true(a->language_confidence > 0.0 && a->language_confidence <= 1.0);
	a = run(f, "From: a@example.org\r\nSubject: x\r\n\r\n"
		   "Nous appuyons ce projet de résolution sans réserve. La délégation française "
		   "salue l'engagement de l'Assemblée générale.\r\n");
	assert_string_equal(a->counted, "body");
	assert_string_equal(a->language, "fr");
	a = run(f, "From: a@example.org\r\nSubject: x\r\n\r\n\r\n");
	assert_string_equal(a->language, "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_headers_and_addresses),
		T(test_subject_injection_and_controls),
		T(test_from_with_specials),
		T(test_no_from),
		T(test_latin1_quoted_printable_body),
		T(test_html_only_body),
		T(test_alternative_prefers_plain),
		T(test_attachment_rfc2231_name),
		T(test_too_large_attachment_not_saved),
		T(test_spent_budget_marks_documents),
		T(test_nested_message_attachment),
		T(test_tnef_is_unsupported),
		T(test_signature_part_is_not_an_attachment),
		T(test_filename_with_path_and_nul),
		T(test_libetpan_crasher_boundary),
		T(test_deep_nesting_is_bounded),
		T(test_shallow_nesting_is_read),
		T(test_parts_limit),
		T(test_parts_limit_runs),
		T(test_too_deep_is_named),
		T(test_linked_document),
		T(test_too_large_is_unexamined),
		T(test_headerless_input),
		T(test_boundaryless_multipart_keeps_text),
		T(test_write_failure_is_temporary),
		T(test_language_of_counted_text),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
