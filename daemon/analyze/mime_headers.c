/* mime_headers.c — a message's top-level headers into struct analysis,
 * with GMime: addresses (groups, RFC 2047 display names), subject,
 * message ids; and the text helpers every mime*.c uses to keep what we
 * store and send valid UTF-8 without control characters. */
#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "intaked/address.h"
#include "intaked/log.h"
#include "intaked/sanitize.h"
#include "intaked/util.h"
#include "mime_impl.h"

#define MAX_HEADERS 1000
#define MAX_HEADER_VALUE (64 * 1024)
#define MAX_ADDRESSES 1000    /* per list (To, Cc, ...) */
#define MAX_GROUP_DEPTH 4     /* groups cannot nest in RFC 5322; GMime may */
#define WARNING_MAX 1024

/* ---- text helpers ---- */

void mime_warning_add(struct analysis *a, const char *fmt, ...)
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
char *mime_display_text(const char *s)
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

char *mime_type_lower(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *g, *s;

	if (ct == NULL)
		return xstrdup("application/octet-stream");
	g = g_mime_content_type_get_mime_type(ct);
	s = mime_display_text(g != NULL ? g : "application/octet-stream");
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
	char *s = mime_display_text(internet_address_mailbox_get_addr(mb));

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
		*name_r = mime_display_text(name != NULL ? name : "");
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
	out = mime_display_text(b.data);
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
	char *clean = mime_display_text(addr != NULL ? addr : "");

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
		return *value != '\0' ? mime_display_text(value) : NULL;
	}
	bracketed = xasprintf("<%s>", id);
	g_free(id);
	out = mime_display_text(bracketed);
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
		a->subject = mime_display_text(decoded != NULL ? decoded : value);
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
		set_once(&a->date_header, mime_display_text(value));
	} else if (g_ascii_strcasecmp(name, "In-Reply-To") == 0) {
		set_once(&a->in_reply_to, mime_display_text(value));
	} else if (g_ascii_strcasecmp(name, "References") == 0) {
		set_once(&a->references, mime_display_text(value));
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

void mime_read_headers(struct analysis *a, GMimeMessage *msg, GMimeParserOptions *opts)
{
	GPtrArray *all = top_headers(msg);
	bool seen_from = false, seen_subject = false;
	size_t n = all->len < MAX_HEADERS ? all->len : MAX_HEADERS;

	if (all->len > MAX_HEADERS)
		mime_warning_add(a, "%u headers: only the first %d examined", all->len, MAX_HEADERS);
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
