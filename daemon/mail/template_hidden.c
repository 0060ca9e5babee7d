/* template_hidden.c — built-in texts about what intaked did not read: parts
 * of a message left unexamined (a limit on parts, depth, size or time) and
 * documents shared as links (English; French and Spanish in po/). Kept
 * apart from template.c's table so that neither grows too long. */
#include <stddef.h>
#include <string.h>

#include "intaked/text.h"
#include "template.h"

static const struct template_text texts[] = {
	{ "unexamined_line", N_("- {name} (part {part}): not examined ({reason})"), NULL },
	{ "unexamined_part", N_("- Part {part} of the message: not examined ({reason})"), NULL },
	{ "unexamined_more",
	  NN_("- and {count} more part not examined",
	      "- and {count} more parts not examined") },
	{ "skip_parts", N_("the message has more parts than are examined"), NULL },
	{ "skip_depth", N_("nested too deeply"), NULL },
	{ "skip_size", N_("file too large"), NULL },
	{ "skip_time", N_("reading took too long"), NULL },
	{ "link_line", N_("- Document shared as a link ({service}), not opened: {url}"), NULL },
	{ "word_count_unknown",
	  NN_("{words} counted; the total is unknown",
	      "{words} counted; the total is unknown") },
	{ "outcome_limit_unknown",
	  N_("Some parts of your message could not be examined (see above). Its total\n"
	  "word count is therefore unknown, and it cannot be confirmed that your\n"
	  "input is within the limit of {word_limit} words. If possible, please\n"
	  "send your input again as a single .docx or .pdf attachment."), NULL },
	{ "outcome_linked",
	  N_("Your message links to a document stored online instead of attaching it.\n"
	  "Such links are not opened, so the length of your input is unknown and it\n"
	  "cannot be confirmed that it is within the limit of {word_limit} words.\n"
	  "Please reply with the document attached as a .docx or .pdf file."), NULL },
	{ "outcome_linked_counted",
	  N_("Your message also links to a document stored online. Such links are not\n"
	  "opened: only the attached documents were counted. If the linked document\n"
	  "is part of your input, please send it as an attachment."), NULL },
	{ "digest_hidden", N_("Not fully examined (parts not read, or documents shared as links):"), NULL },
	{ "digest_unexamined_line", N_("- {submitter}: {name} (part {part}) not examined ({reason})"), NULL },
	{ "digest_unexamined_part", N_("- {submitter}: part {part} not examined ({reason})"), NULL },
	{ "digest_unexamined_more",
	  NN_("- {submitter}: and {count} more part not examined",
	      "- {submitter}: and {count} more parts not examined") },
	{ "digest_link_line", N_("- {submitter}: document shared as a link ({service}): {url}"), NULL },
	{ "digest_limit_unknown", N_("word count unknown"), NULL },
	{ "limit_unknown", N_("unknown"), NULL },
};

const struct template_text *template_hidden_find(const char *name)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(texts[i].name, name) == 0)
			return &texts[i];
	return NULL;
}
