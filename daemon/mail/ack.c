/* ack.c — whether to acknowledge a filed message, and the text of the
 * acknowledgement. Every value taken from the sender's message is made a
 * single clean line before it reaches a template. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intaked/ack.h"
#include "intaked/address.h"
#include "intaked/classify.h"
#include "compose.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/route.h"
#include "intaked/spool.h"
#include "template.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define VALUE_MAX    300   /* one sender-controlled value, bytes */
#define SUBJECT_MAX  150
#define DOCS_MAX     (64 * 1024)
#define URL_MAX      2100  /* links.h LINKS_URL_MAX and some */
#define UNEXAMINED_SHOWN 20 /* parts named one by one; the rest counted */

static bool str_is(const char *a, const char *b)
{
	return a != NULL && strcmp(a, b) == 0;
}

/* An address we would hand to SMTP: one '@', printable ASCII, no blanks or
 * brackets (smtp.c checks again before sending). */
static bool address_usable(const char *a)
{
	size_t n = strlen(a);
	const char *at = strrchr(a, '@');
	if (n < 3 || n > 254 || at == NULL || at == a || at[1] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p >= 0x7F || strchr("<>()[],;:\\\"", *p))
			return false;
	return true;
}

/* RFC 3834 §4 lets a responder whose answer is meant for the author (as
 * opposed to a vacation notice) write to Reply-To, else From, rather than
 * to the Return-Path. That is what a mission expects of a receipt: the
 * Return-Path is often a bounce-handling address of its mail system
 * (SRS, VERP) that no one reads, and a diplomat sending from a personal
 * account sets Reply-To to the mission's desk. But only a sender the
 * roster verifies may redirect its receipt: anyone else could name a
 * victim in Reply-To and have the secretariat write to it (a reflector),
 * so a stranger's receipt goes to its From address only. A Reply-To that
 * is a no-reply address falls back to From. */
const char *ack_recipient(const struct metadata *md)
{
	/* Only a sender the roster verifies chooses where the receipt goes: a
	 * stranger, or a member's address that failed authentication (a held
	 * version), is answered at its From (issue 14). */
	bool from_only = md->held || !md->submitter.verified;
	if (!from_only && md->reply_to != NULL && *md->reply_to != '\0' &&
	    !classify_is_noreply_address(md->reply_to) && address_usable(md->reply_to))
		return md->reply_to;
	if (md->from != NULL && *md->from != '\0')
		return md->from;
	return NULL;
}

static bool is_own_address(const struct config *cfg, const char *addr)
{
	if (cfg->smtp.from_addr && address_matches(addr, cfg->smtp.from_addr))
		return true;
	if (cfg->mailbox.user && strchr(cfg->mailbox.user, '@') &&
	    address_matches(addr, cfg->mailbox.user))
		return true;
	for (size_t i = 0; i < cfg->ncalls; i++)
		for (size_t j = 0; j < cfg->calls[i].match_to.n; j++)
			if (address_matches(addr, cfg->calls[i].match_to.v[j]))
				return true;
	return false;
}

/* Static name of a non-submission kind. */
static const char *kind_reason(const char *kind)
{
	static const char *const kinds[] = { "unmatched", "auto-reply", "bounce", "list",
					     "loop", "malformed" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (str_is(kind, kinds[i]))
			return kinds[i];
	return "not-submission";
}

/* The daily limit for the "which consultation?" reply: the strictest of
 * the calls', since such a reply goes to senders no roster vouches for. */
static int unmatched_limit(const struct config *cfg)
{
	int limit = -1;
	for (size_t i = 0; i < cfg->ncalls; i++)
		if (limit < 0 || cfg->calls[i].ack_per_sender_per_day < limit)
			limit = cfg->calls[i].ack_per_sender_per_day;
	return limit < 0 ? 0 : limit;
}

const char *ack_suppression(const struct config *cfg, const struct call_config *call,
			    const struct metadata *md, int sent_today)
{
	if (str_is(md->kind, "submission")) {
		if (call == NULL)
			return "unmatched";
	} else if (!(str_is(md->kind, "unmatched") && cfg->mailbox.ack_unmatched)) {
		return kind_reason(md->kind);
	}
	const char *rcpt = ack_recipient(md);
	if (rcpt == NULL || *rcpt == '\0' || classify_is_noreply_address(rcpt))
		return "noreply-sender";
	if (!address_usable(rcpt))
		return "bad-address";
	if (is_own_address(cfg, rcpt))
		return "own-address";
	if (call != NULL && !md->submitter.verified && !call->ack_unknown)
		return "unknown-sender";
	int limit = call != NULL ? call->ack_per_sender_per_day : unmatched_limit(cfg);
	if (sent_today >= limit)
		return "rate-limit";
	return NULL;
}

char *ack_stranger_key(const struct call_config *call, time_t now)
{
	struct tm tm;
	char hour[16];
	gmtime_r(&now, &tm);
	strftime(hour, sizeof(hour), "%Y-%m-%dT%H", &tm);
	return xasprintf("strangers:%s:%s", call != NULL ? call->name : "-unmatched", hour);
}

const char *ack_stranger_cap(const struct config *cfg, const struct call_config *call,
			     const struct metadata *md, int strangers_this_hour)
{
	int cap = -1;
	if (md->submitter.verified)
		return NULL;
	if (call != NULL)
		cap = call->ack_unknown_per_hour;
	for (size_t i = 0; call == NULL && i < cfg->ncalls; i++)
		if (cap < 0 || cfg->calls[i].ack_unknown_per_hour < cap)
			cap = cfg->calls[i].ack_unknown_per_hour;
	return strangers_this_hour >= (cap < 0 ? 0 : cap) ? "stranger-cap" : NULL;
}

/* --- text ----------------------------------------------------------------- */

/* Length a UTF-8 lead byte announces (1 for anything else). */
static size_t utf8_seq_len(unsigned char c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

/* One line of at most max bytes: controls become spaces, blanks collapse,
 * a cut never leaves half a UTF-8 character. */
static char *one_line(const char *s, size_t max)
{
	struct buf b;
	buf_init(&b, max);
	bool blank = true;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		bool is_blank = *p <= 0x20 || *p == 0x7F;
		if (is_blank && blank)
			continue;
		blank = is_blank;
		if (buf_append(&b, is_blank ? " " : (const char *)p, 1) < 0) {
			size_t k = b.len;
			while (k > 0 && ((unsigned char)b.data[k - 1] & 0xC0) == 0x80)
				k--;
			if (k > 0 && b.len - (k - 1) < utf8_seq_len((unsigned char)b.data[k - 1]))
				b.len = k - 1;
			break;
		}
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.len--;
	if (b.data != NULL)
		b.data[b.len] = '\0';
	return buf_steal(&b);
}

struct ack_text {
	const char *lang;
	struct template_var vars[24];
	size_t nvars;
	char *owned[24];
	size_t nowned;
};

static void var_set(struct ack_text *t, const char *name, const char *value)
{
	for (size_t i = 0; i < t->nvars; i++)
		if (strcmp(t->vars[i].name, name) == 0) {
			t->vars[i].value = value;
			return;
		}
	if (t->nvars < sizeof(t->vars) / sizeof(t->vars[0]))
		t->vars[t->nvars++] = (struct template_var){ name, value };
}

/* Set a variable to an owned string (freed with the text). */
static void var_take(struct ack_text *t, const char *name, char *value)
{
	if (t->nowned < sizeof(t->owned) / sizeof(t->owned[0])) {
		t->owned[t->nowned++] = value;
		var_set(t, name, value);
	} else {
		free(value);
	}
}

static void text_free(struct ack_text *t)
{
	for (size_t i = 0; i < t->nowned; i++)
		free(t->owned[i]);
	t->nowned = t->nvars = 0;
}

static char *render_builtin(const struct ack_text *t, const char *name)
{
	const char *text = template_builtin(name, t->lang);
	return template_render(text ? text : "", t->vars, t->nvars);
}

/* The form of name for the count n; an unknown count (-1) reads as many. */
static char *render_builtin_n(const struct ack_text *t, const char *name, long n)
{
	const char *text = template_builtin_n(name, t->lang, n < 0 ? 2 : n);
	return template_render(text ? text : "", t->vars, t->nvars);
}

static char *number_or_dash(long n)
{
	return n >= 0 ? xasprintf("%ld", n) : xstrdup("-");
}

static char *reason_text(const struct ack_text *t, const char *code)
{
	char *name = xasprintf("reason_%s", code);
	const char *known = template_builtin(name, t->lang);
	free(name);
	return known ? xstrdup(known) : one_line(code, 60);
}

static void put_line(struct buf *b, char *s)
{
	if (b->len > 0)
		buf_puts(b, "\n");
	buf_puts(b, s);
	free(s);
}

/* Too large and too slow documents already show as unreadable ones. */
static bool ack_lists_unexamined(const struct md_unexamined *u)
{
	return !str_is(u->reason, "size") && !str_is(u->reason, "time");
}

static void unexamined_line(const struct ack_text *t, const struct md_unexamined *u,
			    struct buf *b)
{
	struct ack_text line = { .lang = t->lang };
	char *rname = xasprintf("skip_%s", u->reason ? u->reason : "");
	const char *known = template_builtin(rname, t->lang);

	free(rname);
	var_take(&line, "reason", known ? xstrdup(known) : one_line(u->reason, 60));
	var_take(&line, "part", one_line(u->part ? u->part : "?", VALUE_MAX));
	if (u->name != NULL)
		var_take(&line, "name", one_line(u->name, VALUE_MAX));
	put_line(b, render_builtin(&line, u->name ? "unexamined_line" : "unexamined_part"));
	text_free(&line);
}

/* "- NAME (part 1.2): not examined (REASON)" for the first parts, then
 * how many more; "- Document shared as a link (SERVICE)...: URL". */
static void hidden_lines(struct ack_text *t, const struct metadata *md, struct buf *b)
{
	size_t shown = 0, more = 0;

	for (size_t i = 0; i < md->nunexamined; i++) {
		if (!ack_lists_unexamined(&md->unexamined[i]))
			continue;
		if (shown++ < UNEXAMINED_SHOWN)
			unexamined_line(t, &md->unexamined[i], b);
		else
			more++;
	}
	if (more > 0) {
		struct ack_text line = { .lang = t->lang };
		var_take(&line, "count", xasprintf("%zu", more));
		put_line(b, render_builtin_n(&line, "unexamined_more", (long)more));
		text_free(&line);
	}
	for (size_t i = 0; i < md->nlinked; i++) {
		struct ack_text line = { .lang = t->lang };
		var_take(&line, "service", one_line(md->linked[i].service, VALUE_MAX));
		var_take(&line, "url", one_line(md->linked[i].url, URL_MAX));
		put_line(b, render_builtin(&line, "link_line"));
		text_free(&line);
	}
}

/* "- NAME: N words" / "- NAME: could not be read (REASON)" per document,
 * and the message text when that is what was counted. */
static char *documents_list(struct ack_text *t, const struct metadata *md, bool *unreadable_r)
{
	struct buf b;
	buf_init(&b, DOCS_MAX);
	*unreadable_r = false;
	for (size_t i = 0; i < md->ndocuments; i++) {
		const struct md_document *d = &md->documents[i];
		if (d->error == NULL && d->words < 0)
			continue; /* not a document (an image, a signature...) */
		struct ack_text line = { .lang = t->lang };
		/* Attachment names are the sender's text: a stranger gets numbers. */
		var_take(&line, "name", !md->submitter.verified ? xasprintf("#%zu", i + 1)
					: one_line(d->name && *d->name ? d->name : d->file, VALUE_MAX));
		if (d->error != NULL) {
			var_take(&line, "reason", reason_text(t, d->error));
			*unreadable_r = true;
		} else {
			var_take(&line, "words", number_or_dash(d->words));
		}
		char *s = d->error ? render_builtin(&line, "doc_error")
				   : render_builtin_n(&line, "doc_line", d->words);
		if (b.len > 0)
			buf_puts(&b, "\n");
		buf_puts(&b, s);
		free(s);
		text_free(&line);
	}
	if (str_is(md->counted, "body") || b.len == 0) {
		struct ack_text line = { .lang = t->lang };
		var_take(&line, "words", number_or_dash(md->word_count));
		char *s = render_builtin_n(&line, "body_line", md->word_count);
		if (b.len > 0)
			buf_puts(&b, "\n");
		buf_puts(&b, s);
		free(s);
		text_free(&line);
	}
	hidden_lines(t, md, &b);
	return buf_steal(&b);
}

static const char *timeliness_outcome(const struct metadata *md)
{
	if (str_is(md->status, "rejected"))
		return "outcome_rejected";
	if (str_is(md->timeliness, "early"))
		return "outcome_early";
	if (str_is(md->timeliness, "within_grace"))
		return "outcome_within_grace";
	if (str_is(md->timeliness, "late"))
		return str_is(md->status, "late") ? "outcome_late_flagged" : "outcome_late_accepted";
	return "outcome_on_time";
}

static char *outcome_text(const struct ack_text *t, const struct metadata *md, bool unreadable)
{
	const char *parts[6];
	size_t n = 0;
	parts[n++] = timeliness_outcome(md);
	if (md->over_limit)
		parts[n++] = "outcome_over_limit";
	/* Never "within the limit" by silence when the words are not all known. */
	if (md->over_limit_unknown && md->nunexamined > 0)
		parts[n++] = "outcome_limit_unknown";
	if (md->nlinked > 0 && md->over_limit_unknown && str_is(md->counted, "body"))
		parts[n++] = "outcome_linked";
	else if (md->nlinked > 0 && str_is(md->counted, "documents"))
		parts[n++] = "outcome_linked_counted";
	if (unreadable)
		parts[n++] = "outcome_unreadable";
	if (md->version > 1)
		parts[n++] = "outcome_new_version";
	struct buf b;
	buf_init(&b, DOCS_MAX);
	for (size_t i = 0; i < n; i++) {
		char *s = render_builtin(t, parts[i]);
		if (i > 0)
			buf_puts(&b, "\n\n");
		buf_puts(&b, s);
		free(s);
	}
	return buf_steal(&b);
}

/* A stranger's receipt names only its address (in Unicode): a display
 * name is the stranger's text and would travel signed as ours. */
static char *submitter_text(const struct metadata *md)
{
	if (md->submitter.verified && md->submitter.name && *md->submitter.name)
		return one_line(md->submitter.name, VALUE_MAX);
	char *shown = address_display(md->from);
	char *from = one_line(shown, VALUE_MAX);
	free(shown);
	if (!md->submitter.verified)
		return from;
	char *name = one_line(md->from_name, VALUE_MAX);
	char *s = *name ? xasprintf("%s (%s)", name, from) : xstrdup(from);
	free(name);
	free(from);
	return s;
}

static void time_vars(struct ack_text *t, const char *local_name, const char *utc_name,
		      time_t when, const char *zone)
{
	char local[80], utc[32];
	tztime_format_local(when, zone, local, sizeof(local));
	tztime_format_utc(when, utc, sizeof(utc));
	var_take(t, local_name, xstrdup(local));
	var_take(t, utc_name, xstrdup(utc));
}

static void common_vars(struct ack_text *t, const struct call_config *call,
			const struct metadata *md)
{
	const char *zone = md->zone ? md->zone : call && call->zone ? call->zone : "UTC";
	/* A stranger's subject is not repeated: the reference is our id. */
	char *subject = md->submitter.verified ? one_line(md->subject, SUBJECT_MAX)
					       : one_line(md->id, SUBJECT_MAX);
	if (*subject == '\0' && call != NULL) {
		free(subject);
		subject = one_line(call->title, SUBJECT_MAX);
	}
	var_take(t, "subject", subject);
	var_take(t, "id", one_line(md->id, VALUE_MAX));
	time_vars(t, "received_local", "received_utc", md->received_at, zone);
	if (call == NULL)
		return;
	time_t deadline = md->deadline ? md->deadline : call->deadline;
	time_vars(t, "deadline_local", "deadline_utc", deadline, zone);
	var_take(t, "call_title", one_line(call->title ? call->title : call->name, VALUE_MAX));
	var_take(t, "call", one_line(call->name, VALUE_MAX));
	var_take(t, "submitter", submitter_text(md));
	if (md->over_limit_unknown) {
		struct ack_text w = { .lang = t->lang };
		var_take(&w, "words", number_or_dash(md->word_count));
		var_take(t, "word_count", render_builtin_n(&w, "word_count_unknown", md->word_count));
		text_free(&w);
	} else {
		var_take(t, "word_count", number_or_dash(md->word_count));
	}
	long limit = md->word_limit ? md->word_limit : call->word_limit;
	var_take(t, "word_limit", limit > 0 ? xasprintf("%ld", limit)
				       : xstrdup(template_builtin("no_limit", t->lang)));
	var_take(t, "version", xasprintf("%d", md->version > 0 ? md->version : 1));
	var_take(t, "supersedes", one_line(md->supersedes ? md->supersedes : "", VALUE_MAX));
}

/* "- TITLE: write to ADDRESS" for every call, for the unmatched reply. */
static char *calls_list(const struct config *cfg, const char *lang)
{
	struct buf b;
	buf_init(&b, DOCS_MAX);
	for (size_t i = 0; i < cfg->ncalls; i++) {
		const struct call_config *c = &cfg->calls[i];
		struct ack_text line = { .lang = lang };
		var_take(&line, "call_title", one_line(c->title ? c->title : c->name, VALUE_MAX));
		const char *tmpl = "unmatched_by_address";
		if (c->match_to.n > 0) {
			var_take(&line, "address", one_line(c->match_to.v[0], VALUE_MAX));
		} else if (c->match_subject.n > 0) {
			var_take(&line, "tag", one_line(c->match_subject.v[0], VALUE_MAX));
			tmpl = "unmatched_by_subject";
		} else {
			var_take(&line, "address", one_line(cfg->smtp.from_addr, VALUE_MAX));
		}
		char *s = render_builtin(&line, tmpl);
		if (b.len > 0)
			buf_puts(&b, "\n");
		buf_puts(&b, s);
		free(s);
		text_free(&line);
	}
	return buf_steal(&b);
}

/* Subject and body templates for call: the override file, else built-in. */
static int load_texts(const struct call_config *call, const char *lang, char **subject_r,
		      char **body_r, struct err *err)
{
	*subject_r = NULL;
	*body_r = NULL;
	if (call != NULL && call->ack_template != NULL) {
		char *text;
		if (template_load(call->ack_template, &text, err) < 0)
			return -1;
		template_split(text, subject_r, body_r);
		free(text);
	}
	const char *sname = call ? "ack_subject" : "unmatched_subject";
	if (*subject_r == NULL)
		*subject_r = xstrdup(template_builtin(sname, lang));
	if (*body_r == NULL)
		*body_r = xstrdup(template_builtin(call ? "ack" : "unmatched", lang));
	return 0;
}

char *ack_build(const struct config *cfg, const struct call_config *call,
		const struct metadata *md, char **msgid_r, size_t *len_r,
		struct err *err)
{
	const char *rcpt = ack_recipient(md);
	if (rcpt == NULL || !address_usable(rcpt)) {
		err_set(err, ERR_MESSAGE, "no usable address to acknowledge");
		return NULL;
	}
	const char *lang = call ? call->language
			   : cfg->ncalls > 0 ? cfg->calls[0].language : "en";
	lang = lang ? lang : "en";
	char *subject_t, *body_t;
	if (load_texts(call, lang, &subject_t, &body_t, err) < 0)
		return NULL;

	struct ack_text t = { .lang = lang };
	common_vars(&t, call, md);
	if (call != NULL) {
		bool unreadable;
		var_take(&t, "documents", documents_list(&t, md, &unreadable));
		var_take(&t, "outcome", outcome_text(&t, md, unreadable));
	} else {
		var_take(&t, "calls", calls_list(cfg, lang));
	}
	char *subject = template_render(subject_t, t.vars, t.nvars);
	char *body = template_render(body_t, t.vars, t.nvars);

	struct compose_mail m = {
		.from = cfg->smtp.from,
		.to = rcpt,
		.subject = subject,
		.body = body,
		.auto_submitted = "auto-replied",
		.in_reply_to = md->message_id,
		.references = md->references,
		.language = lang,
		.date = time(NULL),
	};
	char *msg = compose_message(&m, msgid_r, len_r);
	if (msg == NULL)
		err_set(err, ERR_CONFIG, "smtp from address %s is not usable",
			cfg->smtp.from ? cfg->smtp.from : "(none)");
	free(subject);
	free(body);
	free(subject_t);
	free(body_t);
	text_free(&t);
	return msg;
}
