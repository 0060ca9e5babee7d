/* test_ack.c — when an acknowledgement is suppressed (RFC 3834 and our
 * own rules), and what it says, read back with GMime. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <gmime/gmime.h>

#include "intaked/ack.h"
#include "intaked/fsio.h"
#include "intaked/roster.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

/* --- fixtures ----------------------------------------------------------- */

struct fixture {
	struct config cfg;
	struct call_config calls[2];
};

static void call_init(struct call_config *c, const char *name, const char *title,
		      const char *match_to, const char *tag)
{
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->title = xstrdup(title);
	if (match_to)
		strlist_push(&c->match_to, match_to);
	if (tag)
		strlist_push(&c->match_subject, tag);
	c->zone = xstrdup("America/New_York");
	assert_int_equal(tztime_parse_local("2022-03-29 18:00", c->zone, &c->deadline), 0);
	c->grace = 900;
	c->word_limit = 5000;
	c->late = LATE_FLAG;
	c->ack_unknown = true;
	c->ack_per_sender_per_day = 5;
	c->language = xstrdup("en");
}

static void call_deinit(struct call_config *c)
{
	free(c->name);
	free(c->title);
	strlist_free(&c->match_to);
	strlist_free(&c->match_subject);
	free(c->zone);
	free(c->language);
	free(c->ack_template);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	f->cfg.mailbox.user = xstrdup("intake@example.org");
	f->cfg.smtp.from = xstrdup("GCM Written Inputs <inputs@example.org>");
	f->cfg.smtp.from_addr = xstrdup("inputs@example.org");
	call_init(&f->calls[0], "imrf-2022", "Progress Declaration, IMRF 2022",
		  "inputs+imrf@example.org", "[IMRF]");
	call_init(&f->calls[1], "gcm-review", "Review of the Global Compact", NULL, "[GCM]");
	f->cfg.calls = f->calls;
	f->cfg.ncalls = 2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->cfg.mailbox.user);
	free(f->cfg.smtp.from);
	free(f->cfg.smtp.from_addr);
	call_deinit(&f->calls[0]);
	call_deinit(&f->calls[1]);
	free(f);
	return 0;
}

static void add_doc(struct metadata *md, const char *name, long words, const char *error)
{
	md->documents = xreallocarray(md->documents, md->ndocuments + 1, sizeof(*md->documents));
	struct md_document *d = &md->documents[md->ndocuments++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	d->file = xasprintf("files/%s", name);
	d->words = words;
	d->error = xstrdup(error);
}

static struct metadata *submission(void)
{
	struct metadata *md = metadata_new();
	md->id = xstrdup("20220329T215900Z-0123456789ab");
	md->kind = xstrdup("submission");
	md->call = xstrdup("imrf-2022");
	md->status = xstrdup("accepted");
	md->submitter.name = xstrdup("Bangladesh");
	md->submitter.slug = xstrdup("bangladesh");
	md->submitter.verified = true;
	md->from = xstrdup("expert@mofa.gov.bd");
	md->from_name = xstrdup("A. Expert");
	md->subject = xstrdup("[IMRF] Written input of Bangladesh");
	md->message_id = xstrdup("<orig-1@mofa.gov.bd>");
	md->references = xstrdup("<thread-0@mofa.gov.bd>");
	md->zone = xstrdup("America/New_York");
	assert_int_equal(tztime_parse_iso8601("2022-03-29T21:59:00Z", &md->received_at), 0);
	assert_int_equal(tztime_parse_iso8601("2022-03-29T22:00:00Z", &md->deadline), 0);
	md->timeliness = xstrdup("on_time");
	md->word_count = 4213;
	md->word_limit = 5000;
	md->counted = xstrdup("documents");
	md->version = 1;
	add_doc(md, "Bangladesh input.docx", 4213, NULL);
	add_doc(md, "logo.png", -1, NULL);
	return md;
}

static void set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* --- recipient and suppression ------------------------------------------ */

static void test_recipient(void **state)
{
	(void)state;
	struct metadata *md = submission();
	assert_string_equal(ack_recipient(md), "expert@mofa.gov.bd");
	set(&md->reply_to, "desk@mofa.gov.bd");
	assert_string_equal(ack_recipient(md), "desk@mofa.gov.bd");
	set(&md->reply_to, "noreply@mofa.gov.bd");
	assert_string_equal(ack_recipient(md), "expert@mofa.gov.bd");
	set(&md->reply_to, "two words@mofa.gov.bd");
	assert_string_equal(ack_recipient(md), "expert@mofa.gov.bd");
	set(&md->reply_to, "");
	assert_string_equal(ack_recipient(md), "expert@mofa.gov.bd");
	/* A sender the roster does not verify never redirects its receipt. */
	set(&md->reply_to, "victim@target.test");
	md->submitter.verified = false;
	assert_string_equal(ack_recipient(md), "expert@mofa.gov.bd");
	md->submitter.verified = true;
	xfree(&md->from);
	xfree(&md->reply_to);
	assert_null(ack_recipient(md));
	metadata_free(&md);
}

static const struct {
	const char *kind, *from, *reply_to;
	bool verified, ack_unknown, ack_unmatched, no_call;
	int sent_today;
	const char *want;
} suppress[] = {
	{ "submission", "expert@mofa.gov.bd", NULL, true, true, false, false, 0, NULL },
	{ "submission", "expert@mofa.gov.bd", NULL, true, true, false, false, 4, NULL },
	{ "submission", "expert@mofa.gov.bd", NULL, true, true, false, false, 5, "rate-limit" },
	{ "submission", "expert@mofa.gov.bd", NULL, true, true, false, false, 50, "rate-limit" },
	{ "auto-reply", "expert@mofa.gov.bd", NULL, true, true, true, false, 0, "auto-reply" },
	{ "bounce", "expert@mofa.gov.bd", NULL, true, true, true, false, 0, "bounce" },
	{ "list", "expert@mofa.gov.bd", NULL, true, true, true, false, 0, "list" },
	{ "loop", "expert@mofa.gov.bd", NULL, true, true, true, false, 0, "loop" },
	{ "malformed", "expert@mofa.gov.bd", NULL, true, true, true, false, 0, "malformed" },
	{ "weird", "expert@mofa.gov.bd", NULL, true, true, true, false, 0, "not-submission" },
	{ "unmatched", "x@gmail.test", NULL, false, true, false, true, 0, "unmatched" },
	{ "unmatched", "x@gmail.test", NULL, false, true, true, true, 0, NULL },
	{ "unmatched", "x@gmail.test", NULL, false, false, true, true, 0, NULL },
	{ "unmatched", "x@gmail.test", NULL, false, true, true, true, 5, "rate-limit" },
	{ "unmatched", "noreply@gmail.test", NULL, false, true, true, true, 0, "noreply-sender" },
	{ "submission", "expert@mofa.gov.bd", NULL, true, true, true, true, 0, "unmatched" },
	{ "submission", "noreply@mofa.gov.bd", NULL, true, true, false, false, 0, "noreply-sender" },
	{ "submission", "no-reply@mofa.gov.bd", NULL, true, true, false, false, 0, "noreply-sender" },
	{ "submission", "MAILER-DAEMON@mofa.gov.bd", NULL, true, true, false, false, 0, "noreply-sender" },
	{ "submission", "postmaster@mofa.gov.bd", NULL, true, true, false, false, 0, "noreply-sender" },
	{ "submission", "", NULL, true, true, false, false, 0, "noreply-sender" },
	{ "submission", NULL, NULL, true, true, false, false, 0, "noreply-sender" },
	{ "submission", "expert@mofa.gov.bd", "noreply@mofa.gov.bd", true, true, false, false, 0, NULL },
	{ "submission", "bad address@mofa.gov.bd", NULL, true, true, false, false, 0, "bad-address" },
	{ "submission", "expert@mofa.gov.bd\r\nBcc: x@y", NULL, true, true, false, false, 0, "bad-address" },
	{ "submission", "inputs@example.org", NULL, true, true, false, false, 0, "own-address" },
	{ "submission", "INPUTS@Example.ORG", NULL, true, true, false, false, 0, "own-address" },
	{ "submission", "inputs+imrf@example.org", NULL, true, true, false, false, 0, "own-address" },
	{ "submission", "inputs+other@example.org", NULL, true, true, false, false, 0, "own-address" },
	{ "submission", "intake@example.org", NULL, true, true, false, false, 0, "own-address" },
	{ "submission", "intake+x@example.org", NULL, true, true, false, false, 0, "own-address" },
	{ "submission", "expert@mofa.gov.bd", "inputs@example.org", true, true, false, false, 0, "own-address" },
	{ "submission", "inputs@example.net", NULL, true, true, false, false, 0, NULL },
	{ "submission", "expert@gmail.test", NULL, false, false, false, false, 0, "unknown-sender" },
	{ "submission", "expert@gmail.test", NULL, false, true, false, false, 0, NULL },
};

static void test_suppression(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(suppress) / sizeof(suppress[0]); i++) {
		struct metadata *md = submission();
		set(&md->kind, suppress[i].kind);
		set(&md->from, suppress[i].from);
		set(&md->reply_to, suppress[i].reply_to);
		md->submitter.verified = suppress[i].verified;
		f->calls[0].ack_unknown = suppress[i].ack_unknown;
		f->cfg.mailbox.ack_unmatched = suppress[i].ack_unmatched;
		const struct call_config *call = suppress[i].no_call ? NULL : &f->calls[0];
		const char *got = ack_suppression(&f->cfg, call, md, suppress[i].sent_today);
		if (!((got == NULL && suppress[i].want == NULL) ||
		      (got && suppress[i].want && strcmp(got, suppress[i].want) == 0)))
			fail_msg("row %zu: got %s, want %s", i, got ? got : "NULL",
				 suppress[i].want ? suppress[i].want : "NULL");
		metadata_free(&md);
	}
	/* A call that sends no acknowledgements at all. */
	struct metadata *md = submission();
	f->calls[0].ack_per_sender_per_day = 0;
	assert_string_equal(ack_suppression(&f->cfg, &f->calls[0], md, 0), "rate-limit");
	/* The unmatched reply takes the strictest limit of the calls. */
	set(&md->kind, "unmatched");
	f->cfg.mailbox.ack_unmatched = true;
	f->calls[0].ack_per_sender_per_day = 5;
	f->calls[1].ack_per_sender_per_day = 2;
	assert_null(ack_suppression(&f->cfg, NULL, md, 1));
	assert_string_equal(ack_suppression(&f->cfg, NULL, md, 2), "rate-limit");
	metadata_free(&md);
}

/* --- the text ----------------------------------------------------------- */

struct parsed {
	GMimeMessage *g;
	char *text;   /* decoded body, LF line ends */
	char *flat;   /* the same with every run of blanks one space */
};

static void parse_ack(const char *msg, size_t len, struct parsed *p)
{
	for (size_t i = 0; i < len; i++)
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(msg, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	p->g = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(st);
	assert_non_null(p->g);
	GMimeObject *part = g_mime_message_get_mime_part(p->g);
	assert_true(GMIME_IS_PART(part));
	GMimeStream *out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), out);
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	struct buf t, fl;
	buf_init(&t, 1 << 20);
	buf_init(&fl, 1 << 20);
	bool blank = false;
	for (size_t i = 0; i < a->len; i++) {
		char c = (char)a->data[i];
		if (c == '\r')
			continue;
		buf_append(&t, &c, 1);
		if (c == '\n' || c == ' ') {
			if (!blank)
				buf_append(&fl, " ", 1);
			blank = true;
		} else {
			buf_append(&fl, &c, 1);
			blank = false;
		}
	}
	g_object_unref(out);
	p->text = buf_steal(&t);
	p->flat = buf_steal(&fl);
}

static void parsed_free(struct parsed *p)
{
	g_object_unref(p->g);
	free(p->text);
	free(p->flat);
}

static void build(struct fixture *f, const struct call_config *call, struct metadata *md,
		  struct parsed *p)
{
	char *msgid = NULL;
	size_t len;
	struct err e = { 0 };
	char *msg = ack_build(&f->cfg, call, md, &msgid, &len, &e);
	if (msg == NULL)
		fail_msg("ack_build: %s", e.msg);
	assert_non_null(msgid);
	assert_non_null(strstr(msg, msgid));
	parse_ack(msg, len, p);
	free(msg);
	free(msgid);
}

static void assert_has(const struct parsed *p, const char *s)
{
	if (strstr(p->flat, s) == NULL && strstr(p->text, s) == NULL)
		fail_msg("missing \"%s\" in:\n%s", s, p->text);
}

static void assert_lacks(const struct parsed *p, const char *s)
{
	if (strstr(p->flat, s) != NULL)
		fail_msg("unexpected \"%s\" in:\n%s", s, p->text);
}

static void test_build_en(void **state)
{
	struct fixture *f = *state;
	struct metadata *md = submission();
	set(&md->reply_to, "desk@mofa.gov.bd");
	add_doc(md, "scan.pdf", -1, "no_text");
	add_doc(md, "odd.xyz", -1, "strange_error\nX-Injected: 1");
	struct parsed p;
	build(f, &f->calls[0], md, &p);
	GMimeObject *o = GMIME_OBJECT(p.g);
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Receipt acknowledged: [IMRF] Written input of Bangladesh");
	InternetAddress *to = internet_address_list_get_address(g_mime_message_get_to(p.g), 0);
	assert_string_equal(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(to)),
			    "desk@mofa.gov.bd");
	assert_string_equal(g_mime_object_get_header(o, "In-Reply-To"), "<orig-1@mofa.gov.bd>");
	assert_string_equal(g_mime_object_get_header(o, "References"),
			    "<thread-0@mofa.gov.bd> <orig-1@mofa.gov.bd>");
	assert_string_equal(g_mime_object_get_header(o, "Auto-Submitted"), "auto-replied");
	/* GMime files Content-* headers under the top-level part. */
	GMimeObject *top = g_mime_message_get_mime_part(p.g);
	assert_string_equal(g_mime_object_get_header(top, "Content-Language"), "en");
	assert_string_equal(g_mime_object_get_header(o, "X-Intaked-Loop"), "inputs@example.org");
	assert_has(&p, "We acknowledge receipt of your written input to Progress Declaration, IMRF 2022.");
	assert_has(&p, "Submitted by: Bangladesh\n");
	assert_has(&p, "Received on: 2022-03-29 17:59 EDT (2022-03-29T21:59:00Z)\n");
	assert_has(&p, "Deadline: 2022-03-29 18:00 EDT (2022-03-29T22:00:00Z)\n");
	assert_has(&p, "Reference: 20220329T215900Z-0123456789ab\n");
	assert_has(&p, "Documents received:\n- Bangladesh input.docx: 4213 words\n"
		       "- scan.pdf: could not be read (no text layer, perhaps a scanned document)\n"
		       "- odd.xyz: could not be read (strange_error X-Injected: 1)\n\n");
	assert_has(&p, "Total word count: 4213 (word limit: 5000)\n");
	assert_has(&p, "Your input was received before the deadline and has been recorded.");
	assert_has(&p, "At least one document could not be read automatically");
	assert_lacks(&p, "logo.png");
	assert_lacks(&p, "{");
	assert_lacks(&p, "exceeds the limit");
	assert_lacks(&p, "supersedes");
	parsed_free(&p);
	metadata_free(&md);
}

static const struct {
	const char *timeliness, *status;
	bool over_limit;
	int version;
	const char *supersedes;
	const char *want[3];
	const char *not_want;
} outcomes[] = {
	{ "on_time", "accepted", false, 1, NULL,
	  { "received before the deadline and has been recorded", NULL, NULL }, "marked as late" },
	{ "within_grace", "accepted", false, 1, NULL,
	  { "within the grace period, and has been recorded as received on time", NULL, NULL },
	  "received before the deadline" },
	{ "late", "late", false, 1, NULL,
	  { "received after the deadline. It has been recorded and marked as late", NULL, NULL },
	  "accepted." },
	{ "late", "accepted", false, 1, NULL,
	  { "received after the deadline; it has been recorded and accepted.", NULL, NULL },
	  "marked as late" },
	{ "late", "rejected", false, 1, NULL,
	  { "received after the deadline of 2022-03-29 18:00 EDT and can therefore not be "
	    "considered", NULL, NULL }, "marked as late" },
	{ "early", "accepted", false, 1, NULL,
	  { "received before the call for inputs opened", NULL, NULL }, "deadline and has" },
	{ "on_time", "accepted", true, 1, NULL,
	  { "received before the deadline", "Your input contains 6100 words, which exceeds the "
	    "limit of 5000 words.", NULL }, "supersedes" },
	{ "on_time", "accepted", false, 3, "v2",
	  { "received before the deadline", "This is version 3 of your input; it supersedes the "
	    "version received earlier (v2).", NULL }, "exceeds" },
	{ "late", "late", true, 2, "v1",
	  { "marked as late", "exceeds the limit of 5000 words", "This is version 2" }, "on time" },
};

static void test_outcomes(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		struct metadata *md = submission();
		set(&md->timeliness, outcomes[i].timeliness);
		set(&md->status, outcomes[i].status);
		md->over_limit = outcomes[i].over_limit;
		if (md->over_limit) {
			md->word_count = 6100;
			md->documents[0].words = 6100;
		}
		md->version = outcomes[i].version;
		set(&md->supersedes, outcomes[i].supersedes);
		struct parsed p;
		build(f, &f->calls[0], md, &p);
		for (size_t k = 0; k < 3 && outcomes[i].want[k]; k++)
			assert_has(&p, outcomes[i].want[k]);
		assert_lacks(&p, outcomes[i].not_want);
		assert_lacks(&p, "could not be read");
		parsed_free(&p);
		metadata_free(&md);
	}
}

static void test_injection_and_fallbacks(void **state)
{
	struct fixture *f = *state;
	struct metadata *md = submission();
	/* What the parser would hand over for the encoded-word subject
	 * =?utf-8?b?SGkNCkJjYzogdmljdGltQHg=?= if it kept the CR/LF. */
	set(&md->subject, "Hi\r\nBcc: victim@x");
	set(&md->documents[0].name, "evil\r\nBcc: x@y.docx");
	md->submitter.verified = false;
	set(&md->from_name, "Somebody\r\nTo: victim@x");
	set(&md->counted, "body");
	md->word_limit = 0;
	f->calls[0].word_limit = 0;
	xfree(&md->message_id);
	xfree(&md->references);
	struct parsed p;
	build(f, &f->calls[0], md, &p);
	GMimeObject *o = GMIME_OBJECT(p.g);
	assert_null(g_mime_object_get_header(o, "Bcc"));
	assert_null(g_mime_object_get_header(o, "In-Reply-To"));
	assert_null(g_mime_object_get_header(o, "References"));
	assert_int_equal(internet_address_list_length(g_mime_message_get_to(p.g)), 1);
	/* A stranger: nothing it wrote comes back, only our reference. */
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Receipt acknowledged: 20220329T215900Z-0123456789ab");
	assert_has(&p, "- #1: 4213 words\n- Text of the message: 4213 words\n");
	assert_has(&p, "Submitted by: expert@mofa.gov.bd\n");
	assert_lacks(&p, "victim");
	assert_lacks(&p, "evil");
	assert_has(&p, "(word limit: none)");
	parsed_free(&p);

	/* A roster member's own text is echoed, made one clean line. */
	md->submitter.verified = true;
	xfree(&md->submitter.name);
	build(f, &f->calls[0], md, &p);
	o = GMIME_OBJECT(p.g);
	assert_null(g_mime_object_get_header(o, "Bcc"));
	assert_string_equal(g_mime_message_get_subject(p.g), "Receipt acknowledged: Hi Bcc: victim@x");
	assert_has(&p, "- evil Bcc: x@y.docx: 4213 words\n- Text of the message: 4213 words\n");
	assert_has(&p, "Submitted by: Somebody To: victim@x (expert@mofa.gov.bd)\n");
	parsed_free(&p);

	/* No subject: the call title stands in. */
	xfree(&md->subject);
	build(f, &f->calls[0], md, &p);
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Receipt acknowledged: Progress Declaration, IMRF 2022");
	parsed_free(&p);

	/* Nobody to answer. */
	set(&md->from, "not an address");
	char *id = NULL;
	size_t len;
	struct err e = { 0 };
	assert_null(ack_build(&f->cfg, &f->calls[0], md, &id, &len, &e));
	assert_int_equal(e.cls, ERR_MESSAGE);
	assert_null(id);
	metadata_free(&md);
}

static void test_languages(void **state)
{
	struct fixture *f = *state;
	struct metadata *md = submission();
	md->over_limit = true;
	set(&f->calls[0].language, "fr");
	struct parsed p;
	build(f, &f->calls[0], md, &p);
	assert_string_equal(g_mime_object_get_header(g_mime_message_get_mime_part(p.g),
						     "Content-Language"), "fr");
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Accusé de réception : [IMRF] Written input of Bangladesh");
	assert_has(&p, "Nous accusons réception de votre contribution écrite à Progress "
		       "Declaration, IMRF 2022.");
	assert_has(&p, "- Bangladesh input.docx : 4213 mots\n");
	assert_has(&p, "Votre contribution a été reçue dans les délais");
	assert_has(&p, "Votre contribution compte 4213 mots, ce qui dépasse la limite de 5000 mots.");
	parsed_free(&p);

	set(&f->calls[0].language, "es");
	build(f, &f->calls[0], md, &p);
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Acuse de recibo: [IMRF] Written input of Bangladesh");
	assert_has(&p, "Acusamos recibo de su contribución escrita a Progress Declaration, IMRF 2022.");
	assert_has(&p, "- Bangladesh input.docx: 4213 palabras\n");
	assert_has(&p, "Su contribución se recibió dentro del plazo");
	parsed_free(&p);
	set(&f->calls[0].language, "en");
	metadata_free(&md);
}

/* Words not all known: the parts are named, the count says unknown, and
 * nothing reads as "within the limit", in every language. */
static void test_hidden_parts_and_links(void **state)
{
	struct fixture *f = *state;
	struct metadata *md = submission();
	static const struct { const char *lang, *part, *count, *outcome, *link; } rows[] = {
		{ "en", "- late.docx (part 1.502): not examined (the message has more parts",
		  "Total word count: 4213 counted; the total is unknown (word limit: 5000)",
		  "cannot be confirmed that your\ninput is within the limit of 5000 words",
		  "- Document shared as a link (onedrive), not opened: https://1drv.ms/w/s!x" },
		{ "fr", "- late.docx (partie 1.502) : non examiné (le message compte plus",
		  "4213 mots comptés ; le total est inconnu",
		  "Le nombre total de mots est donc inconnu",
		  "- Document partagé par un lien (onedrive), non ouvert : https://1drv.ms/w/s!x" },
		{ "es", "- late.docx (parte 1.502): no examinado (el mensaje tiene más partes",
		  "4213 contadas; el total es desconocido",
		  "el número total de palabras es desconocido",
		  "- Documento compartido mediante un enlace (onedrive), no abierto: "
		  "https://1drv.ms/w/s!x" },
	};
	md->over_limit_unknown = true;
	md->unexamined = xcalloc(3, sizeof(*md->unexamined));
	md->nunexamined = 3;
	md->unexamined[0] = (struct md_unexamined){ xstrdup("1.3-1.501"), NULL, xstrdup("parts") };
	md->unexamined[1] = (struct md_unexamined){ xstrdup("1.502"), xstrdup("late.docx"),
						    xstrdup("parts") };
	/* Listed among the documents already: not twice. */
	md->unexamined[2] = (struct md_unexamined){ xstrdup("1.503"), xstrdup("big.pdf"),
						    xstrdup("size") };
	md->linked = xcalloc(1, sizeof(*md->linked));
	md->nlinked = 1;
	md->linked[0] = (struct md_link){ xstrdup("https://1drv.ms/w/s!x"), xstrdup("onedrive") };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct parsed p;
		set(&f->calls[0].language, rows[i].lang);
		build(f, &f->calls[0], md, &p);
		assert_has(&p, rows[i].part);
		assert_has(&p, rows[i].count);
		assert_has(&p, rows[i].outcome);
		assert_has(&p, rows[i].link);
		assert_lacks(&p, "big.pdf");
		parsed_free(&p);
	}
	metadata_free(&md);
}

/* Counts take the language's plural form (issue 15): "1 word", never
 * "1 words"; French "0 mot" and "1 mot" (n > 1 is plural), Spanish
 * "0 palabras" and "1 palabra" (n != 1). */
static void test_plural_words(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *lang, *zero, *one, *two, *body, *more; } rows[] = {
		{ "en", "- none.docx: 0 words\n", "- one.docx: 1 word\n", "- two.docx: 2 words\n",
		  "- Text of the message: 1 word\n", "- and 1 more part not examined" },
		{ "fr", "- none.docx : 0 mot\n", "- one.docx : 1 mot\n", "- two.docx : 2 mots\n",
		  "- Texte du message : 1 mot\n", "- et 1 autre partie non examinée" },
		{ "es", "- none.docx: 0 palabras\n", "- one.docx: 1 palabra\n",
		  "- two.docx: 2 palabras\n", "- Texto del mensaje: 1 palabra\n",
		  "- y 1 parte más no examinada" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct metadata *md = submission();
		add_doc(md, "none.docx", 0, NULL);
		add_doc(md, "one.docx", 1, NULL);
		add_doc(md, "two.docx", 2, NULL);
		md->nunexamined = 21; /* one more than are named */
		md->unexamined = xcalloc(md->nunexamined, sizeof(*md->unexamined));
		for (size_t k = 0; k < md->nunexamined; k++)
			md->unexamined[k] = (struct md_unexamined){ xasprintf("1.%zu", k + 2), NULL,
								    xstrdup("parts") };
		set(&f->calls[0].language, rows[i].lang);
		struct parsed p;
		build(f, &f->calls[0], md, &p);
		assert_has(&p, rows[i].zero);
		assert_has(&p, rows[i].one);
		assert_has(&p, rows[i].two);
		assert_has(&p, rows[i].more);
		parsed_free(&p);
		/* The message text, when that is what was counted. */
		set(&md->counted, "body");
		md->word_count = 1;
		build(f, &f->calls[0], md, &p);
		assert_has(&p, rows[i].body);
		parsed_free(&p);
		metadata_free(&md);
	}
	set(&f->calls[0].language, "en");
}

static void test_override_file(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_ack.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/ack.txt", dir);
	const char *text = "Subject: Reçu {call} / {subject}\n\n"
			   "Merci {submitter}.\n{documents}\n{outcome}\n{unknown} {{literal}\n";
	struct err e = { 0 };
	assert_int_equal(fsio_replace(path, text, strlen(text), 0600, &e), 0);
	struct metadata *md = submission();
	f->calls[0].ack_template = xstrdup(path);
	struct parsed p;
	build(f, &f->calls[0], md, &p);
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Reçu imrf-2022 / [IMRF] Written input of Bangladesh");
	assert_string_equal(p.text, "Merci Bangladesh.\n- Bangladesh input.docx: 4213 words\n"
			    "Your input was received before the deadline and has been recorded.\n"
			    "{unknown} {literal}\n");
	parsed_free(&p);

	unlink(path);
	char *id = NULL;
	size_t len;
	assert_null(ack_build(&f->cfg, &f->calls[0], md, &id, &len, &e));
	assert_int_equal(e.cls, ERR_CONFIG);
	xfree(&f->calls[0].ack_template);
	rmdir(dir);
	free(path);
	metadata_free(&md);
}

static void test_unmatched(void **state)
{
	struct fixture *f = *state;
	struct metadata *md = metadata_new();
	md->id = xstrdup("20220329T215900Z-feedfacecafe");
	md->kind = xstrdup("unmatched");
	md->from = xstrdup("stranger@gmail.test");
	md->subject = xstrdup("Our contribution");
	md->message_id = xstrdup("<u-1@gmail.test>");
	assert_int_equal(tztime_parse_iso8601("2022-03-29T21:59:00Z", &md->received_at), 0);
	struct parsed p;
	build(f, NULL, md, &p);
	/* Unmatched mail is from no one the roster verifies: no echo. */
	assert_string_equal(g_mime_message_get_subject(p.g),
			    "Consultation not identified: 20220329T215900Z-feedfacecafe");
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(p.g), "In-Reply-To"),
			    "<u-1@gmail.test>");
	assert_has(&p, "We received your message \"20220329T215900Z-feedfacecafe\" on "
		       "2022-03-29T21:59:00Z");
	assert_lacks(&p, "Our contribution");
	assert_has(&p, "- Progress Declaration, IMRF 2022: write to inputs+imrf@example.org\n"
		       "- Review of the Global Compact: put [GCM] in the subject line\n");
	assert_lacks(&p, "{");
	parsed_free(&p);
	metadata_free(&md);
}

static void test_stranger_cap(void **state)
{
	struct fixture *f = *state;
	struct metadata *md = submission();
	f->calls[0].ack_unknown_per_hour = 3;
	f->calls[1].ack_unknown_per_hour = 2;
	/* A verified member is never capped. */
	assert_null(ack_stranger_cap(&f->cfg, &f->calls[0], md, 100));
	md->submitter.verified = false;
	assert_null(ack_stranger_cap(&f->cfg, &f->calls[0], md, 2));
	assert_string_equal(ack_stranger_cap(&f->cfg, &f->calls[0], md, 3), "stranger-cap");
	/* The "which consultation?" reply: the smallest cap of all calls. */
	assert_null(ack_stranger_cap(&f->cfg, NULL, md, 1));
	assert_string_equal(ack_stranger_cap(&f->cfg, NULL, md, 2), "stranger-cap");
	f->calls[0].ack_unknown_per_hour = 0;
	assert_string_equal(ack_stranger_cap(&f->cfg, &f->calls[0], md, 0), "stranger-cap");
	/* One count per call and UTC hour, never an address. */
	char *k = ack_stranger_key(&f->calls[0], md->received_at);
	assert_string_equal(k, "strangers:imrf-2022:2022-03-29T21");
	assert_null(strchr(k, '@'));
	free(k);
	k = ack_stranger_key(NULL, md->received_at);
	assert_string_equal(k, "strangers:-unmatched:2022-03-29T21");
	free(k);
	metadata_free(&md);
}

int main(void)
{
	g_mime_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recipient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_en, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_injection_and_fallbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_languages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plural_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_parts_and_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmatched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stranger_cap, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_mime_shutdown();
	return rc;
}
