/* compose.c — outgoing RFC 5322 messages. Everything that reaches a header
 * goes through one sanitizer (no CR/LF/NUL/controls, valid UTF-8) and one
 * folder (lines <= 78), so no caller can inject a header or a bare LF. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intaked/classify.h"
#include "compose.h"
#include "intaked/util.h"

#define LINE_MAX_LEN     78   /* RFC 5322 2.1.1 SHOULD */
#define EW_MAX_LEN       75   /* RFC 2047 2: one encoded-word */
#define EW_OVERHEAD      12   /* "=?UTF-8?B?" + "?=" */
#define HEADER_VALUE_MAX 2000 /* sanitized value, bytes */
#define HEADER_MAX       16384 /* one folded header line */
#define REFS_MAX_IDS     20   /* References kept: the first and the last 19 */
#define MSGID_TOKEN_MAX  250
#define QP_LINE_MAX      76   /* RFC 2045 6.7 (5), soft break included */

static const char hexdig[] = "0123456789ABCDEF";
static const char b64dig[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Length of the valid UTF-8 sequence at p (at most left bytes), 0 if the
 * bytes there are not one (overlong, surrogate, > U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* A header value as one clean line: controls (CR, LF, TAB, C1, U+2028/9)
 * become a single space, invalid UTF-8 becomes U+FFFD, blanks are trimmed,
 * at most max bytes cut on a character boundary. */
static char *sanitize_line(const char *s, size_t max)
{
	struct buf b;
	buf_init(&b, max);
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p);
	bool after_blank = true; /* drops leading blanks */
	while (left > 0) {
		size_t n = utf8_len(p, left);
		const char *piece = (const char *)p;
		size_t plen = n;
		bool blank = false;
		if (n == 0) {
			piece = "\xEF\xBF\xBD";
			plen = 3;
			n = 1;
		} else if (n == 1) {
			blank = *p <= 0x20 || *p == 0x7F;
		} else if (n == 2) {
			blank = p[0] == 0xC2 && p[1] < 0xA0;
		} else if (n == 3) {
			blank = p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9);
		}
		p += n;
		left -= n;
		if (blank) {
			if (after_blank)
				continue;
			piece = " ";
			plen = 1;
		}
		after_blank = blank;
		if (buf_append(&b, piece, plen) < 0)
			break;
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

/* --- folding ------------------------------------------------------------ */

struct folder {
	struct buf *b;
	size_t col;      /* length of the current line so far */
};

/* Append " tok", or fold first when the line would pass LINE_MAX_LEN (a
 * token that does not fit on a line of its own is written anyway). */
static void fold_add(struct folder *f, const char *tok, size_t len)
{
	if (f->col + 1 + len > LINE_MAX_LEN && f->col > 1) {
		buf_puts(f->b, "\r\n");
		f->col = 0;
	}
	buf_append(f->b, " ", 1);
	buf_append(f->b, tok, len);
	f->col += 1 + len;
}

static void fold_words(struct folder *f, const char *text)
{
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n > 0)
			fold_add(f, p, n);
		p += n;
	}
}

/* --- RFC 2047 ----------------------------------------------------------- */

/* Characters that stand for themselves in a Q encoded-word anywhere,
 * phrases included (RFC 2047 5 (3)). */
static bool q_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/';
}

static size_t q_cost(const unsigned char *p, size_t n)
{
	size_t cost = 0;
	for (size_t i = 0; i < n; i++)
		cost += (q_safe(p[i]) || p[i] == ' ') ? 1 : 3;
	return cost;
}

static void q_encode(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ') {
			buf_append(b, "_", 1);
		} else if (q_safe(p[i])) {
			buf_append(b, p + i, 1);
		} else {
			char e[3] = { '=', hexdig[p[i] >> 4], hexdig[p[i] & 15] };
			buf_append(b, e, 3);
		}
	}
}

static void b64_encode(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char o[4] = { b64dig[(v >> 18) & 63], b64dig[(v >> 12) & 63],
			      i + 1 < n ? b64dig[(v >> 6) & 63] : '=',
			      i + 2 < n ? b64dig[v & 63] : '=' };
		buf_append(b, o, 4);
	}
}

/* Encoded-words for text, each holding whole UTF-8 characters only and at
 * most budget characters of payload (the first one first_budget): Q when
 * it is shorter (mostly-ASCII text stays readable), else B. */
static void encoded_words(const char *text, size_t first_budget, size_t budget,
			  struct strlist *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text);
	bool use_q = q_cost(p, len) <= (len + 2) / 3 * 4;
	size_t start = 0, limit = first_budget;
	while (start < len) {
		size_t end = start, cost = 0, whole = start;
		while (end < len) {
			size_t n = utf8_len(p + end, len - end);
			n = n ? n : 1; /* cannot happen on sanitized text */
			size_t next = use_q ? cost + q_cost(p + end, n)
					    : (end + n - start + 2) / 3 * 4;
			if (next > limit && end > start)
				break;
			cost = next;
			end += n;
			if ((end - start) % 3 == 0)
				whole = end;
		}
		/* Some readers (GMime) join adjacent B words before decoding:
		 * end a word on whole base64 groups, without '=' padding,
		 * whenever a character boundary allows it. */
		if (!use_q && end < len && whole > start)
			end = whole;
		struct buf w;
		buf_init(&w, 4 * EW_MAX_LEN);
		buf_puts(&w, use_q ? "=?UTF-8?Q?" : "=?UTF-8?B?");
		if (use_q)
			q_encode(&w, p + start, end - start);
		else
			b64_encode(&w, p + start, end - start);
		buf_puts(&w, "?=");
		strlist_push(out, w.data);
		buf_free(&w);
		start = end;
		limit = budget;
	}
}

/* Encoded-words of text, each <= 75 characters, folded as needed. The
 * first one shares the current line when there is room for it. */
static void fold_encoded(struct folder *f, const char *text)
{
	size_t budget = EW_MAX_LEN - EW_OVERHEAD;
	size_t first = budget;
	if (f->col + 1 + EW_OVERHEAD + 12 <= LINE_MAX_LEN &&
	    LINE_MAX_LEN - f->col - 1 - EW_OVERHEAD < budget)
		first = LINE_MAX_LEN - f->col - 1 - EW_OVERHEAD;
	struct strlist words = { 0 };
	encoded_words(text, first, budget, &words);
	for (size_t i = 0; i < words.n; i++)
		fold_add(f, words.v[i], strlen(words.v[i]));
	strlist_free(&words);
}

static bool plain_ascii_ok(const char *s)
{
	if (strstr(s, "=?") != NULL)
		return false; /* would be read as an encoded-word */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0x80)
			return false;
	/* A word longer than a line could not be folded. */
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, " ");
		if (n > LINE_MAX_LEN - 10)
			return false;
		p += n;
		p += strspn(p, " ");
	}
	return true;
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

static void header_begin(struct buf *b, struct folder *f, const char *name)
{
	char *n = clean_header_name(name);
	f->b = b;
	f->col = strlen(n) + 1;
	buf_puts(b, n);
	buf_puts(b, ":");
	free(n);
}

static void header_end(struct folder *f)
{
	buf_puts(f->b, "\r\n");
}

static void put_unstructured(struct buf *b, const char *name, const char *value)
{
	struct folder f;
	char *v = sanitize_line(value, HEADER_VALUE_MAX);
	header_begin(b, &f, name);
	if (plain_ascii_ok(v))
		fold_words(&f, v);
	else
		fold_encoded(&f, v);
	header_end(&f);
	free(v);
}

char *compose_header(const char *name, const char *value)
{
	struct buf b;
	buf_init(&b, HEADER_MAX);
	put_unstructured(&b, name, value);
	return buf_steal(&b);
}

/* --- addresses ---------------------------------------------------------- */

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

static bool is_atext_phrase(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == ' ' ||
		      strchr("!#$%&'*+-/=?^_`{|}~", *p)))
			return false;
	return true;
}

static void put_mailbox(struct buf *b, const char *hname, const char *name, const char *addr)
{
	struct folder f;
	header_begin(b, &f, hname);
	if (*name == '\0') {
	} else if (is_atext_phrase(name) && strstr(name, "=?") == NULL) {
		fold_words(&f, name);
	} else if (plain_ascii_ok(name)) {
		struct buf q;
		buf_init(&q, 512);
		buf_puts(&q, "\"");
		for (const char *p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(&q, "\\", 1);
			buf_append(&q, p, 1);
		}
		buf_puts(&q, "\"");
		fold_add(&f, q.data, q.len);
		buf_free(&q);
	} else {
		fold_encoded(&f, name);
	}
	char *a = *name ? xasprintf("<%s>", addr) : xstrdup(addr);
	fold_add(&f, a, strlen(a));
	free(a);
	header_end(&f);
}

/* --- message ids -------------------------------------------------------- */

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

static void put_ids(struct buf *b, const char *hname, const struct strlist *ids)
{
	if (ids->n == 0)
		return;
	struct folder f;
	header_begin(b, &f, hname);
	for (size_t i = 0; i < ids->n; i++) {
		/* Keep the thread root and the most recent ancestors. */
		if (ids->n > REFS_MAX_IDS && i > 0 && i < ids->n - (REFS_MAX_IDS - 1))
			continue;
		fold_add(&f, ids->v[i], strlen(ids->v[i]));
	}
	header_end(&f);
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

/* --- simple headers ----------------------------------------------------- */

static void put_date(struct buf *b, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	gmtime_r(&t, &tm);
	buf_printf(b, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		   tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
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

/* --- bodies ------------------------------------------------------------- */

/* Quoted-printable of UTF-8 text with CRLF line ends: a line break in the
 * input (CRLF, LF or CR alone) is a hard break; invalid UTF-8 becomes
 * U+FFFD; controls other than TAB are dropped. Soft breaks never split a
 * character, so each encoded line decodes to whole characters. */
static void qp_body(struct buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t left = strlen((const char *)p);
	size_t col = 0;
	bool bol = true;
	while (left > 0) {
		if (*p == '\r' || *p == '\n') {
			size_t n = (*p == '\r' && left > 1 && p[1] == '\n') ? 2 : 1;
			buf_puts(b, "\r\n");
			p += n;
			left -= n;
			col = 0;
			bol = true;
			continue;
		}
		size_t n = utf8_len(p, left);
		const unsigned char *ch = p;
		size_t chlen = n;
		if (n == 0) {
			ch = (const unsigned char *)"\xEF\xBF\xBD";
			chlen = 3;
			n = 1;
		}
		p += n;
		left -= n;
		if (chlen == 1 && ((*ch < 0x20 && *ch != '\t') || *ch == 0x7F))
			continue;
		bool eol = left == 0 || *p == '\r' || *p == '\n';
		char enc[16];
		size_t elen = 0;
		for (size_t i = 0; i < chlen; i++) {
			unsigned char c = ch[i];
			bool literal = (c >= 0x20 && c < 0x7F && c != '=') || c == '\t';
			if ((c == ' ' || c == '\t') && eol)
				literal = false; /* trailing blanks would be lost */
			if (bol && (c == '.' || (c == 'F' && left >= 4 && memcmp(p, "rom ", 4) == 0)))
				literal = false; /* dot-lines, mbox "From " */
			if (literal) {
				enc[elen++] = (char)c;
			} else {
				enc[elen++] = '=';
				enc[elen++] = hexdig[c >> 4];
				enc[elen++] = hexdig[c & 15];
			}
		}
		if (col + elen > QP_LINE_MAX - 1) {
			buf_puts(b, "=\r\n");
			col = 0;
		}
		buf_append(b, enc, elen);
		col += elen;
		bol = false;
	}
	if (b->len < 2 || memcmp(b->data + b->len - 2, "\r\n", 2) != 0)
		buf_puts(b, "\r\n");
}

static void b64_body(struct buf *b, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 57) {
		b64_encode(b, p + i, n - i < 57 ? n - i : 57);
		buf_puts(b, "\r\n");
	}
}

/* Characters an RFC 2231 extended value carries as themselves. */
static bool attr_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Content-Type/-Disposition of one attachment, the name as a quoted
 * string when plain, else RFC 2231 (filename*0*=UTF-8''...) plus the
 * RFC 2047 form in name= that older Outlook reads. */
static void put_attachment_headers(struct buf *b, const struct compose_attachment *a)
{
	char *ctype = token_of(a->content_type, "/.+-_;= ", "application/octet-stream", 200);
	if (strchr(ctype, '/') == NULL) {
		free(ctype);
		ctype = xstrdup("application/octet-stream");
	}
	char *name = sanitize_line(a->filename, 200);
	if (*name == '\0') {
		free(name);
		name = xstrdup("attachment");
	}
	bool plain = plain_ascii_ok(name) && strlen(name) <= 60 && !strpbrk(name, "\"\\");
	struct folder f;
	header_begin(b, &f, "Content-Type");
	size_t cl = strlen(ctype);
	while (cl > 0 && (ctype[cl - 1] == ';' || ctype[cl - 1] == ' '))
		ctype[--cl] = '\0';
	char *ct = xasprintf("%s;", ctype);
	fold_words(&f, ct);
	free(ct);
	if (plain) {
		char *t = xasprintf("name=\"%s\"", name);
		fold_add(&f, t, strlen(t));
		free(t);
	} else {
		/* name="=?UTF-8?B?...?= =?UTF-8?B?...?=": quotes on the ends. */
		struct strlist words = { 0 };
		encoded_words(name, 52, 52, &words);
		for (size_t i = 0; i < words.n; i++) {
			char *t = xasprintf("%s%s%s", i == 0 ? "name=\"" : "", words.v[i],
					    i + 1 == words.n ? "\"" : "");
			fold_add(&f, t, strlen(t));
			free(t);
		}
		strlist_free(&words);
	}
	header_end(&f);

	header_begin(b, &f, "Content-Disposition");
	fold_add(&f, "attachment;", 11);
	if (plain) {
		char *t = xasprintf("filename=\"%s\"", name);
		fold_add(&f, t, strlen(t));
		free(t);
	} else {
		struct buf seg;
		buf_init(&seg, 256);
		unsigned k = 0;
		const unsigned char *p = (const unsigned char *)name;
		size_t left = strlen(name);
		while (left > 0) {
			buf_printf(&seg, "filename*%u*=%s", k, k == 0 ? "UTF-8''" : "");
			while (left > 0 && seg.len < 60) {
				size_t n = utf8_len(p, left);
				n = n ? n : 1;
				for (size_t i = 0; i < n; i++) {
					if (attr_char(p[i])) {
						buf_append(&seg, p + i, 1);
					} else {
						char e[3] = { '%', hexdig[p[i] >> 4], hexdig[p[i] & 15] };
						buf_append(&seg, e, 3);
					}
				}
				p += n;
				left -= n;
			}
			if (left > 0)
				buf_append(&seg, ";", 1);
			fold_add(&f, seg.data, seg.len);
			seg.len = 0;
			k++;
		}
		buf_free(&seg);
	}
	header_end(&f);
	buf_puts(b, "Content-Transfer-Encoding: base64\r\n\r\n");
	free(ctype);
	free(name);
}

static size_t size_bound(const struct compose_mail *m)
{
	size_t n = 65536 + 3 * (m->body ? strlen(m->body) : 0) * 2 +
		   3 * (m->html ? strlen(m->html) : 0) * 2 + m->html_png_len / 3 * 4 +
		   m->html_png_len / 57 * 2 + 4096;
	for (size_t i = 0; i < m->nattachments; i++)
		n += m->attachments[i].len / 3 * 4 + m->attachments[i].len / 57 * 2 + 4096;
	return n;
}

/* The text part, or with m->html a multipart/alternative of the text and
 * the HTML (RFC 2046 5.1.4: the preferred, richer one last). Headers, a
 * blank line, the body. */
static void put_text_parts(struct buf *b, const struct compose_mail *m, const char *boundary)
{
	const char *text_headers = "Content-Type: text/plain; charset=utf-8\r\n"
				   "Content-Transfer-Encoding: quoted-printable\r\n";
	if (m->html == NULL) {
		buf_printf(b, "%s\r\n", text_headers);
		qp_body(b, m->body);
		return;
	}
	buf_printf(b, "Content-Type: multipart/alternative;\r\n boundary=\"%s-alt\"\r\n\r\n",
		   boundary);
	buf_printf(b, "\r\n--%s-alt\r\n%s\r\n", boundary, text_headers);
	qp_body(b, m->body);
	buf_printf(b, "\r\n--%s-alt\r\n", boundary);
	bool related = m->html_png != NULL && m->html_png_len > 0 && m->html_png_cid != NULL;
	if (related)
		buf_printf(b, "Content-Type: multipart/related; type=\"text/html\";\r\n"
			   " boundary=\"%s-rel\"\r\n\r\n\r\n--%s-rel\r\n", boundary, boundary);
	buf_puts(b, "Content-Type: text/html; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_body(b, m->html);
	if (related) {
		/* RFC 2392: the HTML names the image by its Content-ID. */
		buf_printf(b, "\r\n--%s-rel\r\nContent-Type: image/png\r\n"
			   "Content-Disposition: inline; filename=\"chart.png\"\r\n"
			   "Content-ID: <%s>\r\nContent-Transfer-Encoding: base64\r\n\r\n",
			   boundary, m->html_png_cid);
		b64_body(b, m->html_png, m->html_png_len);
		buf_printf(b, "\r\n--%s-rel--\r\n", boundary);
	}
	buf_printf(b, "\r\n--%s-alt--\r\n", boundary);
}

char *compose_message(const struct compose_mail *m, char **message_id_r, size_t *len_r)
{
	char *from_name = NULL, *from_addr = NULL, *to_name = NULL, *to_addr = NULL;
	if (m->from == NULL || m->to == NULL || !split_mailbox(m->from, &from_name, &from_addr))
		return NULL;
	if (!split_mailbox(m->to, &to_name, &to_addr)) {
		free(from_name);
		free(from_addr);
		return NULL;
	}
	struct buf b;
	buf_init(&b, size_bound(m));
	char hex[33];
	random_hex(hex, 16);
	char *domain = domain_token(from_addr);
	char *msgid = xasprintf("<%s@%s>", hex, domain);
	char boundary[48];
	random_hex(hex, 12);
	memcpy(boundary, "=_intaked_", 10);
	memcpy(boundary + 10, hex, 25);

	put_date(&b, m->date);
	put_mailbox(&b, "From", from_name, from_addr);
	put_mailbox(&b, "To", to_name, to_addr);
	put_unstructured(&b, "Subject", m->subject);
	buf_printf(&b, "Message-ID: %s\r\n", msgid);
	struct strlist ids = { 0 };
	collect_ids(&ids, m->in_reply_to);
	if (ids.n > 0) {
		struct strlist first = { 0 };
		strlist_push(&first, ids.v[0]);
		put_ids(&b, "In-Reply-To", &first);
		strlist_free(&first);
	}
	struct strlist refs = { 0 };
	collect_ids(&refs, m->references);
	if (ids.n > 0 && !strlist_contains_ci(&refs, ids.v[0]))
		strlist_push(&refs, ids.v[0]);
	put_ids(&b, "References", &refs);
	strlist_free(&ids);
	strlist_free(&refs);

	char *auto_sub = token_of(m->auto_submitted, "-", "auto-generated", 40);
	buf_printf(&b, "Auto-Submitted: %s\r\n", auto_sub);
	free(auto_sub);
	/* Old vacation programs look at Precedence, Exchange at this one:
	 * neither should answer us (RFC 3834 5). */
	buf_puts(&b, "Precedence: bulk\r\nX-Auto-Response-Suppress: All\r\n");
	buf_printf(&b, "%s: %s\r\n", CLASSIFY_LOOP_HEADER, from_addr);
	buf_puts(&b, "MIME-Version: 1.0\r\n");
	if (m->language && *m->language) {
		char *lang = token_of(m->language, "-", "en", 35);
		buf_printf(&b, "Content-Language: %s\r\n", lang);
		free(lang);
	}
	if (m->nattachments == 0) {
		put_text_parts(&b, m, boundary);
	} else {
		buf_printf(&b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n"
			   "This is a multi-part message in MIME format.\r\n", boundary);
		buf_printf(&b, "\r\n--%s\r\n", boundary);
		put_text_parts(&b, m, boundary);
		for (size_t i = 0; i < m->nattachments; i++) {
			buf_printf(&b, "\r\n--%s\r\n", boundary);
			put_attachment_headers(&b, &m->attachments[i]);
			b64_body(&b, m->attachments[i].data, m->attachments[i].len);
		}
		buf_printf(&b, "\r\n--%s--\r\n", boundary);
	}
	free(domain);
	free(from_name);
	free(from_addr);
	free(to_name);
	free(to_addr);
	if (len_r)
		*len_r = b.len;
	if (message_id_r)
		*message_id_r = msgid;
	else
		free(msgid);
	return buf_steal(&b);
}
