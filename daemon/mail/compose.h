/* compose.h — build outgoing RFC 5322 messages with GMime: safe UTF-8
 * headers (RFC 2047, folded, no CR/LF from anything a sender controls), a
 * text/plain UTF-8 body (quoted-printable), optional attachments (RFC 2231
 * names), CRLF line ends. */
#ifndef INTAKED_COMPOSE_H
#define INTAKED_COMPOSE_H

#include <stddef.h>
#include <time.h>

struct compose_attachment {
	const char *filename;     /* UTF-8 */
	const char *content_type; /* "text/csv; charset=utf-8" */
	const void *data;
	size_t len;
};

struct compose_mail {
	const char *from;          /* header value "Name <addr>" or a bare addr */
	const char *to;            /* bare address (or "Name <addr>") */
	const char *subject;       /* UTF-8, any content: sanitized here */
	const char *body;          /* UTF-8 text, LF or CRLF */
	const char *html;          /* NULL, or an HTML alternative of body
				    * (multipart/alternative) */
	const unsigned char *html_png; /* with html: an image it shows as
				    * cid:html_png_cid (multipart/related) */
	size_t html_png_len;
	const char *html_png_cid;  /* "name@domain", no angle brackets */
	const char *auto_submitted;/* "auto-replied" | "auto-generated" (default) */
	const char *in_reply_to;   /* "<id>" or NULL; also appended to References */
	const char *references;    /* the original's References, or NULL */
	const char *language;      /* Content-Language, or NULL */
	const struct compose_attachment *attachments;
	size_t nattachments;
	time_t date;
};

/* Returns the message (caller frees; CRLF line ends, no bare LF, lines
 * folded at 78 where GMime can: not inside a long media type or a long
 * run of non-ASCII text, which stay under RFC 5322's 998) and a fresh
 * Message-ID in *message_id_r ("<32 hex@domain of from>", caller frees; may be NULL).
 * Headers: Date (UTC), From, To, Subject, Message-ID, In-Reply-To,
 * References (only well-formed <...> tokens, the first and the last 19
 * kept), Auto-Submitted, Precedence: bulk, X-Auto-Response-Suppress: All,
 * CLASSIFY_LOOP_HEADER (classify.h) with the From address, MIME-Version,
 * Content-Language; body text/plain; charset=utf-8 quoted-printable, or
 * multipart/mixed with base64 attachments. Returns NULL (nothing
 * allocated) when from or to holds no usable address. */
char *compose_message(const struct compose_mail *m, char **message_id_r, size_t *len_r);
/* One unstructured header line "Name: value\r\n": controls (CR, LF, NUL,
 * TAB...) become a space, invalid UTF-8 U+FFFD, value RFC 2047-encoded by
 * GMime when not plain ASCII, all in B encoded-words when it holds "=?"
 * (read as an encoded-word otherwise), folded. Caller frees. */
char *compose_header(const char *name, const char *value);

#endif
