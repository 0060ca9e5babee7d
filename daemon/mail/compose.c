/* compose.c — outgoing RFC 5322 messages, built with GMime: it encodes
 * the headers (RFC 2047), the parameters (RFC 2231), the bodies (quoted-
 * printable, base64) and folds the lines. What is ours is the sanitizing:
 * everything that reaches a header is one clean line of valid UTF-8 (no
 * CR/LF/NUL/controls), so no caller can inject a header or a bare LF. */
#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intaked/classify.h"
#include "compose.h"
#include "intaked/util.h"

#define HEADER_VALUE_MAX 2000 /* sanitized value, bytes */
#define REFS_MAX_IDS     20   /* References kept: the first and the last 19 */
#define MSGID_TOKEN_MAX  250

/* --- sanitizing --------------------------------------------------------- */

/* Blanks and controls a header line keeps as one space at most: C0, DEL,
 * C1, and the Unicode line and paragraph separators. */
static bool header_blank(gunichar c)
{
	return c <= 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0x2028 || c == 0x2029;
}

/* A header value as one clean line: controls (CR, LF, TAB, C1, U+2028/9)
 * become a single space, invalid UTF-8 becomes U+FFFD, blanks are trimmed,
 * at most max bytes cut on a character boundary. */
static char *sanitize_line(const char *s, size_t max)
{
	gchar *valid = g_utf8_make_valid(s ? s : "", -1);
	struct buf b;
	buf_init(&b, max);
	bool after_blank = true; /* drops leading blanks */
	for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
		bool blank = header_blank(g_utf8_get_char(p));
		if (blank && after_blank)
			continue;
		after_blank = blank;
		if (buf_append(&b, blank ? " " : p, blank ? 1 : (size_t)(g_utf8_next_char(p) - p)) < 0)
			break;
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	g_free(valid);
	return buf_steal(&b);
}

/* A body as GMime gets it: LF line ends (a CRLF, LF or CR alone in the
 * input is a line break; GMime writes CRLF), invalid UTF-8 as U+FFFD,
 * controls other than TAB dropped, a final line break. */
static char *sanitize_body(const char *text)
{
	gchar *valid = g_utf8_make_valid(text ? text : "", -1);
	struct buf b;
	buf_init(&b, strlen(valid) + 2);
	for (const char *p = valid; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\r' && p[1] == '\n')
			continue;
		if (c == '\r' || c == '\n')
			buf_append(&b, "\n", 1);
		else if ((c >= 0x20 && c != 0x7F) || c == '\t')
			buf_append(&b, p, 1);
	}
	if (b.len == 0 || b.data[b.len - 1] != '\n')
		buf_append(&b, "\n", 1);
	g_free(valid);
	return buf_steal(&b);
}

/* A bare addr-spec we are willing to put on the wire: printable ASCII, no
 * blanks or brackets, one '@' with something on each side. */
static bool address_ok(const char *a)
{
	size_t n = strlen(a);
	if (n < 3 || n > 254)
		return false;
	const char *at = strrchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F || strchr("<>()[],;:\\\"", *p))
			return false;
	return true;
}

/* Split "Name <addr>" (or a bare address) into a sanitized display name and
 * the address. Returns false when there is no usable address. */
static bool split_mailbox(const char *from, char **name_r, char **addr_r)
{
	const char *lt = strrchr(from, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;
	char *name, *addr;
	if (lt && gt && gt[1 + strspn(gt + 1, " \t")] != '\0')
		return false; /* something after the address */
	if (lt && gt) {
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		char *raw = xstrndup(from, (size_t)(lt - from));
		char *t = str_trim(raw);
		size_t tl = strlen(t);
		if (tl >= 2 && t[0] == '"' && t[tl - 1] == '"') {
			t[tl - 1] = '\0';
			t++;
		}
		name = sanitize_line(t, 200);
		free(raw);
	} else {
		char *raw = xstrdup(from);
		addr = xstrdup(str_trim(raw));
		free(raw);
		name = xstrdup("");
	}
	char *t = str_trim(addr);
	memmove(addr, t, strlen(t) + 1);
	if (!address_ok(addr)) {
		free(name);
		free(addr);
		return false;
	}
	*name_r = name;
	*addr_r = addr;
	return true;
}

/* Append to ids every well-formed "<...>" token of s not already there. */
static void collect_ids(struct strlist *ids, const char *s)
{
	if (s == NULL)
		return;
	const char *p = s;
	while ((p = strchr(p, '<')) != NULL) {
		const char *q = p + 1;
		while (*q > 0x20 && *q < 0x7F && *q != '<' && *q != '>')
			q++;
		if (*q != '>') {
			p = q;
			continue;
		}
		size_t n = (size_t)(q - p) + 1;
		if (n > 2 && n <= MSGID_TOKEN_MAX && memchr(p, '@', n)) {
			char *id = xstrndup(p, n);
			if (!strlist_contains_ci(ids, id))
				strlist_push(ids, id);
			free(id);
		}
		p = q + 1;
	}
}

static char *domain_token(const char *addr)
{
	const char *at = strrchr(addr, '@');
	struct buf b;
	buf_init(&b, 255);
	for (const char *p = at ? at + 1 : ""; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
			buf_append(&b, p, 1);
	if (b.len == 0)
		buf_puts(&b, "localhost");
	return buf_steal(&b);
}

/* A token of the allowed characters only ("auto-replied", "en", "text/csv;
 * charset=utf-8"), or fallback when nothing is left. */
static char *token_of(const char *s, const char *allowed, const char *fallback, size_t max)
{
	struct buf b;
	buf_init(&b, max);
	for (const char *p = s ? s : ""; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr(allowed, *p))
			if (buf_append(&b, p, 1) < 0)
				break;
	if (b.len == 0)
		buf_puts(&b, fallback);
	return buf_steal(&b);
}

static char *clean_header_name(const char *name)
{
	struct buf b;
	buf_init(&b, 64);
	for (const char *p = name; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-')
			buf_append(&b, p, 1);
	if (b.len == 0)
		buf_puts(&b, "X-Invalid");
	return buf_steal(&b);
}

/* --- GMime -------------------------------------------------------------- */

/* The daemon initialises GMime at start-up; a tool or a test that only
 * composes may not have. g_mime_init() counts its calls. */
static void gmime_ready(void)
{
	static gsize done;
	if (g_once_init_enter(&done)) {
		g_mime_init();
		g_once_init_leave(&done, 1);
	}
}

/* CRLF line ends (SMTP, and libcurl passes a bare LF through), RFC 2231
 * for non-ASCII file names. Caller frees. */
static GMimeFormatOptions *wire_format(void)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	g_mime_format_options_set_param_encoding_method(fo, GMIME_PARAM_ENCODING_METHOD_RFC2231);
	return fo;
}

static GMimePart *part_with_content(const char *type, const char *subtype, const void *data,
				    size_t len, GMimeContentEncoding encoding)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(part, w);
	g_mime_part_set_content_encoding(part, encoding);
	g_object_unref(w);
	g_object_unref(st);
	return part;
}

/* text/SUBTYPE; charset=utf-8, quoted-printable. */
static GMimeObject *text_part(const char *subtype, const char *text)
{
	char *clean = sanitize_body(text);
	GMimePart *part = part_with_content("text", subtype, clean, strlen(clean),
					    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
	free(clean);
	return GMIME_OBJECT(part);
}

/* multipart/SUBTYPE of a and b, which it takes over. */
static GMimeObject *multipart_of(const char *subtype, GMimeObject *a, GMimeObject *b)
{
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype(subtype);
	g_mime_multipart_add(mp, a);
	g_mime_multipart_add(mp, b);
	g_object_unref(a);
	g_object_unref(b);
	return GMIME_OBJECT(mp);
}

/* The HTML, or with a chart multipart/related of the HTML and the image it
 * names by its Content-ID (RFC 2392). */
static GMimeObject *html_parts(const struct compose_mail *m)
{
	GMimeObject *html = text_part("html", m->html);
	if (m->html_png == NULL || m->html_png_len == 0 || m->html_png_cid == NULL)
		return html;
	GMimePart *png = part_with_content("image", "png", m->html_png, m->html_png_len,
					   GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_disposition(GMIME_OBJECT(png), "inline");
	g_mime_part_set_filename(png, "chart.png");
	/* Not g_mime_object_set_content_id(): it writes "Content-Id". */
	char *cid = xasprintf("<%s>", m->html_png_cid);
	g_mime_object_append_header(GMIME_OBJECT(png), "Content-ID", cid, NULL);
	free(cid);
	GMimeObject *related = multipart_of("related", html, GMIME_OBJECT(png));
	g_mime_object_set_content_type_parameter(related, "type", "text/html");
	return related;
}

/* The text part, or with m->html a multipart/alternative of the text and
 * the HTML (RFC 2046 5.1.4: the preferred, richer one last). */
static GMimeObject *text_parts(const struct compose_mail *m)
{
	GMimeObject *text = text_part("plain", m->body);
	return m->html ? multipart_of("alternative", text, html_parts(m)) : text;
}

/* The attachment's media type, from the allowed characters only. */
static GMimeContentType *attachment_type(const char *content_type)
{
	char *ctype = token_of(content_type, "/.+-_;= ", "application/octet-stream", 200);
	size_t cl = strlen(ctype);
	while (cl > 0 && (ctype[cl - 1] == ';' || ctype[cl - 1] == ' '))
		ctype[--cl] = '\0';
	GMimeContentType *ct = strchr(ctype, '/') ? g_mime_content_type_parse(NULL, ctype) : NULL;
	free(ctype);
	return ct ? ct : g_mime_content_type_new("application", "octet-stream");
}

/* RFC 2231 names in UTF-8 (GMime would pick the smallest charset that
 * holds the name, such as ISO-8859-1 for "Résumé.pdf"). */
static void name_in_utf8(GMimeParamList *params, const char *name)
{
	GMimeParam *p = params ? g_mime_param_list_get_parameter(params, name) : NULL;
	if (p != NULL)
		g_mime_param_set_charset(p, "UTF-8");
}

/* One attachment, base64; its name in Content-Type name= and
 * Content-Disposition filename=, RFC 2231-encoded when not plain ASCII. */
static GMimeObject *attachment_part(const struct compose_attachment *a)
{
	GMimeContentType *ct = attachment_type(a->content_type);
	GMimePart *part = part_with_content(g_mime_content_type_get_media_type(ct),
					    g_mime_content_type_get_media_subtype(ct), a->data,
					    a->len, GMIME_CONTENT_ENCODING_BASE64);
	g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
	g_object_unref(ct);
	char *name = sanitize_line(a->filename, 200);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_filename(part, *name ? name : "attachment");
	free(name);
	GMimeObject *obj = GMIME_OBJECT(part);
	name_in_utf8(g_mime_content_type_get_parameters(g_mime_object_get_content_type(obj)),
		     "name");
	name_in_utf8(g_mime_content_disposition_get_parameters(
			     g_mime_object_get_content_disposition(obj)), "filename");
	return GMIME_OBJECT(part);
}

/* multipart/mixed of the text parts and the attachments. */
static GMimeObject *mixed_parts(const struct compose_mail *m)
{
	GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_set_prologue(mp, "This is a multi-part message in MIME format.");
	GMimeObject *text = text_parts(m);
	g_mime_multipart_add(mp, text);
	g_object_unref(text);
	for (size_t i = 0; i < m->nattachments; i++) {
		GMimeObject *att = attachment_part(&m->attachments[i]);
		g_mime_multipart_add(mp, att);
		g_object_unref(att);
	}
	return GMIME_OBJECT(mp);
}

/* --- headers ------------------------------------------------------------ */

/* GMime passes what looks like an encoded-word through as one, so a
 * subject "=?utf-8?b?...?=" would reach the reader decoded (a CR LF in
 * it, say). Such a value is sent all in B encoded-words: GLib's base64 of
 * at most 45 bytes of whole characters each (75 characters a word). */
#define EW_CHUNK 45
static char *literal_encoded_words(const char *v)
{
	struct buf b;
	buf_init(&b, strlen(v) * 2 + 64);
	const char *end = v + strlen(v);
	for (const char *p = v; p < end;) {
		const char *q = p + EW_CHUNK < end ? p + EW_CHUNK : end;
		if (q < end && (*q & 0xC0) == 0x80)
			q = g_utf8_find_prev_char(p, q); /* a character's first byte */
		gchar *b64 = g_base64_encode((const guchar *)p, (gsize)(q - p));
		buf_printf(&b, "%s=?UTF-8?B?%s?=", b.len ? " " : "", b64);
		g_free(b64);
		p = q;
	}
	return buf_steal(&b);
}

/* The value of an unstructured header, RFC 2047-encoded. g_free(). */
static char *encode_text(GMimeFormatOptions *fo, const char *v)
{
	if (strstr(v, "=?") == NULL)
		return g_mime_utils_header_encode_text(fo, v, "UTF-8");
	char *words = literal_encoded_words(v);
	char *out = g_strdup(words);
	free(words);
	return out;
}

static void set_subject(GMimeMessage *msg, const char *subject)
{
	char *v = sanitize_line(subject, HEADER_VALUE_MAX);
	if (strstr(v, "=?") == NULL) {
		g_mime_message_set_subject(msg, v, "UTF-8");
	} else {
		char *enc = encode_text(NULL, v);
		g_mime_object_set_header(GMIME_OBJECT(msg), "Subject", enc, NULL);
		g_free(enc);
	}
	free(v);
}

static void add_header(GMimeMessage *msg, const char *name, const char *value)
{
	g_mime_object_append_header(GMIME_OBJECT(msg), name, value, NULL);
}

static void add_mailbox(InternetAddressList *list, const char *name, const char *addr)
{
	InternetAddress *a = internet_address_mailbox_new(*name ? name : NULL, addr);
	internet_address_list_add(list, a);
	g_object_unref(a);
}

/* In-Reply-To: the first id of in_reply_to; References: the original's,
 * then that id, the thread root and the most recent ancestors kept. */
static void add_threading(GMimeMessage *msg, const struct compose_mail *m)
{
	struct strlist ids = { 0 }, refs = { 0 };
	collect_ids(&ids, m->in_reply_to);
	collect_ids(&refs, m->references);
	if (ids.n > 0) {
		add_header(msg, "In-Reply-To", ids.v[0]);
		if (!strlist_contains_ci(&refs, ids.v[0]))
			strlist_push(&refs, ids.v[0]);
	}
	struct buf b;
	buf_init(&b, refs.n * (MSGID_TOKEN_MAX + 1) + 1);
	for (size_t i = 0; i < refs.n; i++) {
		if (refs.n > REFS_MAX_IDS && i > 0 && i < refs.n - (REFS_MAX_IDS - 1))
			continue;
		buf_printf(&b, "%s%s", b.len ? " " : "", refs.v[i]);
	}
	if (b.len > 0)
		add_header(msg, "References", b.data);
	buf_free(&b);
	strlist_free(&ids);
	strlist_free(&refs);
}

/* Date, From, To, Subject, Message-ID, threading, then what keeps
 * auto-responders quiet and our own loop detector informed. */
static void add_headers(GMimeMessage *msg, const struct compose_mail *m, char *const who[4],
			const char *msgid)
{
	GDateTime *date = g_date_time_new_from_unix_utc((gint64)m->date);
	g_mime_message_set_date(msg, date);
	g_date_time_unref(date);
	add_mailbox(g_mime_message_get_from(msg), who[0], who[1]);
	add_mailbox(g_mime_message_get_to(msg), who[2], who[3]);
	set_subject(msg, m->subject);
	add_header(msg, "Message-ID", msgid);
	add_threading(msg, m);
	char *auto_sub = token_of(m->auto_submitted, "-", "auto-generated", 40);
	add_header(msg, "Auto-Submitted", auto_sub);
	free(auto_sub);
	/* Old vacation programs look at Precedence, Exchange at the next
	 * one: neither should answer us (RFC 3834 5). */
	add_header(msg, "Precedence", "bulk");
	add_header(msg, "X-Auto-Response-Suppress", "All");
	add_header(msg, CLASSIFY_LOOP_HEADER, who[1]);
	if (m->language && *m->language) {
		char *lang = token_of(m->language, "-", "en", 35);
		add_header(msg, "Content-Language", lang);
		free(lang);
	}
}

/* What the message will take on the wire, about: base64 and quoted-
 * printable grow by a third (more for non-ASCII text), plus the headers. */
static size_t wire_size_hint(const struct compose_mail *m)
{
	size_t n = 16384 + (m->body ? strlen(m->body) : 0) * 2 +
		   (m->html ? strlen(m->html) : 0) * 2 + m->html_png_len / 3 * 4 * 105 / 100;
	for (size_t i = 0; i < m->nattachments; i++)
		n += m->attachments[i].len / 3 * 4 * 105 / 100 + 1024;
	return n;
}

/* The message as GMime writes it (CRLF); caller frees. The buffer is
 * sized first: grown by GMime 4 KB at a time, it cost 5 ms a digest. */
static char *to_wire(GMimeObject *obj, size_t size_hint, size_t *len_r)
{
	GMimeFormatOptions *fo = wire_format();
	GByteArray *buffer = g_byte_array_sized_new((guint)size_hint);
	GMimeStream *st = g_mime_stream_mem_new_with_byte_array(buffer);
	g_mime_object_write_to_stream(obj, fo, st);
	GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
	char *out = xmalloc(a->len + 1);
	memcpy(out, a->data, a->len);
	out[a->len] = '\0';
	*len_r = a->len;
	g_object_unref(st);
	g_mime_format_options_free(fo);
	return out;
}

char *compose_message(const struct compose_mail *m, char **message_id_r, size_t *len_r)
{
	char *who[4] = { NULL }; /* from name, from addr, to name, to addr */
	if (m->from == NULL || m->to == NULL || !split_mailbox(m->from, &who[0], &who[1]))
		return NULL;
	if (!split_mailbox(m->to, &who[2], &who[3])) {
		free(who[0]);
		free(who[1]);
		return NULL;
	}
	gmime_ready();
	char hex[33];
	random_hex(hex, 16);
	char *domain = domain_token(who[1]);
	char *msgid = xasprintf("<%s@%s>", hex, domain);
	GMimeMessage *msg = g_mime_message_new(FALSE);
	add_headers(msg, m, who, msgid);
	GMimeObject *body = m->nattachments > 0 ? mixed_parts(m) : text_parts(m);
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);
	size_t len;
	char *out = to_wire(GMIME_OBJECT(msg), wire_size_hint(m), &len);
	g_object_unref(msg);
	free(domain);
	for (size_t i = 0; i < 4; i++)
		free(who[i]);
	if (len_r)
		*len_r = len;
	if (message_id_r)
		*message_id_r = msgid;
	else
		free(msgid);
	return out;
}

char *compose_header(const char *name, const char *value)
{
	char *n = clean_header_name(name);
	char *v = sanitize_line(value, HEADER_VALUE_MAX);
	if (*v == '\0') {
		char *empty = xasprintf("%s:\r\n", n);
		free(n);
		free(v);
		return empty;
	}
	gmime_ready();
	GMimeFormatOptions *fo = wire_format();
	char *enc = encode_text(fo, v);
	char *line = g_strdup_printf("%s: %s", n, enc);
	/* GMime folds with LF whatever the format options say: CRLF here. */
	char *folded = g_mime_utils_unstructured_header_fold(NULL, fo, line);
	struct buf b;
	buf_init(&b, 2 * strlen(folded) + 1);
	for (const char *p = folded; *p; p++)
		buf_append(&b, *p == '\n' ? "\r\n" : p, *p == '\n' ? 2 : 1);
	char *out = buf_steal(&b);
	g_free(folded);
	g_free(line);
	g_free(enc);
	g_mime_format_options_free(fo);
	free(n);
	free(v);
	return out;
}
