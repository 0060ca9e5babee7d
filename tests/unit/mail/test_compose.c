/* test_compose.c — outgoing messages read back by an independent parser
 * (GMime) and checked on the wire: CRLF only, line lengths, encoded-word
 * sizes and boundaries, no header injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <ctype.h>
#include <gmime/gmime.h>
#include <unistr.h>

#include "intaked/classify.h"
#include "compose.h"
#include "intaked/util.h"

/* --- wire checks ------------------------------------------------------- */

static size_t header_end(const char *msg)
{
	const char *p = strstr(msg, "\r\n\r\n");
	assert_non_null(p);
	return (size_t)(p - msg) + 2;
}

/* CRLF only, no NUL, every line <= max. */
static void check_lines(const char *msg, size_t len, size_t max)
{
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		assert_int_not_equal(msg[i], '\0');
		if (msg[i] == '\r') {
			assert_true(i + 1 < len && msg[i + 1] == '\n');
			assert_in_range(col, 0, max);
			col = 0;
			i++;
			continue;
		}
		assert_int_not_equal(msg[i], '\n'); /* bare LF */
		col++;
	}
	assert_int_equal(col, 0); /* ends with CRLF */
}

static int b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(t, c);
	return c && p ? (int)(p - t) : -1;
}

/* Decode one encoded-word's payload (B or Q) into out. */
static size_t ew_decode(char enc, const char *s, size_t n, unsigned char *out)
{
	size_t o = 0;
	if (enc == 'B') {
		assert_int_equal(n % 4, 0);
		for (size_t i = 0; i < n; i += 4) {
			int v[4];
			for (int k = 0; k < 4; k++)
				v[k] = s[i + k] == '=' ? 0 : b64val(s[i + k]);
			for (int k = 0; k < 4; k++)
				assert_true(v[k] >= 0);
			uint32_t x = (uint32_t)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
			out[o++] = (unsigned char)(x >> 16);
			if (s[i + 2] != '=')
				out[o++] = (unsigned char)(x >> 8);
			if (s[i + 3] != '=')
				out[o++] = (unsigned char)x;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '_') {
				out[o++] = ' ';
			} else if (s[i] == '=') {
				char h[3] = { s[i + 1], s[i + 2], 0 };
				out[o++] = (unsigned char)strtol(h, NULL, 16);
				i += 2;
			} else {
				assert_true(s[i] > 0x20 && s[i] < 0x7F && s[i] != '?');
				out[o++] = (unsigned char)s[i];
			}
		}
	}
	return o;
}

/* Every encoded-word in the header section is <= 75 characters and
 * decodes to complete UTF-8 on its own. Returns how many there were. */
static int check_encoded_words(const char *msg)
{
	size_t hlen = header_end(msg);
	int count = 0;
	for (const char *p = msg; (p = strcasestr(p, "=?UTF-8?")) != NULL && (size_t)(p - msg) < hlen;) {
		char enc = (char)toupper((unsigned char)p[8]);
		assert_true(enc == 'B' || enc == 'Q');
		assert_int_equal(p[9], '?');
		const char *end = strstr(p + 10, "?=");
		assert_non_null(end);
		size_t total = (size_t)(end - p) + 2;
		assert_in_range(total, 13, 998);
		unsigned char out[128];
		size_t n = ew_decode(enc, p + 10, (size_t)(end - p - 10), out);
		assert_null(u8_check(out, n));
		count++;
		p = end + 2;
	}
	return count;
}

static int count_header(const char *msg, const char *name)
{
	size_t hlen = header_end(msg), nl = strlen(name);
	int n = 0;
	for (const char *p = msg; p < msg + hlen; p = strstr(p, "\r\n") + 2)
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			n++;
	return n;
}

/* --- GMime ------------------------------------------------------------- */

static GMimeMessage *parse(const char *msg, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(msg, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(st);
	assert_non_null(m);
	return m;
}

/* Decoded content of a leaf part; caller frees. */
static char *part_content(GMimeObject *obj, size_t *len_r)
{
	assert_true(GMIME_IS_PART(obj));
	GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, out);
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	char *s = xstrndup((const char *)a->data, a->len);
	*len_r = a->len;
	g_object_unref(out);
	return s;
}

static char *compose_ok(const struct compose_mail *m, char **id_r, size_t *len_r)
{
	char *msg = compose_message(m, id_r, len_r);
	assert_non_null(msg);
	assert_int_equal(strlen(msg), *len_r);
	/* RFC 5322's hard limit: GMime cannot fold a long media type, nor
	 * (3.2) split a long run of non-ASCII text into encoded-words of at
	 * most 75 characters. test_subjects checks 78 where it can fold. */
	check_lines(msg, header_end(msg), 998);
	check_encoded_words(msg);
	return msg;
}

static struct compose_mail base_mail(void)
{
	return (struct compose_mail){
		.from = "GCM Written Inputs <inputs@example.org>",
		.to = "expert@mofa.gov.bd",
		.subject = "Test",
		.body = "Hello.\n",
		.auto_submitted = "auto-replied",
		.language = "en",
		.date = 1648591140, /* 2022-03-29T21:59:00Z, a Tuesday */
	};
}

/* --- tests ------------------------------------------------------------- */

/* Subjects whose lines GMime keeps within 78 characters: all but those
 * with a long run of non-ASCII text (it writes one long encoded-word), or
 * a word longer than a line. */
static bool folds_within_78(const char *s)
{
	return strstr(s, "国际") == NULL && strstr(s, "😀") == NULL &&
	       strstr(s, "verylongword") == NULL;
}

static const struct {
	const char *in, *want;
} subjects[] = {
	{ "Written input", "Written input" },
	{ "", "" },
	{ "  padded   and\tspaced  ", "padded and spaced" },
	{ "Contribution écrite du Bangladesh — Déclaration sur les progrès, IMRF 2022, "
	  "version révisée et définitive",
	  "Contribution écrite du Bangladesh — Déclaration sur les progrès, IMRF 2022, "
	  "version révisée et définitive" },
	{ "国际移民审查论坛进展宣言书面意见提交中华人民共和国常驻联合国代表团关于移民问题的书面意见",
	  "国际移民审查论坛进展宣言书面意见提交中华人民共和国常驻联合国代表团关于移民问题的书面意见" },
	{ "Emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 end",
	  "Emoji 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 end" },
	{ "Hi\r\nBcc: victim@x", "Hi Bcc: victim@x" },
	{ "Hi\nBcc: victim@x\r\n\r\nbody", "Hi Bcc: victim@x body" },
	{ "Hi\rTo: x@y", "Hi To: x@y" },
	{ "bad \xff\xfe bytes \xc3", "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD" },
	/* Already an encoded-word (decoding to "Hi\r\nBcc: victim@x"): it
	 * must travel as literal text, not be decoded by the reader. */
	{ "=?utf-8?b?SGkNCkJjYzogdmljdGltQHg=?=", "=?utf-8?b?SGkNCkJjYzogdmljdGltQHg=?=" },
	{ "A very long plain ASCII subject line that goes on and on past the seventy-eight "
	  "character limit of a header line, so it has to be folded",
	  "A very long plain ASCII subject line that goes on and on past the seventy-eight "
	  "character limit of a header line, so it has to be folded" },
	{ "Oneveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword",
	  "Oneveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword" },
};

static void test_subjects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++) {
		struct compose_mail m = base_mail();
		m.subject = subjects[i].in;
		char *id;
		size_t len;
		char *msg = compose_ok(&m, &id, &len);
		if (folds_within_78(subjects[i].in))
			check_lines(msg, header_end(msg), 78);
		assert_int_equal(count_header(msg, "Bcc"), 0);
		assert_int_equal(count_header(msg, "To"), 1);
		assert_int_equal(count_header(msg, "Subject"), 1);
		GMimeMessage *g = parse(msg, len);
		const char *got = g_mime_message_get_subject(g);
		if (strcmp(got ? got : "", subjects[i].want) != 0)
			fail_msg("row %zu: subject %s, want %s", i, got, subjects[i].want);
		assert_null(g_mime_object_get_header(GMIME_OBJECT(g), "Bcc"));
		g_object_unref(g);
		free(msg);
		free(id);
	}
}

static void test_header_function(void **state)
{
	(void)state;
	char *h = compose_header("Sub\r\nject", "Hi\r\nBcc: victim@x");
	assert_string_equal(h, "Subject: Hi Bcc: victim@x\r\n");
	free(h);
	h = compose_header("X-Test", "=?utf-8?b?SGkNCkJjYzogdmljdGltQHg=?=");
	assert_true(strncmp(h, "X-Test: =?UTF-8?", 16) == 0);
	check_lines(h, strlen(h), 78);
	free(h);
	h = compose_header("Subject", NULL);
	assert_string_equal(h, "Subject:\r\n");
	free(h);
}

static void test_fixed_headers(void **state)
{
	(void)state;
	struct compose_mail m = base_mail();
	char *id;
	size_t len;
	char *msg = compose_ok(&m, &id, &len);
	assert_non_null(strstr(msg, "Date: Tue, 29 Mar 2022 21:59:00 +0000\r\n"));
	assert_non_null(strstr(msg, "\r\nFrom: GCM Written Inputs <inputs@example.org>\r\n"));
	assert_non_null(strstr(msg, "\r\nTo: expert@mofa.gov.bd\r\n"));
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(msg, "\r\nX-Auto-Response-Suppress: All\r\n"));
	assert_non_null(strstr(msg, "\r\nPrecedence: bulk\r\n"));
	assert_non_null(strstr(msg, "\r\n" CLASSIFY_LOOP_HEADER ": inputs@example.org\r\n"));
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Language: en\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
	assert_int_equal(count_header(msg, "In-Reply-To"), 0);
	assert_int_equal(count_header(msg, "References"), 0);
	/* <32 hex @ the From domain>, and the same in the message */
	assert_int_equal(strlen(id), 1 + 32 + 1 + strlen("example.org") + 1);
	assert_true(id[0] == '<' && strcmp(id + 33, "@example.org>") == 0);
	char *line = xasprintf("\r\nMessage-ID: %s\r\n", id);
	assert_non_null(strstr(msg, line));
	free(line);
	char *id2;
	char *msg2 = compose_ok(&m, &id2, &len);
	assert_string_not_equal(id, id2);
	free(msg2);
	free(id2);
	free(msg);
	free(id);

	m.auto_submitted = "auto-generated\r\nBcc: x@y";
	m.language = "fr\r\nX: y";
	msg = compose_ok(&m, NULL, &len);
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generatedBccxy\r\n"));
	assert_non_null(strstr(msg, "\r\nContent-Language: frXy\r\n"));
	free(msg);
}

static void test_addresses(void **state)
{
	(void)state;
	struct compose_mail m = base_mail();
	m.from = "\"Secrétariat du PMM, contributions\" <inputs@example.org>";
	m.to = "Mission <bangladesh@un.int>";
	size_t len;
	char *msg = compose_ok(&m, NULL, &len);
	GMimeMessage *g = parse(msg, len);
	InternetAddressList *from = g_mime_message_get_from(g);
	assert_int_equal(internet_address_list_length(from), 1);
	InternetAddress *a = internet_address_list_get_address(from, 0);
	assert_string_equal(internet_address_get_name(a), "Secrétariat du PMM, contributions");
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
			    "inputs@example.org");
	InternetAddressList *to = g_mime_message_get_to(g);
	assert_int_equal(internet_address_list_length(to), 1);
	a = internet_address_list_get_address(to, 0);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)),
			    "bangladesh@un.int");
	g_object_unref(g);
	free(msg);

	m.from = "Plain, \"Quoted\" Name <inputs@example.org>";
	msg = compose_ok(&m, NULL, &len);
	g = parse(msg, len);
	a = internet_address_list_get_address(g_mime_message_get_from(g), 0);
	assert_string_equal(internet_address_get_name(a), "Plain, \"Quoted\" Name");
	g_object_unref(g);
	free(msg);

	static const char *const bad[] = { "victim@x\r\nBcc: y@z", "no-at-sign", "a b@c",
					   "<>", "x@", "@y", "Name <a@b>\r\nBcc: c@d>" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = base_mail();
		m.to = bad[i];
		char *id = (char *)0x1;
		assert_null(compose_message(&m, &id, &len));
		m = base_mail();
		m.from = bad[i];
		assert_null(compose_message(&m, NULL, &len));
	}
}

static void test_threading(void **state)
{
	(void)state;
	struct compose_mail m = base_mail();
	m.in_reply_to = "<orig@mofa.gov.bd>";
	m.references = "<r1@x> junk <bad id@z> <r2@y>\r\nBcc: v@x <orig@mofa.gov.bd> <r1@x> <>";
	size_t len;
	char *msg = compose_ok(&m, NULL, &len);
	assert_non_null(strstr(msg, "\r\nIn-Reply-To: <orig@mofa.gov.bd>\r\n"));
	assert_non_null(strstr(msg, "\r\nReferences: <r1@x> <r2@y> <orig@mofa.gov.bd>\r\n"));
	assert_int_equal(count_header(msg, "Bcc"), 0);
	free(msg);

	/* A long thread: the root and the most recent 19 are kept. */
	struct buf refs;
	buf_init(&refs, 1 << 16);
	for (int i = 0; i < 50; i++)
		buf_printf(&refs, "<message-%02d-of-a-long-thread@mission.example.org> ", i);
	m.references = refs.data;
	m.in_reply_to = "<last@x>";
	msg = compose_ok(&m, NULL, &len);
	assert_non_null(strstr(msg, "References: <message-00-of"));
	assert_null(strstr(msg, "<message-01-of"));
	assert_null(strstr(msg, "<message-31-of"));
	assert_non_null(strstr(msg, "<message-32-of"));
	assert_non_null(strstr(msg, "<message-49-of-a-long-thread@mission.example.org> <last@x>\r\n"));
	GMimeMessage *g = parse(msg, len);
	GMimeReferences *r = g_mime_references_parse(NULL,
		g_mime_object_get_header(GMIME_OBJECT(g), "References"));
	assert_int_equal(g_mime_references_length(r), 20);
	g_mime_references_free(r);
	g_object_unref(g);
	buf_free(&refs);
	free(msg);
}

static void test_body(void **state)
{
	(void)state;
	struct buf in;
	buf_init(&in, 1 << 16);
	buf_puts(&in, "Dear colleagues,\n\nReceived on: 2022-03-29 17:59 EDT = on time.\n"
		      "From here on, a line with trailing blanks   \n.\n"
		      "tab\tinside and at end\t\r\n"
		      "Élève très ");
	for (int i = 0; i < 30; i++)
		buf_puts(&in, "très ");
	buf_puts(&in, "\n中文测试中文测试中文测试中文测试中文测试中文测试中文测试中文测试中文测试中文\r"
		      "no final newline");
	struct compose_mail m = base_mail();
	m.body = in.data;
	size_t len;
	char *msg = compose_ok(&m, NULL, &len);
	check_lines(msg, len, 78);
	const char *body = msg + header_end(msg) + 2;
	check_lines(body, strlen(body), 76);

	GMimeMessage *g = parse(msg, len);
	size_t n;
	char *text = part_content(g_mime_message_get_mime_part(g), &n);
	/* Same text with CRLF line ends (and a final one). */
	struct buf want;
	buf_init(&want, 1 << 16);
	for (const char *p = in.data; *p; p++) {
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n' || *p == '\r')
			buf_puts(&want, "\r\n");
		else
			buf_append(&want, p, 1);
	}
	buf_puts(&want, "\r\n");
	assert_string_equal(text, want.data);
	free(text);
	g_object_unref(g);
	free(msg);
	buf_free(&want);

	/* Invalid UTF-8 and controls. */
	m.body = "ok \xff\xc3 ctl\x01\x1b end\n";
	msg = compose_ok(&m, NULL, &len);
	g = parse(msg, len);
	text = part_content(g_mime_message_get_mime_part(g), &n);
	assert_string_equal(text, "ok \xEF\xBF\xBD\xEF\xBF\xBD ctl end\r\n");
	free(text);
	g_object_unref(g);
	free(msg);
	buf_free(&in);
}

static void test_attachments(void **state)
{
	(void)state;
	unsigned char bin[1000];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7);
	const char *csv = "call,submitter,words\nimrf-2022,Bangladesh,4213\n";
	struct compose_attachment at[] = {
		{ "imrf-2022.csv", "text/csv; charset=utf-8", csv, strlen(csv) },
		{ "Contribución de la República Dominicana — versión final revisada.docx",
		  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		  bin, sizeof(bin) },
		{ "evil\"\r\nContent-Type: text/html\r\n.pdf", "text/plain\r\nX-Evil: 1",
		  "x", 1 },
	};
	struct compose_mail m = base_mail();
	m.attachments = at;
	m.nattachments = 3;
	size_t len;
	char *msg = compose_ok(&m, NULL, &len);
	/* "Content-Type: application/vnd.openxmlformats-...document;" is 86
	 * characters, which GMime does not fold: the hard limit, then. */
	check_lines(msg, len, 998);
	assert_null(strstr(msg, "\r\nX-Evil"));
	assert_null(strstr(msg, "\r\nContent-Type: text/html"));
	GMimeMessage *g = parse(msg, len);
	GMimeObject *top = g_mime_message_get_mime_part(g);
	assert_true(GMIME_IS_MULTIPART(top));
	GMimeMultipart *mp = GMIME_MULTIPART(top);
	assert_int_equal(g_mime_multipart_get_count(mp), 4);
	size_t n;
	char *text = part_content(g_mime_multipart_get_part(mp, 0), &n);
	assert_string_equal(text, "Hello.\r\n");
	free(text);
	for (int i = 0; i < 3; i++) {
		GMimePart *p = GMIME_PART(g_mime_multipart_get_part(mp, i + 1));
		const char *fn = g_mime_part_get_filename(p);
		assert_non_null(fn);
		if (i < 2)
			assert_string_equal(fn, at[i].filename);
		else
			assert_string_equal(fn, "evil\" Content-Type: text/html .pdf");
		assert_true(g_mime_part_is_attachment(p));
		char *data = part_content(GMIME_OBJECT(p), &n);
		assert_int_equal(n, at[i].len);
		assert_memory_equal(data, at[i].data, n);
		free(data);
	}
	GMimeContentType *ct = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, 2));
	assert_string_equal(g_mime_content_type_get_media_subtype(ct),
			    "vnd.openxmlformats-officedocument.wordprocessingml.document");
	g_object_unref(g);
	free(msg);
}

/* Only 7-bit bytes on the wire: the body is quoted-printable, the rest
 * base64 or encoded-words. */
static void check_7bit(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] >= 0x80)
			fail_msg("8-bit byte at %zu", i);
}

/* Long lines without blanks, non-ASCII everywhere: quoted-printable lines
 * of at most 76, and the text back byte for byte. */
static void test_qp_long_lines(void **state)
{
	(void)state;
	struct buf in;
	buf_init(&in, 1 << 16);
	for (int i = 0; i < 200; i++)
		buf_puts(&in, i % 3 ? "x" : "é");
	buf_puts(&in, "\n");
	for (int i = 0; i < 120; i++)
		buf_puts(&in, "中");
	buf_puts(&in, "\n= at the start, =3D literal, and a tab at the end\t\n");
	struct compose_mail m = base_mail();
	m.body = in.data;
	size_t len, n;
	char *msg = compose_ok(&m, NULL, &len);
	check_7bit(msg, len);
	const char *body = msg + header_end(msg) + 2;
	check_lines(body, strlen(body), 76);
	GMimeMessage *g = parse(msg, len);
	char *text = part_content(g_mime_message_get_mime_part(g), &n);
	struct buf want;
	buf_init(&want, 1 << 16);
	for (const char *p = in.data; *p; p++)
		buf_puts(&want, *p == '\n' ? "\r\n" : (char[]){ *p, 0 });
	assert_string_equal(text, want.data);
	free(text);
	g_object_unref(g);
	free(msg);
	buf_free(&want);
	buf_free(&in);
}

/* Non-ASCII file names travel as RFC 2231 parameters and come back whole,
 * the longest one split over numbered sections. */
static void test_rfc2231_filenames(void **state)
{
	(void)state;
	struct compose_attachment at[] = {
		{ "Résumé.pdf", "application/pdf", "%PDF", 4 },
		{ "国际移民审查论坛进展宣言书面意见提交中华人民共和国常驻联合国代表团关于移民问题的书面意见.docx",
		  "application/octet-stream", "PK", 2 },
		{ "plain name with spaces.csv", "text/csv; charset=utf-8", "a,b\n", 4 },
	};
	struct compose_mail m = base_mail();
	m.attachments = at;
	m.nattachments = 3;
	size_t len, n;
	char *msg = compose_ok(&m, NULL, &len);
	check_7bit(msg, len);
	assert_non_null(strstr(msg, "filename*=UTF-8''R%C3%A9sum%C3%A9.pdf"));
	assert_non_null(strstr(msg, "filename*0*=UTF-8''%E5%9B%BD"));
	assert_non_null(strstr(msg, "filename=\"plain name with spaces.csv\""));
	GMimeMessage *g = parse(msg, len);
	GMimeMultipart *mp = GMIME_MULTIPART(g_mime_message_get_mime_part(g));
	for (int i = 0; i < 3; i++) {
		GMimePart *p = GMIME_PART(g_mime_multipart_get_part(mp, i + 1));
		assert_string_equal(g_mime_part_get_filename(p), at[i].filename);
		char *data = part_content(GMIME_OBJECT(p), &n);
		assert_int_equal(n, at[i].len);
		assert_memory_equal(data, at[i].data, n);
		free(data);
	}
	g_object_unref(g);
	free(msg);
}

/* The digest's shape: mixed[alternative[plain, related[html, png]], csv],
 * the image named by its Content-ID, every part back byte for byte. */
static void test_html_chart_structure(void **state)
{
	(void)state;
	static const unsigned char png[] = { 0x89, 'P', 'N', 'G', 0, 1, 2, 0xff, 0xfe };
	const char *csv = "call,words\nimrf-2022,4213\n";
	struct compose_attachment at = { "imrf-2022-2022-03-20.csv", "text/csv; charset=utf-8",
					 csv, strlen(csv) };
	struct compose_mail m = base_mail();
	m.html = "<p>Résumé — <img src=\"cid:chart@intaked\"></p>\n";
	m.html_png = png;
	m.html_png_len = sizeof(png);
	m.html_png_cid = "chart@intaked";
	m.attachments = &at;
	m.nattachments = 1;
	size_t len, n;
	char *msg = compose_ok(&m, NULL, &len);
	assert_non_null(strstr(msg, "\r\nContent-ID: <chart@intaked>\r\n"));
	GMimeMessage *g = parse(msg, len);
	GMimeMultipart *mixed = GMIME_MULTIPART(g_mime_message_get_mime_part(g));
	assert_int_equal(g_mime_multipart_get_count(mixed), 2);
	GMimeObject *alt = g_mime_multipart_get_part(mixed, 0);
	assert_string_equal(g_mime_content_type_get_media_subtype(
				    g_mime_object_get_content_type(alt)), "alternative");
	GMimeObject *rel = g_mime_multipart_get_part(GMIME_MULTIPART(alt), 1);
	GMimeContentType *ct = g_mime_object_get_content_type(rel);
	assert_string_equal(g_mime_content_type_get_media_subtype(ct), "related");
	assert_string_equal(g_mime_content_type_get_parameter(ct, "type"), "text/html");
	char *html = part_content(g_mime_multipart_get_part(GMIME_MULTIPART(rel), 0), &n);
	assert_string_equal(html, "<p>Résumé — <img src=\"cid:chart@intaked\"></p>\r\n");
	free(html);
	GMimeObject *img = g_mime_multipart_get_part(GMIME_MULTIPART(rel), 1);
	assert_string_equal(g_mime_object_get_content_id(img), "chart@intaked");
	assert_string_equal(g_mime_object_get_disposition(img), "inline");
	char *data = part_content(img, &n);
	assert_int_equal(n, sizeof(png));
	assert_memory_equal(data, png, n);
	free(data);
	data = part_content(g_mime_multipart_get_part(mixed, 1), &n);
	assert_string_equal(data, csv);
	free(data);
	g_object_unref(g);
	free(msg);
}

/* A display name in another script, and one with quotes and a comma. */
static void test_display_names(void **state)
{
	(void)state;
	static const char *const names[] = { "联合国移民网络秘书处", "O'Brien, \"Sec\" (GCM)",
					     "Ελληνική Αποστολή" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct compose_mail m = base_mail();
		char *from = xasprintf("\"%s\" <inputs@example.org>", names[i]);
		if (strchr(names[i], '"')) {
			free(from);
			from = xasprintf("%s <inputs@example.org>", names[i]);
		}
		m.from = from;
		size_t len;
		char *msg = compose_ok(&m, NULL, &len);
		check_lines(msg, header_end(msg), 78);
		check_7bit(msg, header_end(msg));
		GMimeMessage *g = parse(msg, len);
		InternetAddress *a = internet_address_list_get_address(g_mime_message_get_from(g), 0);
		assert_string_equal(internet_address_get_name(a), names[i]);
		g_object_unref(g);
		free(msg);
		free(from);
	}
}

int main(void)
{
	g_mime_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_header_function),
		cmocka_unit_test(test_fixed_headers),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_threading),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_qp_long_lines),
		cmocka_unit_test(test_rfc2231_filenames),
		cmocka_unit_test(test_html_chart_structure),
		cmocka_unit_test(test_display_names),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}
