/* mime.c — one raw message into a struct analysis, with GMime 3: the parse
 * and the walk over the MIME tree within the limits. The headers are
 * mime_headers.c's, each attachment mime_attach.c's, and what counts
 * (SPEC §4) words.c's.
 *
 * GMime rather than libetpan's MIME parser: libetpan crashes on a 130-byte
 * message (boundary="\"") and is quadratic on deep nesting, while GMime
 * assembles RFC 2231 parameters, decodes RFC 2047 loosely (also inside
 * quoted parameters, as Outlook writes them), converts charsets, and caps
 * its own nesting. It still runs only inside the worker process. */
#include "intaked/mime.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intaked/extract.h"
#include "intaked/sanitize.h"
#include "intaked/util.h"
#include "links.h"
#include "mime_impl.h"
#include "mime_parts.h"
#include "words.h"

/* For limits left at 0: the defaults of config_keys.c. */
#define DEFAULT_MIME_PARTS 10000
#define DEFAULT_MIME_DEPTH 100
#define DEFAULT_ATTACHMENT_SIZE ((size_t)32 << 20)
#define DEFAULT_TIMEOUT 60

void mime_init(void)
{
	g_mime_init();
}

void mime_deinit(void)
{
	g_mime_shutdown();
}

/* Seconds left for converters. extract_timeout is the budget of the whole
 * worker; a converter given all of it would have the worker killed and the
 * message quarantined, when only that document should fail ("timeout"). */
long mime_seconds_left(const struct mime_walk *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(w->deadline.tv_sec - now.tv_sec);
}

/* A part without children: a file, a body candidate, or nothing, as
 * words.c says; the first candidate of each kind is kept. */
static void leaf(struct mime_walk *w, GMimePart *part, bool nested, const char *id)
{
	char *ctype = mime_type_lower(GMIME_OBJECT(part));
	enum words_role role = words_part_role(
		ctype, g_mime_object_get_disposition(GMIME_OBJECT(part)),
		g_mime_part_get_filename(part) != NULL);

	if (role == WORDS_ATTACHMENT) {
		mime_attachment(w, part, ctype, id);
	} else if (role == WORDS_BODY_PLAIN || role == WORDS_BODY_HTML) {
		GMimePart **slot = &w->body[words_body_slot(role, nested)];

		if (*slot == NULL)
			*slot = part;
	}
	free(ctype);
}

/* Whether to enter obj; when not, why (w->stop), and obj is remembered
 * so that the caller lists it with what follows it. */
static bool may_enter(struct mime_walk *w, GMimeObject *obj)
{
	if (w->stop == NULL && ++w->parts > w->lim->max_mime_parts)
		w->stop = "parts";
	if (w->stop == NULL && mime_seconds_left(w) < 0)
		w->stop = "time";
	if (w->stop != NULL)
		w->refused = obj;
	return w->stop == NULL;
}

static void walk(struct mime_walk *w, GMimeObject *obj, unsigned depth, bool nested,
		 const char *id);

static void walk_multipart(struct mime_walk *w, GMimeMultipart *mp, unsigned depth, bool nested,
			   const char *id)
{
	int n = g_mime_multipart_get_count(mp);

	if (n == 0 && w->orphan_text == NULL)
		w->orphan_text = g_mime_multipart_get_prologue(mp);
	if (depth + 1 > w->lim->max_mime_depth) {
		mime_parts_skip_children(&w->un, mp, 0, id, "depth");
		return;
	}
	for (int i = 0; i < n && !w->failed; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		char *cid = mime_parts_child_id(id, i);

		walk(w, c, depth + 1, nested, cid);
		free(cid);
		if (w->stop != NULL) {
			mime_parts_skip_children(&w->un, mp, w->refused == c ? i : i + 1, id, w->stop);
			w->refused = NULL;
			break;
		}
	}
}

static void walk_message(struct mime_walk *w, GMimeObject *obj, unsigned depth, const char *id)
{
	GMimeObject *body = mime_parts_message_body(obj);
	char *bid;

	if (body == NULL)
		return;
	bid = mime_parts_body_id(id, body);
	if (depth + 1 > w->lim->max_mime_depth) {
		mime_parts_skip(&w->un, body, bid, "depth");
	} else {
		/* A forwarded message: its attachments are documents too. */
		walk(w, body, depth + 1, true, bid);
		if (w->stop != NULL && w->refused == body) {
			mime_parts_skip(&w->un, body, bid, w->stop);
			w->refused = NULL;
		}
	}
	free(bid);
}

/* id: obj's section number ("" for a top-level multipart). */
static void walk(struct mime_walk *w, GMimeObject *obj, unsigned depth, bool nested,
		 const char *id)
{
	if (w->failed || obj == NULL || !may_enter(w, obj))
		return;
	if (GMIME_IS_MESSAGE_PART(obj))
		walk_message(w, obj, depth, id);
	else if (GMIME_IS_MULTIPART(obj))
		walk_multipart(w, GMIME_MULTIPART(obj), depth, nested, id);
	else if (GMIME_IS_PART(obj))
		leaf(w, GMIME_PART(obj), nested, id);
}

/* The preferred body part (words.c's order), or NULL. */
static GMimePart *body_part(const struct mime_walk *w, bool *html_r)
{
	for (size_t i = 0; i < WORDS_BODY_SLOTS; i++) {
		if (w->body[i] != NULL) {
			*html_r = words_body_slot_is_html(i);
			return w->body[i];
		}
	}
	return NULL;
}

static void read_body(struct mime_walk *w)
{
	bool html = false;
	GMimePart *part = body_part(w, &html);
	char *text = NULL;

	if (part != NULL) {
		const char *charset = g_mime_object_get_content_type_parameter(
			GMIME_OBJECT(part), "charset");
		const unsigned char *data;
		size_t len;
		GMimeStream *mem = mime_part_decode(part, &data, &len);

		if (html)
			text = extract_html_text(data, len, charset);
		if (text == NULL)
			text = extract_to_utf8(data, len, charset);
		g_object_unref(mem);
	} else if (w->orphan_text != NULL) {
		text = extract_to_utf8((const unsigned char *)w->orphan_text,
				       strlen(w->orphan_text), NULL);
	} else {
		return;
	}
	free(w->a->body_text);
	/* Converters promise UTF-8; the JSON wire and the spool rely on it. */
	w->a->body_text = sanitize_utf8(text, strlen(text));
	free(text);
}

/* ---- entry point ---- */

static void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
			      gpointer user_data)
{
	struct mime_walk *w = user_data;

	(void)offset;
	(void)item;
	if (code == GMIME_CRIT_NESTING_OVERFLOW)
		w->gmime_nesting_overflow = true;
}

static GMimeParserOptions *parser_options(struct mime_walk *w)
{
	static const char *fallback[] = { "utf-8", "windows-1252", NULL };
	GMimeParserOptions *opts = g_mime_parser_options_new();

	/* Real mail breaks every rule; a submission must not be lost over
	 * an encoded-word split in the middle of a character. */
	g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(opts, TRUE);
	g_mime_parser_options_set_fallback_charsets(opts, fallback);
	g_mime_parser_options_set_warning_callback(opts, on_parser_warning, w);
	return opts;
}

/* With view_r, the stream reads the
 * caller's bytes in place (a 50 MB message is not copied once more) and
 * *view_r gets the borrowed GByteArray that the message's parts still
 * read through: free it with g_byte_array_free(v, FALSE) after the
 * message. Without view_r, the bytes are copied. */
static GMimeMessage *parse_bytes(const unsigned char *raw, size_t len,
				 GMimeParserOptions *opts, GByteArray **view_r)
{
	GByteArray *view = NULL;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	if (view_r != NULL && len <= G_MAXUINT) {
		view = g_byte_array_new_take((guint8 *)raw, len);
		stream = g_mime_stream_mem_new_with_byte_array(view);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	} else {
		stream = g_mime_stream_mem_new_with_buffer((const char *)raw, len);
	}
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream);
	if (view_r != NULL)
		*view_r = NULL;
	if (msg != NULL && view != NULL)
		*view_r = view;
	else if (view != NULL)
		(void)g_byte_array_free(view, FALSE); /* the bytes are the caller's */
	return msg;
}

/* Length of the leading lines that hold nothing but blanks. */
static size_t blank_lines_prefix(const unsigned char *raw, size_t len)
{
	size_t skip = 0;

	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n')
			skip = i + 1;
		else if (raw[i] != ' ' && raw[i] != '\t' && raw[i] != '\r')
			break;
	}
	return skip;
}

/* GMime gives up on a message that does not start with a header; such
 * mail still arrived and is still someone's submission. *note_r says what
 * was assumed. */
static GMimeMessage *parse(const unsigned char *raw, size_t len, GMimeParserOptions *opts,
			   const char **note_r, GByteArray **view_r)
{
	GMimeMessage *msg = parse_bytes(raw, len, opts, view_r);
	size_t skip;
	unsigned char *body_only;

	*note_r = NULL;
	if (msg != NULL)
		return msg;
	skip = blank_lines_prefix(raw, len);
	if (skip > 0 && (msg = parse_bytes(raw + skip, len - skip, opts, view_r)) != NULL) {
		*note_r = "blank lines before the header skipped";
		return msg;
	}
	body_only = xmalloc(len + 1);
	body_only[0] = '\n'; /* an empty header block */
	memcpy(body_only + 1, raw, len);
	/* Copied into the stream: body_only can go. */
	msg = parse_bytes(body_only, len + 1, opts, NULL);
	free(body_only);
	*note_r = "no header found: the whole message read as body";
	return msg;
}

/* What the parser itself left out has no section number we could give. */
static void note_limits(struct mime_walk *w)
{
	if (w->gmime_nesting_overflow)
		mime_parts_add(&w->un, NULL, NULL, "depth");
}

static void on_link(const char *url, const char *service, void *arg)
{
	struct analysis *a = arg;

	for (size_t i = 0; i < a->nlinks; i++)
		if (strcmp(a->links[i].url, url) == 0)
			return;
	if (a->nlinks < LINKS_MAX)
		analysis_add_link(a, url, service);
}

/* Links to documents in the text parts a mission writes its message in
 * (plain and HTML source, so that an href counts too). */
static void find_links(struct mime_walk *w)
{
	for (size_t i = 0; i < WORDS_BODY_SLOTS; i++) {
		const unsigned char *data;
		size_t len;
		GMimeStream *mem;

		if (w->body[i] == NULL)
			continue;
		mem = mime_part_decode(w->body[i], &data, &len);
		(void)links_scan((const char *)data, len, on_link, w->a);
		g_object_unref(mem);
	}
}

/* limits with every 0 replaced by its default, and the converters'
 * deadline: a tenth of the budget is kept for parsing and the reply. */
static void walk_limits(struct mime_walk *w, struct limits_config *lim)
{
	if (lim->max_mime_parts == 0)
		lim->max_mime_parts = DEFAULT_MIME_PARTS;
	if (lim->max_mime_depth == 0)
		lim->max_mime_depth = DEFAULT_MIME_DEPTH;
	if (lim->max_attachment_size == 0)
		lim->max_attachment_size = DEFAULT_ATTACHMENT_SIZE;
	if (lim->extract_timeout <= 0)
		lim->extract_timeout = DEFAULT_TIMEOUT;
	clock_gettime(CLOCK_MONOTONIC, &w->deadline);
	w->deadline.tv_sec += lim->extract_timeout - (lim->extract_timeout + 9) / 10;
}

/* msg into a new w->a: headers, the walk, the body, links, the count. */
static void read_message(struct mime_walk *w, GMimeMessage *msg, GMimeParserOptions *opts,
			 const char *note)
{
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	const char *top_id = body != NULL && GMIME_IS_MULTIPART(body) ? "" : "1";

	w->a = analysis_new();
	w->un.a = w->a;
	if (note != NULL)
		mime_warning_add(w->a, "%s", note);
	mime_read_headers(w->a, msg, opts);
	w->a->content_type = body != NULL ? mime_type_lower(body) : xstrdup("text/plain");
	walk(w, body, 0, false, top_id);
	if (w->stop != NULL && w->refused != NULL)
		mime_parts_skip(&w->un, w->refused, top_id, w->stop); /* no time left for the top part */
	if (w->failed)
		return;
	read_body(w);
	find_links(w);
	note_limits(w);
	words_conclude(w->a, &w->tally);
}

int mime_analyze(const unsigned char *raw, size_t len, int files_dirfd,
		 const struct limits_config *limits, struct analysis **a_r,
		 struct err *err)
{
	struct limits_config lim = *limits;
	struct mime_walk w = { .lim = &lim, .files_dirfd = files_dirfd, .err = err };
	GMimeParserOptions *opts;
	GMimeMessage *msg;
	GByteArray *view = NULL;
	const char *note;

	*a_r = NULL;
	walk_limits(&w, &lim);
	opts = parser_options(&w);
	msg = parse(raw, len, opts, &note, &view);
	if (msg == NULL) {
		g_mime_parser_options_free(opts);
		err_set(err, ERR_MESSAGE, "unparseable message");
		return -1;
	}
	read_message(&w, msg, opts, note);
	g_object_unref(msg);
	if (view != NULL)
		(void)g_byte_array_free(view, FALSE); /* raw is the caller's */
	g_mime_parser_options_free(opts);
	if (w.failed) {
		analysis_free(&w.a);
		return -1;
	}
	*a_r = w.a;
	return 0;
}
