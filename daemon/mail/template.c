/* template.c — "{name}" placeholders and the built-in texts: English here,
 * French and Spanish in the gettext catalogues (po/). The wording follows
 * UN secretariat usage: formal, plural address to a mission ("Dear
 * colleagues"), the facts first, what to do next last. */
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "intaked/fsio.h"
#include "template.h"
#include "intaked/text.h"
#include "intaked/util.h"

#define TEMPLATE_FILE_MAX   (64 * 1024)
#define TEMPLATE_OUTPUT_MAX (1024 * 1024)
#define PLACEHOLDER_MAX     40

/* The English texts by name; the msgids of the catalogues po/fr.po and
 * po/es.po (text.h), which translators edit. */
static const struct template_text builtins[] = {
	{ "ack_subject", N_("Receipt acknowledged: {subject}"), NULL },
	{ "ack",
	  N_("Dear colleagues,\n"
	  "\n"
	  "We acknowledge receipt of your written input to {call_title}.\n"
	  "\n"
	  "Submitted by: {submitter}\n"
	  "Received on: {received_local} ({received_utc})\n"
	  "Deadline: {deadline_local} ({deadline_utc})\n"
	  "Reference: {id}\n"
	  "\n"
	  "Documents received:\n"
	  "{documents}\n"
	  "\n"
	  "Total word count: {word_count} (word limit: {word_limit})\n"
	  "\n"
	  "{outcome}\n"
	  "\n"
	  "This acknowledgement was generated automatically by the secretariat's\n"
	  "intake system. Should you wish to submit a revised version, please send\n"
	  "it to this address before the deadline; it will be recorded as a new\n"
	  "version and will supersede the present one.\n"
	  "\n"
	  "Kind regards,\n"
	  "The Secretariat\n"), NULL },
	{ "outcome_on_time", N_("Your input was received before the deadline and has been recorded."), NULL },
	{ "outcome_within_grace",
	  N_("Your input was received shortly after the deadline, within the grace\n"
	  "period, and has been recorded as received on time."), NULL },
	{ "outcome_late_accepted",
	  N_("Your input was received after the deadline; it has been recorded and\n"
	  "accepted."), NULL },
	{ "outcome_late_flagged",
	  N_("Your input was received after the deadline. It has been recorded and\n"
	  "marked as late; its consideration is at the discretion of the\n"
	  "coordinators."), NULL },
	{ "outcome_rejected",
	  N_("Your input was received after the deadline of {deadline_local} and can\n"
	  "therefore not be considered. It has nevertheless been kept on file."), NULL },
	{ "outcome_early",
	  N_("Your input was received before the call for inputs opened. It has been\n"
	  "recorded; a version sent after the opening will supersede it."), NULL },
	{ "outcome_over_limit",
	  N_("Your input contains {word_count} words, which exceeds the limit of\n"
	  "{word_limit} words. You may wish to send a shortened version before the\n"
	  "deadline."), NULL },
	{ "outcome_unreadable",
	  N_("At least one document could not be read automatically (see above) and\n"
	  "has been kept for manual review. If possible, please send it again as a\n"
	  ".docx or .pdf file that is not password-protected."), NULL },
	{ "outcome_new_version",
	  N_("This is version {version} of your input; it supersedes the version\n"
	  "received earlier ({supersedes})."), NULL },
	{ "doc_line",
	  NN_("- {name}: {words} word",
	      "- {name}: {words} words") },
	{ "doc_error", N_("- {name}: could not be read ({reason})"), NULL },
	{ "body_line",
	  NN_("- Text of the message: {words} word",
	      "- Text of the message: {words} words") },
	{ "no_limit", N_("none"), NULL },
	{ "reason_too_large", N_("file too large"), NULL },
	{ "reason_encrypted", N_("password-protected or encrypted"), NULL },
	{ "reason_corrupt", N_("damaged file"), NULL },
	{ "reason_unsupported", N_("format not supported"), NULL },
	{ "reason_timeout", N_("reading took too long"), NULL },
	{ "reason_no_text", N_("no text layer, perhaps a scanned document"), NULL },
	{ "reason_tnef", N_("Outlook winmail.dat attachment"), NULL },
	{ "unmatched_subject", N_("Consultation not identified: {subject}"), NULL },
	{ "unmatched",
	  N_("Dear colleagues,\n"
	  "\n"
	  "We received your message \"{subject}\" on {received_utc}, but could not\n"
	  "determine which consultation it is intended for. It has been kept, but\n"
	  "it has not been recorded as a written input.\n"
	  "\n"
	  "This address receives written inputs for the following consultations:\n"
	  "{calls}\n"
	  "\n"
	  "Please send your input again as indicated for the consultation\n"
	  "concerned.\n"
	  "\n"
	  "This message was generated automatically.\n"
	  "\n"
	  "Kind regards,\n"
	  "The Secretariat\n"), NULL },
	{ "unmatched_by_address", N_("- {call_title}: write to {address}"), NULL },
	{ "unmatched_by_subject", N_("- {call_title}: put {tag} in the subject line"), NULL },
	{ "reminder_subject", N_("Reminder: written inputs to {call_title} due {deadline_local}"), NULL },
	{ "reminder",
	  N_("Dear colleagues,\n"
	  "\n"
	  "This is a reminder that written inputs to {call_title} are due no later\n"
	  "than {deadline_local} ({deadline_utc}).\n"
	  "{limit}\n"
	  "\n"
	  "{status}\n"
	  "\n"
	  "Inputs may be sent by email to {address}, preferably as a .docx or .pdf\n"
	  "attachment.\n"
	  "\n"
	  "This message was generated automatically.\n"
	  "\n"
	  "Kind regards,\n"
	  "The Secretariat\n"), NULL },
	{ "reminder_status_missing",
	  N_("According to our records, no input from {submitter} has been received\n"
	  "yet. If you have already sent it, please disregard this message."), NULL },
	{ "reminder_status_received",
	  N_("An input from {submitter} was received on {received_local}; you may send\n"
	  "a revised version before the deadline."), NULL },
	{ "digest_subject", N_("Daily digest: {call_title}, {date}"), NULL },
	{ "digest",
	  N_("Daily digest of written inputs to {call_title}, {date}.\n"
	  "Deadline: {deadline_local} ({deadline_utc})\n"
	  "\n"
	  "{summary}\n"
	  "\n"
	  "The full list of inputs is attached as a CSV file.\n"
	  "\n"
	  "This message was generated automatically.\n"), NULL },
	{ "reminder_limit", N_("Inputs should not exceed {word_limit} words."), NULL },
	{ "reminder_no_limit", N_("No word limit applies."), NULL },
	{ "digest_totals",
	  N_("Totals (latest version of each input):\n"
	  "  Inputs received:            {submitters} ({versions_text})\n"
	  "  On time:                    {on_time}\n"
	  "  Within the grace period:    {within_grace}\n"
	  "  Late:                       {late}\n"
	  "  Rejected:                   {rejected}\n"
	  "  Received before opening:    {early}\n"
	  "  Over the word limit:        {over_limit}\n"
	  "  From unknown senders:       {unknown}\n"
	  "  With unreadable documents:  {unreadable}"), NULL },
	{ "digest_new", N_("Received since the last digest ({since}):"), NULL },
	{ "digest_new_first", N_("Received so far:"), NULL },
	{ "digest_missing",
	  NN_("Not yet received ({count} of {members} roster member):",
	      "Not yet received ({count} of {members} roster members):") },
	{ "digest_flagged", N_("Late, rejected or over the word limit:"), NULL },
	{ "digest_unknown", N_("From senders not in the roster:"), NULL },
	{ "digest_held",
	  N_("Needing a decision: not authenticated (DMARC), so the verified version stays current until you accept one (intakectl accept ID):"), NULL },
	{ "digest_held_line", N_("- {from}: \"{subject}\", {received_local}, v{version}, id {id}"), NULL },
	{ "digest_unreadable", N_("Documents that could not be read:"), NULL },
	{ "digest_undelivered", N_("Mail that could not be delivered:"), NULL },
	{ "digest_languages", N_("Languages: {languages}"), NULL },
	{ "digest_language_part",
	  NN_("{language}: {inputs} input, {words} words",
	      "{language}: {inputs} inputs, {words} words") },
	{ "digest_none", N_("- none"), NULL },
	{ "digest_line",
	  NN_("- {submitter}, version {version}, {received_local}: {words} word, {outcome}",
	      "- {submitter}, version {version}, {received_local}: {words} words, {outcome}") },
	{ "digest_replaces", N_("  {version} replaces {supersedes}: +{added} / −{removed} words"), NULL },
	{ "digest_missing_line", N_("- {submitter}"), NULL },
	{ "digest_unknown_line", N_("- {from}: \"{subject}\", {received_local}"), NULL },
	{ "digest_unreadable_line", N_("- {submitter}: {name} ({reason})"), NULL },
	{ "digest_undelivered_ack", N_("- Acknowledgement to {rcpt} ({submitter}, version {version})"), NULL },
	{ "digest_undelivered_reminder", N_("- Reminder to {rcpt}: {error}"), NULL },
	{ "digest_undelivered_digest", N_("- Digest to {rcpt}: {error}"), NULL },
	{ "digest_versions",
	  NN_("{versions} version",
	      "{versions} versions") },
	{ "digest_left_hours",
	  NN_("Deadline in {hours} hour ({deadline_local}).",
	      "Deadline in {hours} hours ({deadline_local}).") },
	{ "digest_passed_hours",
	  NN_("Deadline passed {hours} hour ago ({deadline_local}).",
	      "Deadline passed {hours} hours ago ({deadline_local}).") },
	{ "digest_in_hours",
	  NN_("in {hours} hour",
	      "in {hours} hours") },
	{ "digest_ago_hours",
	  NN_("{hours} hour ago",
	      "{hours} hours ago") },
	{ "digest_left",
	  NN_("Deadline in {days} day ({deadline_local}).",
	      "Deadline in {days} days ({deadline_local}).") },
	{ "digest_passed",
	  NN_("Deadline passed {days} day ago ({deadline_local}).",
	      "Deadline passed {days} days ago ({deadline_local}).") },
	{ "digest_in",
	  NN_("in {days} day",
	      "in {days} days") },
	{ "digest_ago",
	  NN_("{days} day ago",
	      "{days} days ago") },
	{ "digest_mailbox",
	  NN_("Also received since the last digest: {ignored} automatic reply, bounce or list\n"
	      "message addressed to this call (kept, not recorded as an input).",
	      "Also received since the last digest: {ignored} automatic replies, bounces or\n"
	      "list messages addressed to this call (kept, not recorded as inputs).") },
	{ "digest_extension", N_("Extended: {submitter} to {deadline_local}, {left}."), NULL },
	{ "digest_missing_extended", N_("- {submitter} (extended to {deadline_local}, {left})"), NULL },
	{ "digest_on_time", N_("on time"), NULL },
	{ "digest_within_grace", N_("within the grace period"), NULL },
	{ "digest_late", N_("late"), NULL },
	{ "digest_rejected", N_("rejected"), NULL },
	{ "digest_early", N_("before the opening"), NULL },
	{ "digest_over_limit", N_("over the limit of {word_limit} words"), NULL },
};

static const struct template_text *find(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return template_hidden_find(name);
}

const char *template_builtin_n(const char *name, const char *language, long n)
{
	const struct template_text *t = name ? find(name) : NULL;
	if (t == NULL)
		return NULL;
	if (t->other == NULL)
		return text_lang(language, t->one);
	return text_lang_n(language, t->one, t->other, (unsigned long)(n < 0 ? -n : n));
}

const char *template_builtin(const char *name, const char *language)
{
	return template_builtin_n(name, language, 2);
}

static bool placeholder_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static const char *var_value(const struct template_var *vars, size_t nvars,
			     const char *name, size_t len)
{
	for (size_t i = 0; i < nvars; i++)
		if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
			return vars[i].value ? vars[i].value : "";
	return NULL;
}

char *template_render(const char *text, const struct template_var *vars, size_t nvars)
{
	struct buf b;
	buf_init(&b, TEMPLATE_OUTPUT_MAX);
	const char *p = text ? text : "";
	while (*p) {
		const char *brace = strchr(p, '{');
		if (brace == NULL) {
			buf_puts(&b, p);
			break;
		}
		buf_append(&b, p, (size_t)(brace - p));
		if (brace[1] == '{') {
			buf_append(&b, "{", 1);
			p = brace + 2;
			continue;
		}
		size_t n = 0;
		while (n < PLACEHOLDER_MAX && placeholder_char(brace[1 + n]))
			n++;
		const char *value = n > 0 && brace[1 + n] == '}' ?
			var_value(vars, nvars, brace + 1, n) : NULL;
		if (value != NULL) {
			buf_puts(&b, value);
			p = brace + n + 2;
		} else {
			buf_append(&b, "{", 1); /* unknown: left as written */
			p = brace + 1;
		}
	}
	return buf_steal(&b);
}

int template_load(const char *path, char **text_r, struct err *err)
{
	char *data;
	size_t len;
	if (fsio_read_file(path, TEMPLATE_FILE_MAX, &data, &len, err) < 0) {
		if (err)
			err->cls = ERR_CONFIG;
		return -1;
	}
	if (memchr(data, '\0', len) != NULL || u8_check((const uint8_t *)data, len) != NULL) {
		err_set(err, ERR_CONFIG, "%s: template is not UTF-8 text", path);
		free(data);
		return -1;
	}
	*text_r = data;
	return 0;
}

void template_split(const char *text, char **subject_r, char **body_r)
{
	*subject_r = NULL;
	if (str_has_prefix_ci(text, "Subject:")) {
		const char *nl = strchr(text, '\n');
		const char *end = nl ? nl : text + strlen(text);
		char *line = xstrndup(text + 8, (size_t)(end - text - 8));
		*subject_r = xstrdup(str_trim(line));
		free(line);
		text = nl ? nl + 1 : end;
		if (*text == '\n')
			text++;
		else if (text[0] == '\r' && text[1] == '\n')
			text += 2;
	}
	*body_r = xstrdup(text);
}
