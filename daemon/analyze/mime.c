/* mime.c — one raw message into a struct analysis, with GMime 3.
 *
 * GMime rather than libetpan's MIME parser: libetpan crashes on a 130-byte
 * message (boundary="\"") and is quadratic on deep nesting, while GMime
 * assembles RFC 2231 parameters, decodes RFC 2047 loosely (also inside
 * quoted parameters, as Outlook writes them), converts charsets, and caps
 * its own nesting. It still runs only inside the worker process. */
#include "intaked/mime.h"

#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unictype.h>
#include <unistr.h>

#include "intaked/address.h"
#include "intaked/extract.h"
#include "intaked/language.h"
#include "links.h"
#include "intaked/log.h"
#include "intaked/sanitize.h"
#include "intaked/util.h"
#include "intaked/wordcount.h"
#include "mime_parts.h"

#define MAX_HEADERS 1000
#define MAX_HEADER_VALUE (64 * 1024)
#define MAX_ADDRESSES 1000    /* per list (To, Cc, ...) */
#define MAX_GROUP_DEPTH 4     /* groups cannot nest in RFC 5322; GMime may */
#define WARNING_MAX 1024
/* For limits left at 0: the defaults of config_keys.c. */
#define DEFAULT_MIME_PARTS 10000
#define DEFAULT_MIME_DEPTH 100
#define DEFAULT_ATTACHMENT_SIZE ((size_t)32 << 20)
#define DEFAULT_TIMEOUT 60

struct walk {
	const struct limits_config *lim;
	struct timespec deadline; /* for converters: ahead of the worker's */
	int files_dirfd;
	struct analysis *a;
	size_t docs_cap;
	unsigned parts;
	/* Once a limit on parts or time is reached, nothing more is examined:
	 * "parts" or "time"; what is left is listed as unexamined. */
	const char *stop;
	GMimeObject *refused;     /* the object walk() stopped at, unentered */
	struct mime_unexamined un; /* what is not examined goes here */
	bool gmime_nesting_overflow;
	/* Body candidates in order of preference; borrowed from the tree. */
	GMimePart *plain, *html, *nested_plain, *nested_html;
	/* Text of a multipart that has no parts (its boundary is missing):
	 * the body of last resort. */
	const char *orphan_text;
	bool failed;          /* could not write a file: the whole message fails */
	struct err *err;
	size_t docs_text_len; /* of a->docs_text */
};

void mime_init(void)
{
	g_mime_init();
}

void mime_deinit(void)
{
	g_mime_shutdown();
}

/* ---- text helpers ---- */

static void warning_add(struct analysis *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warning_add(struct analysis *a, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatalx("event=oom in=warning_add");
	va_end(ap);
	buf_init(&b, WARNING_MAX);
	if (a->warning != NULL) {
		(void)buf_puts(&b, a->warning);
		(void)buf_puts(&b, "; ");
	}
	(void)buf_puts(&b, msg);
	free(msg);
	free(a->warning);
	a->warning = buf_steal(&b);
}

/* A header value on one line: line breaks out, blanks at both ends out. */
static char *unfold(const char *raw)
{
	struct buf b;
	char *s, *t, *out;

	if (raw == NULL)
		return xstrdup("");
	buf_init(&b, strlen(raw) + 1);
	for (const char *p = raw; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n')
			(void)buf_append(&b, p, 1);
	s = buf_steal(&b);
	t = str_trim(s);
	out = xstrdup(t);
	free(s);
	return out;
}

/* Valid UTF-8, cut to max bytes on a character boundary. */
static char *utf8_capped(const char *s, size_t max)
{
	char *clean = sanitize_utf8(s, s != NULL ? strlen(s) : 0);
	size_t n = strlen(clean);

	if (n > max) {
		while (max > 0 && ((unsigned char)clean[max] & 0xC0) == 0x80)
			max--;
		clean[max] = '\0';
	}
	return clean;
}

/* Text for display and for mail we compose: valid UTF-8, line breaks and
 * tabs as spaces, other control characters (C0, DEL, C1) removed — an
 * encoded "\r\nBcc:" in a subject must never reach a header we write. */
static char *display_text(const char *s)
{
	char *clean = utf8_capped(s, MAX_HEADER_VALUE);
	const uint8_t *p = (const uint8_t *)clean;
	const uint8_t *end = p + strlen(clean);
	struct buf b;
	char *out, *trimmed;

	buf_init(&b, strlen(clean) + 1);
	while (p < end) {
		ucs4_t uc;
		int n = u8_mbtouc(&uc, p, (size_t)(end - p));

		if (uc == '\r' || uc == '\n' || uc == '\t')
			(void)buf_append(&b, " ", 1);
		else if (uc >= 0x20 && !(uc >= 0x7F && uc <= 0x9F))
			(void)buf_append(&b, p, (size_t)n);
		p += n;
	}
	free(clean);
	out = buf_steal(&b);
	trimmed = xstrdup(str_trim(out));
	free(out);
	return trimmed;
}

static char *mime_type_lower(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *g, *s;

	if (ct == NULL)
		return xstrdup("application/octet-stream");
	g = g_mime_content_type_get_mime_type(ct);
	s = display_text(g != NULL ? g : "application/octet-stream");
	g_free(g);
	str_lower(s);
	return s;
}

/* ---- addresses ---- */

static InternetAddressMailbox *first_mailbox(InternetAddressList *l, int depth)
{
	int n = l != NULL ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < MAX_GROUP_DEPTH) {
			InternetAddressMailbox *mb = first_mailbox(
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
				depth + 1);
			if (mb != NULL)
				return mb;
		}
	}
	return NULL;
}

/* Bare address, lower-case (ASCII), valid UTF-8. */
static char *mailbox_addr(InternetAddressMailbox *mb)
{
	char *s = display_text(internet_address_mailbox_get_addr(mb));

	str_lower(s);
	return s;
}

static void collect_addrs(InternetAddressList *l, struct strlist *out, int depth)
{
	int n = l != NULL ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n && out->n < MAX_ADDRESSES; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			char *addr = mailbox_addr(INTERNET_ADDRESS_MAILBOX(ia));

			if (*addr != '\0')
				strlist_push(out, addr);
			free(addr);
		} else if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < MAX_GROUP_DEPTH) {
			collect_addrs(internet_address_group_get_members(
					      INTERNET_ADDRESS_GROUP(ia)),
				      out, depth + 1);
		}
	}
}

static void parse_addr_list(GMimeParserOptions *opts, const char *value,
			    struct strlist *out)
{
	InternetAddressList *l = internet_address_list_parse(opts, value);

	collect_addrs(l, out, 0);
	if (l != NULL)
		g_object_unref(l);
}

/* First mailbox of an address header: its address (and display name). */
static char *parse_first_addr(GMimeParserOptions *opts, const char *value,
			      char **name_r)
{
	InternetAddressList *l = internet_address_list_parse(opts, value);
	InternetAddressMailbox *mb = first_mailbox(l, 0);
	char *addr = mb != NULL ? mailbox_addr(mb) : xstrdup("");

	if (name_r != NULL) {
		const char *name = mb != NULL ? internet_address_get_name(INTERNET_ADDRESS(mb)) : NULL;
		*name_r = display_text(name != NULL ? name : "");
	}
	if (l != NULL)
		g_object_unref(l);
	return addr;
}

/* Display name as written: RFC 2047 words decoded, one pair of quotes
 * and their backslashes undone. */
static char *display_name(GMimeParserOptions *opts, const char *raw)
{
	char *decoded = g_mime_utils_header_decode_phrase(opts, raw);
	const char *s = decoded != NULL ? decoded : raw;
	size_t n = strlen(s);
	struct buf b;
	char *out;

	buf_init(&b, n + 1);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		for (size_t i = 1; i + 1 < n; i++) {
			if (s[i] == '\\' && i + 2 < n)
				i++;
			(void)buf_append(&b, s + i, 1);
		}
	} else {
		(void)buf_puts(&b, s);
	}
	(void)buf_append(&b, "", 0);
	out = display_text(b.data);
	buf_free(&b);
	g_free(decoded);
	return out;
}

/* The sender of a From, Reply-To or Sender value as mail clients read it
 * (address.c), canonical; "" when the header names no address. */
static char *sender_addr(GMimeParserOptions *opts, const char *value, char **name_r)
{
	char *raw_name = NULL;
	char *addr = address_from_header(value, &raw_name);
	char *clean = display_text(addr != NULL ? addr : "");

	if (name_r != NULL)
		*name_r = display_name(opts, raw_name);
	free(raw_name);
	free(addr);
	return clean;
}

static char *parse_return_path(GMimeParserOptions *opts, const char *value)
{
	const char *p = value;

	/* The null reverse-path "<>" (bounces) is not an address list. */
	if (*p == '<') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '>')
			return xstrdup("");
	}
	return parse_first_addr(opts, value, NULL);
}

/* ---- headers ---- */

static gint header_offset_cmp(gconstpointer x, gconstpointer y)
{
	gint64 a = g_mime_header_get_offset(*(GMimeHeader *const *)x);
	gint64 b = g_mime_header_get_offset(*(GMimeHeader *const *)y);

	return a < b ? -1 : a > b;
}

/* GMime keeps Content-* headers on the top-level part and the others on
 * the message: put them back in wire order. */
static GPtrArray *top_headers(GMimeMessage *msg)
{
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	GMimeHeaderList *lists[2] = {
		g_mime_object_get_header_list(GMIME_OBJECT(msg)),
		body != NULL ? g_mime_object_get_header_list(body) : NULL,
	};
	GPtrArray *all = g_ptr_array_new();

	for (size_t l = 0; l < 2; l++) {
		int n = lists[l] != NULL ? g_mime_header_list_get_count(lists[l]) : 0;

		for (int i = 0; i < n; i++)
			g_ptr_array_add(all, g_mime_header_list_get_header_at(lists[l], i));
	}
	g_ptr_array_sort(all, header_offset_cmp);
	return all;
}

static void set_once(char **field, char *value)
{
	if (*field == NULL)
		*field = value;
	else
		free(value);
}

/* "<id>" as GMime reads it (comments and blanks dropped), or the value
 * as written when GMime finds no id in it; NULL when empty. */
static char *message_id_value(const char *value)
{
	char *id = g_mime_utils_decode_message_id(value);
	char *bracketed, *out;

	if (id == NULL || *id == '\0') {
		g_free(id);
		return *value != '\0' ? display_text(value) : NULL;
	}
	bracketed = xasprintf("<%s>", id);
	g_free(id);
	out = display_text(bracketed);
	free(bracketed);
	return out;
}

/* What the daemon needs from one top-level header. First occurrence wins
 * for single-valued headers: a second From: must not replace the first. */
static void header_interpret(struct analysis *a, GMimeParserOptions *opts,
			     const char *name, const char *value, bool *seen_from,
			     bool *seen_subject)
{
	if (g_ascii_strcasecmp(name, "From") == 0 && !*seen_from) {
		*seen_from = true;
		free(a->from_addr);
		free(a->from_name);
		a->from_addr = sender_addr(opts, value, &a->from_name);
	} else if (g_ascii_strcasecmp(name, "Subject") == 0 && !*seen_subject) {
		char *decoded = g_mime_utils_header_decode_text(opts, value);

		*seen_subject = true;
		free(a->subject);
		a->subject = display_text(decoded != NULL ? decoded : value);
		g_free(decoded);
	} else if (g_ascii_strcasecmp(name, "Reply-To") == 0) {
		set_once(&a->reply_to_addr, sender_addr(opts, value, NULL));
	} else if (g_ascii_strcasecmp(name, "Sender") == 0) {
		set_once(&a->sender_addr, sender_addr(opts, value, NULL));
	} else if (g_ascii_strcasecmp(name, "Return-Path") == 0) {
		a->has_return_path = true;
		set_once(&a->return_path, parse_return_path(opts, value));
	} else if (g_ascii_strcasecmp(name, "Message-ID") == 0) {
		set_once(&a->message_id, message_id_value(value));
	} else if (g_ascii_strcasecmp(name, "Date") == 0) {
		set_once(&a->date_header, display_text(value));
	} else if (g_ascii_strcasecmp(name, "In-Reply-To") == 0) {
		set_once(&a->in_reply_to, display_text(value));
	} else if (g_ascii_strcasecmp(name, "References") == 0) {
		set_once(&a->references, display_text(value));
	} else if (g_ascii_strcasecmp(name, "To") == 0) {
		parse_addr_list(opts, value, &a->to);
	} else if (g_ascii_strcasecmp(name, "Cc") == 0) {
		parse_addr_list(opts, value, &a->cc);
	} else if (g_ascii_strcasecmp(name, "Delivered-To") == 0) {
		parse_addr_list(opts, value, &a->delivered_to);
	} else if (g_ascii_strcasecmp(name, "X-Original-To") == 0) {
		parse_addr_list(opts, value, &a->original_to);
	}
}

static void read_headers(struct analysis *a, GMimeMessage *msg, GMimeParserOptions *opts)
{
	GPtrArray *all = top_headers(msg);
	bool seen_from = false, seen_subject = false;
	size_t n = all->len < MAX_HEADERS ? all->len : MAX_HEADERS;

	if (all->len > MAX_HEADERS)
		warning_add(a, "%u headers: only the first %d examined", all->len, MAX_HEADERS);
	a->headers = xcalloc(n, sizeof(*a->headers));
	for (size_t i = 0; i < n; i++) {
		GMimeHeader *h = g_ptr_array_index(all, i);
		const char *name = g_mime_header_get_name(h);
		char *value = unfold(g_mime_header_get_raw_value(h));

		if (name == NULL) {
			free(value);
			continue;
		}
		header_interpret(a, opts, name, value, &seen_from, &seen_subject);
		a->headers[a->nheaders].name = utf8_capped(name, MAX_HEADER_VALUE);
		a->headers[a->nheaders].value = utf8_capped(value, MAX_HEADER_VALUE);
		a->nheaders++;
		free(value);
	}
	g_ptr_array_free(all, TRUE);
}

/* ---- parts ---- */

/* The part's content with its transfer encoding undone, in a memory stream
 * the caller unrefs. Decoding never makes data larger (base64, QP, uu), so
 * the size is bounded by the message size the daemon already capped. */
static GMimeStream *part_decode(GMimePart *part, const unsigned char **data_r,
				size_t *len_r)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *bytes;

	if (content != NULL)
		(void)g_mime_data_wrapper_write_to_stream(content, mem);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	*data_r = bytes->len > 0 ? bytes->data : (const unsigned char *)"";
	*len_r = bytes->len;
	return mem;
}

static struct document *doc_push(struct walk *w)
{
	struct analysis *a = w->a;

	if (a->ndocs == w->docs_cap) {
		w->docs_cap = w->docs_cap ? w->docs_cap * 2 : 4;
		a->docs = xreallocarray(a->docs, w->docs_cap, sizeof(*a->docs));
	}
	memset(&a->docs[a->ndocs], 0, sizeof(a->docs[0]));
	return &a->docs[a->ndocs++];
}

static void doc_save(struct walk *w, struct document *d, const unsigned char *data,
		     size_t len)
{
	char *fallback, *final = NULL;

	/* An unnamed document still gets a name that opens in the right
	 * program. */
	if (d->is_document)
		fallback = xasprintf("attachment.%s", d->type);
	else
		fallback = xstrdup("attachment");
	if (sanitize_write_unique(w->files_dirfd, d->name, fallback, data, len,
				  &final, w->err) < 0)
		w->failed = true;
	else
		d->file = xasprintf("files/%s", final);
	free(final);
	free(fallback);
}

/* Seconds left for converters. extract_timeout is the budget of the whole
 * worker; a converter given all of it would have the worker killed and the
 * message quarantined, when only that document should fail ("timeout"). */
static long seconds_left(const struct walk *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(w->deadline.tv_sec - now.tv_sec);
}

/* Keep a counted document's text for text.txt (intakectl diff): what is
 * past the cap is left out, the words were counted all the same. */
static void docs_text_add(struct walk *w, const char *text)
{
	struct analysis *a = w->a;
	size_t have = w->docs_text_len, len = strlen(text);
	if (have + len + 2 > ANALYSIS_DOCS_TEXT_MAX)
		return;
	a->docs_text = xreallocarray(a->docs_text, have + len + 3, 1);
	if (have > 0)
		memcpy(a->docs_text + have, "\n\n", 2), have += 2;
	memcpy(a->docs_text + have, text, len + 1);
	w->docs_text_len = have + len;
}

/* The language of the text the words were counted on (SPEC §4):
 * language_detect reads its first LANGUAGE_SAMPLE_MAX bytes. */
static void detect_language(struct walk *w)
{
	struct analysis *a = w->a;
	struct language_guess g;
	const char *text = strcmp(a->counted, "documents") == 0 && a->docs_text ? a->docs_text
										  : a->body_text;

	size_t len = text == a->docs_text ? w->docs_text_len : strlen(text);

	language_detect(text, len, &g);
	memcpy(a->language, g.code, sizeof(a->language));
	a->language_confidence = g.confidence;
}

static void doc_count(struct walk *w, struct document *d, GMimePart *part,
		      const unsigned char *data, size_t len)
{
	const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
								       "charset");
	struct limits_config lim = *w->lim;
	const char *reason = NULL;
	char *text = NULL;

	if (strcmp(d->type, "tnef") == 0) {
		/* winmail.dat: Outlook's wrapper; its contents are not read. */
		d->error = xstrdup("unsupported");
		return;
	}
	if (!d->is_document)
		return;
	lim.extract_timeout = seconds_left(w);
	if (lim.extract_timeout < 1) {
		d->error = xstrdup("timeout");
		return;
	}
	if (extract_text(d->type, data, len, charset, &lim, &text, &reason) < 0) {
		d->error = xstrdup(reason != NULL ? reason : "corrupt");
		/* A scan without a text layer was read: it has no words. */
		if (strcmp(d->error, "no_text") == 0)
			d->words = 0;
		return;
	}
	d->words = wordcount_text(text, strlen(text));
	docs_text_add(w, text);
	free(text);
}

static void attachment(struct walk *w, GMimePart *part, const char *ctype,
		       const char *id)
{
	struct document *d = doc_push(w);
	const char *filename = g_mime_part_get_filename(part);
	const unsigned char *data;
	size_t len;
	GMimeStream *mem = part_decode(part, &data, &len);

	d->name = display_text(filename != NULL ? filename : "");
	d->content_type = xstrdup(ctype);
	d->words = -1;
	d->size = len;
	sha256_hex(data, len, d->sha256);
	d->type = xstrdup(extract_detect_type(data, len, d->name, ctype));
	d->is_document = extract_is_document_type(d->type);
	if (len > w->lim->max_attachment_size) {
		/* Not saved: message.eml holds it anyway. */
		d->error = xstrdup("too_large");
		mime_parts_add(&w->un, id, d->name, "size");
	} else {
		doc_save(w, d, data, len);
		if (!w->failed)
			doc_count(w, d, part, data, len);
		if (!w->failed && d->error != NULL && strcmp(d->error, "timeout") == 0)
			mime_parts_add(&w->un, id, d->name, "time");
	}
	g_object_unref(mem);
}

/* Parts without content of their own: signatures, encryption control
 * data, references to content stored elsewhere. */
static bool is_contentless(const char *ctype)
{
	return strcmp(ctype, "message/external-body") == 0 ||
	       strcmp(ctype, "application/pgp-signature") == 0 ||
	       strcmp(ctype, "application/pkcs7-signature") == 0 ||
	       strcmp(ctype, "application/x-pkcs7-signature") == 0 ||
	       strcmp(ctype, "application/pgp-encrypted") == 0;
}

static void leaf(struct walk *w, GMimePart *part, bool nested, const char *id)
{
	char *ctype = mime_type_lower(GMIME_OBJECT(part));
	const char *disposition = g_mime_object_get_disposition(GMIME_OBJECT(part));
	bool is_text = strncmp(ctype, "text/", 5) == 0;
	bool is_message = strncmp(ctype, "message/", 8) == 0;
	bool is_attachment =
		(disposition != NULL && g_ascii_strcasecmp(disposition, "attachment") == 0) ||
		g_mime_part_get_filename(part) != NULL || (!is_text && !is_message);

	if (is_attachment) {
		if (!is_contentless(ctype))
			attachment(w, part, ctype, id);
	} else if (strcmp(ctype, "text/plain") == 0) {
		GMimePart **slot = nested ? &w->nested_plain : &w->plain;
		if (*slot == NULL)
			*slot = part;
	} else if (strcmp(ctype, "text/html") == 0) {
		GMimePart **slot = nested ? &w->nested_html : &w->html;
		if (*slot == NULL)
			*slot = part;
	}
	free(ctype);
}

/* Whether to enter obj; when not, why (w->stop), and obj is remembered
 * so that the caller lists it with what follows it. */
static bool may_enter(struct walk *w, GMimeObject *obj)
{
	if (w->stop == NULL && ++w->parts > w->lim->max_mime_parts)
		w->stop = "parts";
	if (w->stop == NULL && seconds_left(w) < 0)
		w->stop = "time";
	if (w->stop != NULL)
		w->refused = obj;
	return w->stop == NULL;
}

static void walk(struct walk *w, GMimeObject *obj, unsigned depth, bool nested,
		 const char *id);

static void walk_multipart(struct walk *w, GMimeMultipart *mp, unsigned depth, bool nested,
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

static void walk_message(struct walk *w, GMimeObject *obj, unsigned depth, const char *id)
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
static void walk(struct walk *w, GMimeObject *obj, unsigned depth, bool nested,
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

/* The preferred body part: plain over HTML, this message over forwarded
 * ones. */
static GMimePart *body_part(const struct walk *w, bool *html_r)
{
	GMimePart *order[] = { w->plain, w->html, w->nested_plain, w->nested_html };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] != NULL) {
			*html_r = i % 2 == 1;
			return order[i];
		}
	}
	return NULL;
}

static void read_body(struct walk *w)
{
	bool html = false;
	GMimePart *part = body_part(w, &html);
	char *text = NULL;

	if (part != NULL) {
		const char *charset = g_mime_object_get_content_type_parameter(
			GMIME_OBJECT(part), "charset");
		const unsigned char *data;
		size_t len;
		GMimeStream *mem = part_decode(part, &data, &len);

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
	struct walk *w = user_data;

	(void)offset;
	(void)item;
	if (code == GMIME_CRIT_NESTING_OVERFLOW)
		w->gmime_nesting_overflow = true;
}

static GMimeParserOptions *parser_options(struct walk *w)
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
static void note_limits(struct walk *w)
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
static void find_links(struct walk *w)
{
	GMimePart *parts[] = { w->plain, w->html, w->nested_plain, w->nested_html };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const unsigned char *data;
		size_t len;
		GMimeStream *mem;

		if (parts[i] == NULL)
			continue;
		mem = part_decode(parts[i], &data, &len);
		(void)links_scan((const char *)data, len, on_link, w->a);
		g_object_unref(mem);
	}
}

int mime_analyze(const unsigned char *raw, size_t len, int files_dirfd,
		 const struct limits_config *limits, struct analysis **a_r,
		 struct err *err)
{
	struct limits_config lim = *limits;
	struct walk w = { .lim = &lim, .files_dirfd = files_dirfd, .err = err };
	GMimeParserOptions *opts;
	GMimeMessage *msg;
	GMimeObject *body;
	GByteArray *view = NULL;
	const char *note, *top_id;

	*a_r = NULL;
	if (lim.max_mime_parts == 0)
		lim.max_mime_parts = DEFAULT_MIME_PARTS;
	if (lim.max_mime_depth == 0)
		lim.max_mime_depth = DEFAULT_MIME_DEPTH;
	if (lim.max_attachment_size == 0)
		lim.max_attachment_size = DEFAULT_ATTACHMENT_SIZE;
	if (lim.extract_timeout <= 0)
		lim.extract_timeout = DEFAULT_TIMEOUT;
	/* Keep a tenth of the budget for parsing and the reply. */
	clock_gettime(CLOCK_MONOTONIC, &w.deadline);
	w.deadline.tv_sec += lim.extract_timeout - (lim.extract_timeout + 9) / 10;
	opts = parser_options(&w);
	msg = parse(raw, len, opts, &note, &view);
	if (msg == NULL) {
		g_mime_parser_options_free(opts);
		err_set(err, ERR_MESSAGE, "unparseable message");
		return -1;
	}
	w.a = analysis_new();
	w.un.a = w.a;
	if (note != NULL)
		warning_add(w.a, "%s", note);
	read_headers(w.a, msg, opts);
	body = g_mime_message_get_mime_part(msg);
	w.a->content_type = body != NULL ? mime_type_lower(body) : xstrdup("text/plain");
	top_id = body != NULL && GMIME_IS_MULTIPART(body) ? "" : "1";
	walk(&w, body, 0, false, top_id);
	if (w.stop != NULL && w.refused != NULL)
		mime_parts_skip(&w.un, w.refused, top_id, w.stop); /* no time left for the top part */
	if (!w.failed) {
		read_body(&w);
		find_links(&w);
		w.a->body_words = wordcount_body(w.a->body_text);
		note_limits(&w);
		analysis_total_words(w.a);
		detect_language(&w);
	}
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
