/* template_hidden.c — built-in texts about what intaked did not read: parts
 * of a message left unexamined (a limit on parts, depth, size or time) and
 * documents shared as links, in en, fr, es. Kept apart from template.c's
 * table so that neither grows past a screenful of languages. */
#include <stddef.h>
#include <string.h>

#include "template.h"

struct hidden_text {
	const char *name, *lang, *text;
};

static const struct hidden_text texts[] = {
	/* ---------------------------------------------------------- en */
	{ "unexamined_line", "en", "- {name} (part {part}): not examined ({reason})" },
	{ "unexamined_part", "en", "- Part {part} of the message: not examined ({reason})" },
	{ "unexamined_more", "en", "- and {count} more parts not examined" },
	{ "skip_parts", "en", "the message has more parts than are examined" },
	{ "skip_depth", "en", "nested too deeply" },
	{ "skip_size", "en", "file too large" },
	{ "skip_time", "en", "reading took too long" },
	{ "link_line", "en", "- Document shared as a link ({service}), not opened: {url}" },
	{ "word_count_unknown", "en", "{words} counted; the total is unknown" },
	{ "outcome_limit_unknown", "en",
	  "Some parts of your message could not be examined (see above). Its total\n"
	  "word count is therefore unknown, and it cannot be confirmed that your\n"
	  "input is within the limit of {word_limit} words. If possible, please\n"
	  "send your input again as a single .docx or .pdf attachment." },
	{ "outcome_linked", "en",
	  "Your message links to a document stored online instead of attaching it.\n"
	  "Such links are not opened, so the length of your input is unknown and it\n"
	  "cannot be confirmed that it is within the limit of {word_limit} words.\n"
	  "Please reply with the document attached as a .docx or .pdf file." },
	{ "outcome_linked_counted", "en",
	  "Your message also links to a document stored online. Such links are not\n"
	  "opened: only the attached documents were counted. If the linked document\n"
	  "is part of your input, please send it as an attachment." },
	{ "digest_hidden", "en",
	  "Not fully examined (parts not read, or documents shared as links):" },
	{ "digest_unexamined_line", "en", "- {submitter}: {name} (part {part}) not examined ({reason})" },
	{ "digest_unexamined_part", "en", "- {submitter}: part {part} not examined ({reason})" },
	{ "digest_unexamined_more", "en", "- {submitter}: and {count} more parts not examined" },
	{ "digest_link_line", "en", "- {submitter}: document shared as a link ({service}): {url}" },
	{ "digest_limit_unknown", "en", "word count unknown" },
	{ "limit_unknown", "en", "unknown" },

	/* ---------------------------------------------------------- fr */
	{ "unexamined_line", "fr", "- {name} (partie {part}) : non examiné ({reason})" },
	{ "unexamined_part", "fr", "- Partie {part} du message : non examinée ({reason})" },
	{ "unexamined_more", "fr", "- et {count} autres parties non examinées" },
	{ "skip_parts", "fr", "le message compte plus de parties que celles examinées" },
	{ "skip_depth", "fr", "imbrication trop profonde" },
	{ "skip_size", "fr", "fichier trop volumineux" },
	{ "skip_time", "fr", "lecture trop longue" },
	{ "link_line", "fr", "- Document partagé par un lien ({service}), non ouvert : {url}" },
	{ "word_count_unknown", "fr", "{words} mots comptés ; le total est inconnu" },
	{ "outcome_limit_unknown", "fr",
	  "Certaines parties de votre message n'ont pas pu être examinées (voir\n"
	  "ci-dessus). Le nombre total de mots est donc inconnu, et il ne peut être\n"
	  "confirmé que votre contribution respecte la limite de {word_limit} mots.\n"
	  "Si possible, veuillez la renvoyer en une seule pièce jointe .docx ou .pdf." },
	{ "outcome_linked", "fr",
	  "Votre message renvoie à un document stocké en ligne au lieu de le joindre.\n"
	  "Ces liens ne sont pas ouverts : la longueur de votre contribution est donc\n"
	  "inconnue et il ne peut être confirmé qu'elle respecte la limite de\n"
	  "{word_limit} mots. Veuillez répondre en joignant le document au format\n"
	  ".docx ou .pdf." },
	{ "outcome_linked_counted", "fr",
	  "Votre message renvoie aussi à un document stocké en ligne. Ces liens ne\n"
	  "sont pas ouverts : seuls les documents joints ont été comptés. Si le\n"
	  "document en lien fait partie de votre contribution, veuillez l'envoyer en\n"
	  "pièce jointe." },
	{ "digest_hidden", "fr",
	  "Non examinées entièrement (parties non lues, ou documents partagés par un lien) :" },
	{ "digest_unexamined_line", "fr", "- {submitter} : {name} (partie {part}) non examiné ({reason})" },
	{ "digest_unexamined_part", "fr", "- {submitter} : partie {part} non examinée ({reason})" },
	{ "digest_unexamined_more", "fr", "- {submitter} : et {count} autres parties non examinées" },
	{ "digest_link_line", "fr", "- {submitter} : document partagé par un lien ({service}) : {url}" },
	{ "digest_limit_unknown", "fr", "nombre de mots inconnu" },
	{ "limit_unknown", "fr", "inconnu" },

	/* ---------------------------------------------------------- es */
	{ "unexamined_line", "es", "- {name} (parte {part}): no examinado ({reason})" },
	{ "unexamined_part", "es", "- Parte {part} del mensaje: no examinada ({reason})" },
	{ "unexamined_more", "es", "- y otras {count} partes no examinadas" },
	{ "skip_parts", "es", "el mensaje tiene más partes de las que se examinan" },
	{ "skip_depth", "es", "anidamiento demasiado profundo" },
	{ "skip_size", "es", "archivo demasiado grande" },
	{ "skip_time", "es", "la lectura tardó demasiado" },
	{ "link_line", "es", "- Documento compartido mediante un enlace ({service}), no abierto: {url}" },
	{ "word_count_unknown", "es", "{words} contadas; el total es desconocido" },
	{ "outcome_limit_unknown", "es",
	  "Algunas partes de su mensaje no pudieron examinarse (véase más arriba).\n"
	  "Por lo tanto, el número total de palabras es desconocido y no puede\n"
	  "confirmarse que su contribución respete el límite de {word_limit} palabras.\n"
	  "De ser posible, sírvanse enviarla de nuevo como un único adjunto .docx o .pdf." },
	{ "outcome_linked", "es",
	  "Su mensaje remite a un documento almacenado en línea en lugar de\n"
	  "adjuntarlo. Estos enlaces no se abren, por lo que la extensión de su\n"
	  "contribución es desconocida y no puede confirmarse que respete el límite\n"
	  "de {word_limit} palabras. Sírvanse responder adjuntando el documento en\n"
	  "formato .docx o .pdf." },
	{ "outcome_linked_counted", "es",
	  "Su mensaje también remite a un documento almacenado en línea. Estos\n"
	  "enlaces no se abren: solo se contaron los documentos adjuntos. Si el\n"
	  "documento enlazado forma parte de su contribución, sírvanse enviarlo como\n"
	  "adjunto." },
	{ "digest_hidden", "es",
	  "No examinadas por completo (partes no leídas o documentos compartidos mediante un enlace):" },
	{ "digest_unexamined_line", "es", "- {submitter}: {name} (parte {part}) no examinado ({reason})" },
	{ "digest_unexamined_part", "es", "- {submitter}: parte {part} no examinada ({reason})" },
	{ "digest_unexamined_more", "es", "- {submitter}: y otras {count} partes no examinadas" },
	{ "digest_link_line", "es", "- {submitter}: documento compartido mediante un enlace ({service}): {url}" },
	{ "digest_limit_unknown", "es", "número de palabras desconocido" },
	{ "limit_unknown", "es", "desconocido" },
};

const char *template_hidden_lookup(const char *name, const char *lang)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (strcmp(texts[i].name, name) == 0 && strcmp(texts[i].lang, lang) == 0)
			return texts[i].text;
	return NULL;
}
