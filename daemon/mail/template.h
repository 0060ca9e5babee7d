/* template.h — mail texts with named placeholders: "{call_title}".
 * Built-in texts in English (template.c), French and Spanish (gettext
 * catalogues po/LANG.po, text.h); a file can override one. Unknown
 * placeholders are left as written; "{{" is a literal "{". */
#ifndef INTAKED_TEMPLATE_H
#define INTAKED_TEMPLATE_H

#include "intaked/err.h"

struct template_var {
	const char *name;
	const char *value;        /* NULL renders as "" */
};

/* Render text with vars (values are inserted as they are: a caller puts
 * nothing in them that it would not put in the text). Output capped at
 * 1 MiB. Caller frees. */
char *template_render(const char *text, const struct template_var *vars, size_t nvars);

/* A built-in text: its name, its English text (the catalogues' msgid)
 * and, for a text with a count, the English plural (msgid_plural). */
struct template_text {
	const char *name, *one, *other;
};

/* Built-in template by name and language ("en" "fr" "es"; unknown
 * language, or a text missing in its catalogue, falls back to English; an
 * unknown name gives NULL). Static. A text with a count (marked [n]
 * below) comes in the form for a count of many; template_builtin_n gives
 * the form for n by the language's rule. Names and their placeholders:
 *   ack_subject {subject}
 *   ack        {call_title} {submitter} {received_local} {received_utc}
 *              {deadline_local} {deadline_utc} {id} {documents}
 *              {word_count} {word_limit} {outcome}
 *   outcome_on_time outcome_within_grace outcome_late_accepted
 *   outcome_late_flagged outcome_rejected outcome_early
 *   outcome_over_limit outcome_unreadable outcome_new_version
 *              (paragraphs of {outcome}; {deadline_local} {word_count}
 *              {word_limit} {version} {supersedes})
 *   doc_line {name} {words} [n]   doc_error {name} {reason}
 *   body_line {words} [n]
 *   no_limit   reason_too_large reason_encrypted reason_corrupt
 *   reason_unsupported reason_timeout reason_no_text reason_tnef
 *   unmatched_subject {subject}   unmatched {subject} {received_utc} {calls}
 *   unmatched_by_address {call_title} {address}
 *   unmatched_by_subject {call_title} {tag}
 *   reminder_subject {call_title} {deadline_local}
 *   reminder   {call_title} {deadline_local} {deadline_utc} {word_limit}
 *              {status} {address}
 *   reminder_status_missing {submitter}
 *   reminder_status_received {submitter} {received_local}
 *   digest_subject {call_title} {date}
 *   digest     {call_title} {date} {deadline_local} {deadline_utc} {summary}
 *   digest_* (digest_text.c; [n]: versions missing left passed in ago and
 *   their _hours, mailbox language_part line)
 */
const char *template_builtin(const char *name, const char *language);
const char *template_builtin_n(const char *name, const char *language, long n);
/* What was not read (template_hidden.c), looked up by template_builtin:
 *   unexamined_line {name} {part} {reason}   unexamined_part {part} {reason}
 *   unexamined_more {count} [n]   skip_parts skip_depth skip_size skip_time
 *   link_line {service} {url}   word_count_unknown {words} [n]
 *   outcome_limit_unknown outcome_linked {word_limit}   outcome_linked_counted
 *   digest_hidden   digest_unexamined_line {submitter} {name} {part} {reason}
 *   digest_unexamined_part {submitter} {part} {reason}
 *   digest_unexamined_more {submitter} {count} [n]
 *   digest_link_line {submitter} {service} {url}
 *   digest_limit_unknown   limit_unknown ("unknown", for over_limit null)
 * NULL when name is not one of them. */
const struct template_text *template_hidden_find(const char *name);

/* Load an override file (UTF-8, at most 64 KiB; else ERR_CONFIG); first
 * line "Subject: ..." optional (see template_split). Caller frees. */
int template_load(const char *path, char **text_r, struct err *err);

/* Split a loaded template: a first line "Subject: S" gives *subject_r = S
 * (trimmed; else NULL) and the body is what follows it, one empty line
 * after it skipped. Both owned by the caller. */
void template_split(const char *text, char **subject_r, char **body_r);

#endif
