/* template.c — "{name}" placeholders and the built-in texts in en, fr, es.
 * The wording follows UN secretariat usage: formal, plural address to a
 * mission ("Dear colleagues"), the facts first, what to do next last. */
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "intaked/fsio.h"
#include "template.h"
#include "intaked/util.h"

#define TEMPLATE_FILE_MAX   (64 * 1024)
#define TEMPLATE_OUTPUT_MAX (1024 * 1024)
#define PLACEHOLDER_MAX     40

struct builtin {
	const char *name, *lang, *text;
};

static const struct builtin builtins[] = {
	/* ---------------------------------------------------------- en */
	{ "ack_subject", "en", "Receipt acknowledged: {subject}" },
	{ "ack", "en",
	  "Dear colleagues,\n"
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
	  "The Secretariat\n" },
	{ "outcome_on_time", "en",
	  "Your input was received before the deadline and has been recorded." },
	{ "outcome_within_grace", "en",
	  "Your input was received shortly after the deadline, within the grace\n"
	  "period, and has been recorded as received on time." },
	{ "outcome_late_accepted", "en",
	  "Your input was received after the deadline; it has been recorded and\n"
	  "accepted." },
	{ "outcome_late_flagged", "en",
	  "Your input was received after the deadline. It has been recorded and\n"
	  "marked as late; its consideration is at the discretion of the\n"
	  "coordinators." },
	{ "outcome_rejected", "en",
	  "Your input was received after the deadline of {deadline_local} and can\n"
	  "therefore not be considered. It has nevertheless been kept on file." },
	{ "outcome_early", "en",
	  "Your input was received before the call for inputs opened. It has been\n"
	  "recorded; a version sent after the opening will supersede it." },
	{ "outcome_over_limit", "en",
	  "Your input contains {word_count} words, which exceeds the limit of\n"
	  "{word_limit} words. You may wish to send a shortened version before the\n"
	  "deadline." },
	{ "outcome_unreadable", "en",
	  "At least one document could not be read automatically (see above) and\n"
	  "has been kept for manual review. If possible, please send it again as a\n"
	  ".docx or .pdf file that is not password-protected." },
	{ "outcome_new_version", "en",
	  "This is version {version} of your input; it supersedes the version\n"
	  "received earlier ({supersedes})." },
	{ "doc_line", "en", "- {name}: {words} words" },
	{ "doc_error", "en", "- {name}: could not be read ({reason})" },
	{ "body_line", "en", "- Text of the message: {words} words" },
	{ "no_limit", "en", "none" },
	{ "reason_too_large", "en", "file too large" },
	{ "reason_encrypted", "en", "password-protected or encrypted" },
	{ "reason_corrupt", "en", "damaged file" },
	{ "reason_unsupported", "en", "format not supported" },
	{ "reason_timeout", "en", "reading took too long" },
	{ "reason_no_text", "en", "no text layer, perhaps a scanned document" },
	{ "reason_tnef", "en", "Outlook winmail.dat attachment" },
	{ "unmatched_subject", "en", "Consultation not identified: {subject}" },
	{ "unmatched", "en",
	  "Dear colleagues,\n"
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
	  "The Secretariat\n" },
	{ "unmatched_by_address", "en", "- {call_title}: write to {address}" },
	{ "unmatched_by_subject", "en", "- {call_title}: put {tag} in the subject line" },
	{ "reminder_subject", "en", "Reminder: written inputs to {call_title} due {deadline_local}" },
	{ "reminder", "en",
	  "Dear colleagues,\n"
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
	  "The Secretariat\n" },
	{ "reminder_status_missing", "en",
	  "According to our records, no input from {submitter} has been received\n"
	  "yet. If you have already sent it, please disregard this message." },
	{ "reminder_status_received", "en",
	  "An input from {submitter} was received on {received_local}; you may send\n"
	  "a revised version before the deadline." },
	{ "digest_subject", "en", "Daily digest: {call_title}, {date}" },
	{ "digest", "en",
	  "Daily digest of written inputs to {call_title}, {date}.\n"
	  "Deadline: {deadline_local} ({deadline_utc})\n"
	  "\n"
	  "{summary}\n"
	  "\n"
	  "The full list of inputs is attached as a CSV file.\n"
	  "\n"
	  "This message was generated automatically.\n" },
	{ "reminder_limit", "en", "Inputs should not exceed {word_limit} words." },
	{ "reminder_no_limit", "en", "No word limit applies." },
	/* The digest's {summary}: sections built by daemon/digest.c. */
	{ "digest_totals", "en",
	  "Totals (latest version of each input):\n"
	  "  Inputs received:            {submitters} ({versions_text})\n"
	  "  On time:                    {on_time}\n"
	  "  Within the grace period:    {within_grace}\n"
	  "  Late:                       {late}\n"
	  "  Rejected:                   {rejected}\n"
	  "  Received before opening:    {early}\n"
	  "  Over the word limit:        {over_limit}\n"
	  "  From unknown senders:       {unknown}\n"
	  "  With unreadable documents:  {unreadable}" },
	{ "digest_new", "en", "Received since the last digest ({since}):" },
	{ "digest_new_first", "en", "Received so far:" },
	{ "digest_missing_one", "en",
	  "Not yet received ({count} of {members} roster member):" },
	{ "digest_missing_other", "en", "Not yet received ({count} of {members} roster members):" },
	{ "digest_flagged", "en", "Late, rejected or over the word limit:" },
	{ "digest_unknown", "en", "From senders not in the roster:" },
	{ "digest_held", "en", "Needing a decision: not authenticated (DMARC), so the verified version stays current until you accept one (intakectl accept ID):" },
	{ "digest_held_line", "en", "- {from}: \"{subject}\", {received_local}, v{version}, id {id}" },
	{ "digest_unreadable", "en", "Documents that could not be read:" },
	{ "digest_undelivered", "en", "Mail that could not be delivered:" },
	{ "digest_languages", "en", "Languages: {languages}" },
	{ "digest_language_part_one", "en", "{language}: {inputs} input, {words} words" },
	{ "digest_language_part_other", "en", "{language}: {inputs} inputs, {words} words" },
	{ "digest_none", "en", "- none" },
	{ "digest_line", "en",
	  "- {submitter}, version {version}, {received_local}: {words} words, {outcome}" },
	{ "digest_replaces", "en", "  {version} replaces {supersedes}: +{added} / −{removed} words" },
	{ "digest_missing_line", "en", "- {submitter}" },
	{ "digest_unknown_line", "en", "- {from}: \"{subject}\", {received_local}" },
	{ "digest_unreadable_line", "en", "- {submitter}: {name} ({reason})" },
	{ "digest_undelivered_ack", "en", "- Acknowledgement to {rcpt} ({submitter}, version {version})" },
	{ "digest_undelivered_reminder", "en", "- Reminder to {rcpt}: {error}" },
	{ "digest_undelivered_digest", "en", "- Digest to {rcpt}: {error}" },
	{ "digest_versions_one", "en",
	  "{versions} version" },
	{ "digest_versions_other", "en",
	  "{versions} versions" },
	{ "digest_left_hours_one", "en",
	  "Deadline in {hours} hour ({deadline_local})." },
	{ "digest_left_hours_other", "en",
	  "Deadline in {hours} hours ({deadline_local})." },
	{ "digest_passed_hours_one", "en",
	  "Deadline passed {hours} hour ago ({deadline_local})." },
	{ "digest_passed_hours_other", "en",
	  "Deadline passed {hours} hours ago ({deadline_local})." },
	{ "digest_in_hours_one", "en",
	  "in {hours} hour" },
	{ "digest_in_hours_other", "en",
	  "in {hours} hours" },
	{ "digest_ago_hours_one", "en",
	  "{hours} hour ago" },
	{ "digest_ago_hours_other", "en",
	  "{hours} hours ago" },
	{ "digest_left_one", "en",
	  "Deadline in {days} day ({deadline_local})." },
	{ "digest_left_other", "en",
	  "Deadline in {days} days ({deadline_local})." },
	{ "digest_passed_one", "en",
	  "Deadline passed {days} day ago ({deadline_local})." },
	{ "digest_passed_other", "en",
	  "Deadline passed {days} days ago ({deadline_local})." },
	{ "digest_in_one", "en",
	  "in {days} day" },
	{ "digest_in_other", "en",
	  "in {days} days" },
	{ "digest_ago_one", "en",
	  "{days} day ago" },
	{ "digest_ago_other", "en",
	  "{days} days ago" },
	{ "digest_mailbox_one", "en",
	  "Also received since the last digest: {ignored} automatic reply, bounce or list\n"
	  "message addressed to this call (kept, not recorded as an input)." },
	{ "digest_mailbox_other", "en",
	  "Also received since the last digest: {ignored} automatic replies, bounces or\n"
	  "list messages addressed to this call (kept, not recorded as inputs)." },
	{ "digest_extension", "en", "Extended: {submitter} to {deadline_local}, {left}." },
	{ "digest_missing_extended", "en",
	  "- {submitter} (extended to {deadline_local}, {left})" },
	{ "digest_on_time", "en", "on time" },
	{ "digest_within_grace", "en", "within the grace period" },
	{ "digest_late", "en", "late" },
	{ "digest_rejected", "en", "rejected" },
	{ "digest_early", "en", "before the opening" },
	{ "digest_over_limit", "en", "over the limit of {word_limit} words" },

	/* ---------------------------------------------------------- fr */
	{ "ack_subject", "fr", "Accusé de réception : {subject}" },
	{ "ack", "fr",
	  "Chers collègues,\n"
	  "\n"
	  "Nous accusons réception de votre contribution écrite à {call_title}.\n"
	  "\n"
	  "Expéditeur : {submitter}\n"
	  "Reçue le : {received_local} ({received_utc})\n"
	  "Date limite : {deadline_local} ({deadline_utc})\n"
	  "Référence : {id}\n"
	  "\n"
	  "Documents reçus :\n"
	  "{documents}\n"
	  "\n"
	  "Nombre total de mots : {word_count} (limite : {word_limit})\n"
	  "\n"
	  "{outcome}\n"
	  "\n"
	  "Cet accusé de réception a été généré automatiquement par le système de\n"
	  "réception du secrétariat. Si vous souhaitez soumettre une version\n"
	  "révisée, veuillez l'envoyer à cette adresse avant la date limite ; elle\n"
	  "sera enregistrée comme nouvelle version et remplacera la présente.\n"
	  "\n"
	  "Veuillez agréer nos salutations distinguées.\n"
	  "Le Secrétariat\n" },
	{ "outcome_on_time", "fr",
	  "Votre contribution a été reçue dans les délais et a été enregistrée." },
	{ "outcome_within_grace", "fr",
	  "Votre contribution a été reçue peu après la date limite, dans le délai\n"
	  "de grâce, et a été enregistrée comme reçue dans les délais." },
	{ "outcome_late_accepted", "fr",
	  "Votre contribution a été reçue après la date limite ; elle a été\n"
	  "enregistrée et acceptée." },
	{ "outcome_late_flagged", "fr",
	  "Votre contribution a été reçue après la date limite. Elle a été\n"
	  "enregistrée et signalée comme tardive ; sa prise en considération est\n"
	  "laissée à l'appréciation des coordonnateurs." },
	{ "outcome_rejected", "fr",
	  "Votre contribution a été reçue après la date limite du {deadline_local}\n"
	  "et ne pourra donc pas être prise en considération. Elle a néanmoins été\n"
	  "conservée." },
	{ "outcome_early", "fr",
	  "Votre contribution a été reçue avant l'ouverture de l'appel à\n"
	  "contributions. Elle a été enregistrée ; une version envoyée après\n"
	  "l'ouverture la remplacera." },
	{ "outcome_over_limit", "fr",
	  "Votre contribution compte {word_count} mots, ce qui dépasse la limite de\n"
	  "{word_limit} mots. Vous pouvez envoyer une version abrégée avant la date\n"
	  "limite." },
	{ "outcome_unreadable", "fr",
	  "Au moins un document n'a pas pu être lu automatiquement (voir\n"
	  "ci-dessus) ; il a été conservé pour un examen manuel. Dans la mesure du\n"
	  "possible, veuillez le renvoyer au format .docx ou .pdf, sans mot de\n"
	  "passe." },
	{ "outcome_new_version", "fr",
	  "Il s'agit de la version {version} de votre contribution ; elle remplace\n"
	  "la version reçue précédemment ({supersedes})." },
	{ "doc_line", "fr", "- {name} : {words} mots" },
	{ "doc_error", "fr", "- {name} : illisible ({reason})" },
	{ "body_line", "fr", "- Texte du message : {words} mots" },
	{ "no_limit", "fr", "aucune" },
	{ "reason_too_large", "fr", "fichier trop volumineux" },
	{ "reason_encrypted", "fr", "protégé par mot de passe ou chiffré" },
	{ "reason_corrupt", "fr", "fichier endommagé" },
	{ "reason_unsupported", "fr", "format non pris en charge" },
	{ "reason_timeout", "fr", "lecture trop longue" },
	{ "reason_no_text", "fr", "aucun texte, peut-être un document numérisé" },
	{ "reason_tnef", "fr", "pièce jointe winmail.dat d'Outlook" },
	{ "unmatched_subject", "fr", "Consultation non identifiée : {subject}" },
	{ "unmatched", "fr",
	  "Chers collègues,\n"
	  "\n"
	  "Nous avons reçu votre message « {subject} » le {received_utc}, mais\n"
	  "n'avons pas pu déterminer à quelle consultation il se rapporte. Il a été\n"
	  "conservé, mais n'a pas été enregistré comme contribution écrite.\n"
	  "\n"
	  "Cette adresse reçoit les contributions écrites aux consultations\n"
	  "suivantes :\n"
	  "{calls}\n"
	  "\n"
	  "Veuillez renvoyer votre contribution selon les indications propres à la\n"
	  "consultation concernée.\n"
	  "\n"
	  "Ce message a été généré automatiquement.\n"
	  "\n"
	  "Veuillez agréer nos salutations distinguées.\n"
	  "Le Secrétariat\n" },
	{ "unmatched_by_address", "fr", "- {call_title} : écrire à {address}" },
	{ "unmatched_by_subject", "fr", "- {call_title} : indiquer {tag} dans l'objet" },
	{ "reminder_subject", "fr",
	  "Rappel : contributions écrites à {call_title} attendues pour le {deadline_local}" },
	{ "reminder", "fr",
	  "Chers collègues,\n"
	  "\n"
	  "Nous vous rappelons que les contributions écrites à {call_title} sont\n"
	  "attendues au plus tard le {deadline_local} ({deadline_utc}).\n"
	  "{limit}\n"
	  "\n"
	  "{status}\n"
	  "\n"
	  "Les contributions peuvent être envoyées par courriel à {address}, de\n"
	  "préférence en pièce jointe au format .docx ou .pdf.\n"
	  "\n"
	  "Ce message a été généré automatiquement.\n"
	  "\n"
	  "Veuillez agréer nos salutations distinguées.\n"
	  "Le Secrétariat\n" },
	{ "reminder_status_missing", "fr",
	  "Selon nos registres, aucune contribution de {submitter} n'a encore été\n"
	  "reçue. Si vous l'avez déjà envoyée, veuillez ne pas tenir compte de ce\n"
	  "message." },
	{ "reminder_status_received", "fr",
	  "Une contribution de {submitter} a été reçue le {received_local} ; vous\n"
	  "pouvez envoyer une version révisée avant la date limite." },
	{ "digest_subject", "fr", "Récapitulatif quotidien : {call_title}, {date}" },
	{ "digest", "fr",
	  "Récapitulatif quotidien des contributions écrites à {call_title}, {date}.\n"
	  "Date limite : {deadline_local} ({deadline_utc})\n"
	  "\n"
	  "{summary}\n"
	  "\n"
	  "La liste complète des contributions est jointe au format CSV.\n"
	  "\n"
	  "Ce message a été généré automatiquement.\n" },
	{ "reminder_limit", "fr", "Les contributions ne doivent pas dépasser {word_limit} mots." },
	{ "reminder_no_limit", "fr", "Aucune limite de mots ne s'applique." },
	{ "digest_totals", "fr",
	  "Totaux (dernière version de chaque contribution) :\n"
	  "  Contributions reçues :            {submitters} ({versions_text})\n"
	  "  Dans les délais :                 {on_time}\n"
	  "  Pendant le délai de grâce :       {within_grace}\n"
	  "  En retard :                       {late}\n"
	  "  Refusées :                        {rejected}\n"
	  "  Reçues avant l'ouverture :        {early}\n"
	  "  Au-delà de la limite de mots :    {over_limit}\n"
	  "  D'expéditeurs inconnus :          {unknown}\n"
	  "  Avec des documents illisibles :   {unreadable}" },
	{ "digest_new", "fr", "Reçues depuis le dernier récapitulatif ({since}) :" },
	{ "digest_new_first", "fr", "Reçues à ce jour :" },
	{ "digest_missing_one", "fr",
	  "Pas encore reçues ({count} sur {members} membre de la liste) :" },
	{ "digest_missing_other", "fr",
	  "Pas encore reçues ({count} sur {members} membres de la liste) :" },
	{ "digest_flagged", "fr", "En retard, refusées ou au-delà de la limite de mots :" },
	{ "digest_unknown", "fr", "D'expéditeurs absents de la liste :" },
	{ "digest_held", "fr", "Décision à prendre : messages non authentifiés (DMARC) ; la version vérifiée reste la version courante tant que vous ne les acceptez pas (intakectl accept ID) :" },
	{ "digest_held_line", "fr", "- {from} : « {subject} », {received_local}, v{version}, id {id}" },
	{ "digest_unreadable", "fr", "Documents illisibles :" },
	{ "digest_undelivered", "fr", "Messages qui n'ont pas pu être remis :" },
	{ "digest_languages", "fr", "Langues : {languages}" },
	{ "digest_language_part_one", "fr", "{language} : {inputs} contribution, {words} mots" },
	{ "digest_language_part_other", "fr", "{language} : {inputs} contributions, {words} mots" },
	{ "digest_none", "fr", "- aucune" },
	{ "digest_line", "fr",
	  "- {submitter}, version {version}, {received_local} : {words} mots, {outcome}" },
	{ "digest_replaces", "fr", "  {version} remplace {supersedes} : +{added} / −{removed} mots" },
	{ "digest_missing_line", "fr", "- {submitter}" },
	{ "digest_unknown_line", "fr", "- {from} : « {subject} », {received_local}" },
	{ "digest_unreadable_line", "fr", "- {submitter} : {name} ({reason})" },
	{ "digest_undelivered_ack", "fr",
	  "- Accusé de réception à {rcpt} ({submitter}, version {version})" },
	{ "digest_undelivered_reminder", "fr", "- Rappel à {rcpt} : {error}" },
	{ "digest_undelivered_digest", "fr", "- Récapitulatif à {rcpt} : {error}" },
	{ "digest_versions_one", "fr",
	  "{versions} version" },
	{ "digest_versions_other", "fr",
	  "{versions} versions" },
	{ "digest_left_hours_one", "fr",
	  "Date limite dans {hours} heure ({deadline_local})." },
	{ "digest_left_hours_other", "fr",
	  "Date limite dans {hours} heures ({deadline_local})." },
	{ "digest_passed_hours_one", "fr",
	  "Date limite dépassée depuis {hours} heure ({deadline_local})." },
	{ "digest_passed_hours_other", "fr",
	  "Date limite dépassée depuis {hours} heures ({deadline_local})." },
	{ "digest_in_hours_one", "fr",
	  "dans {hours} heure" },
	{ "digest_in_hours_other", "fr",
	  "dans {hours} heures" },
	{ "digest_ago_hours_one", "fr",
	  "il y a {hours} heure" },
	{ "digest_ago_hours_other", "fr",
	  "il y a {hours} heures" },
	{ "digest_left_one", "fr",
	  "Date limite dans {days} jour ({deadline_local})." },
	{ "digest_left_other", "fr",
	  "Date limite dans {days} jours ({deadline_local})." },
	{ "digest_passed_one", "fr",
	  "Date limite dépassée depuis {days} jour ({deadline_local})." },
	{ "digest_passed_other", "fr",
	  "Date limite dépassée depuis {days} jours ({deadline_local})." },
	{ "digest_in_one", "fr",
	  "dans {days} jour" },
	{ "digest_in_other", "fr",
	  "dans {days} jours" },
	{ "digest_ago_one", "fr",
	  "il y a {days} jour" },
	{ "digest_ago_other", "fr",
	  "il y a {days} jours" },
	{ "digest_mailbox_one", "fr",
	  "Également reçu depuis le dernier récapitulatif : {ignored} réponse automatique,\n"
	  "avis de non-remise ou message de liste adressé à cette consultation\n"
	  "(conservé, non enregistré comme contribution)." },
	{ "digest_mailbox_other", "fr",
	  "Également reçus depuis le dernier récapitulatif : {ignored} réponses\n"
	  "automatiques, avis de non-remise ou messages de listes adressés à cette\n"
	  "consultation (conservés, non enregistrés comme contributions)." },
	{ "digest_extension", "fr", "Prolongation : {submitter} jusqu'au {deadline_local}, {left}." },
	{ "digest_missing_extended", "fr",
	  "- {submitter} (délai prolongé au {deadline_local}, {left})" },
	{ "digest_on_time", "fr", "dans les délais" },
	{ "digest_within_grace", "fr", "pendant le délai de grâce" },
	{ "digest_late", "fr", "en retard" },
	{ "digest_rejected", "fr", "refusée" },
	{ "digest_early", "fr", "avant l'ouverture" },
	{ "digest_over_limit", "fr", "au-delà de la limite de {word_limit} mots" },

	/* ---------------------------------------------------------- es */
	{ "ack_subject", "es", "Acuse de recibo: {subject}" },
	{ "ack", "es",
	  "Estimados colegas:\n"
	  "\n"
	  "Acusamos recibo de su contribución escrita a {call_title}.\n"
	  "\n"
	  "Remitente: {submitter}\n"
	  "Recibida el: {received_local} ({received_utc})\n"
	  "Plazo: {deadline_local} ({deadline_utc})\n"
	  "Referencia: {id}\n"
	  "\n"
	  "Documentos recibidos:\n"
	  "{documents}\n"
	  "\n"
	  "Número total de palabras: {word_count} (límite: {word_limit})\n"
	  "\n"
	  "{outcome}\n"
	  "\n"
	  "Este acuse de recibo ha sido generado automáticamente por el sistema de\n"
	  "recepción de la secretaría. Si desean presentar una versión revisada,\n"
	  "sírvanse enviarla a esta dirección antes del plazo; se registrará como\n"
	  "una nueva versión y sustituirá a la presente.\n"
	  "\n"
	  "Atentamente,\n"
	  "La Secretaría\n" },
	{ "outcome_on_time", "es",
	  "Su contribución se recibió dentro del plazo y ha quedado registrada." },
	{ "outcome_within_grace", "es",
	  "Su contribución se recibió poco después del plazo, dentro del período\n"
	  "de gracia, y se ha registrado como recibida a tiempo." },
	{ "outcome_late_accepted", "es",
	  "Su contribución se recibió después del plazo; ha quedado registrada y\n"
	  "ha sido aceptada." },
	{ "outcome_late_flagged", "es",
	  "Su contribución se recibió después del plazo. Ha quedado registrada y\n"
	  "marcada como tardía; su consideración queda a criterio de los\n"
	  "coordinadores." },
	{ "outcome_rejected", "es",
	  "Su contribución se recibió después del plazo del {deadline_local} y, por\n"
	  "lo tanto, no podrá ser tenida en cuenta. No obstante, se ha conservado." },
	{ "outcome_early", "es",
	  "Su contribución se recibió antes de la apertura de la convocatoria. Ha\n"
	  "quedado registrada; una versión enviada después de la apertura la\n"
	  "sustituirá." },
	{ "outcome_over_limit", "es",
	  "Su contribución tiene {word_count} palabras, lo que supera el límite de\n"
	  "{word_limit} palabras. Pueden enviar una versión abreviada antes del\n"
	  "plazo." },
	{ "outcome_unreadable", "es",
	  "Al menos un documento no pudo leerse automáticamente (véase más arriba)\n"
	  "y se ha conservado para su examen manual. De ser posible, sírvanse\n"
	  "enviarlo de nuevo en formato .docx o .pdf sin contraseña." },
	{ "outcome_new_version", "es",
	  "Se trata de la versión {version} de su contribución; sustituye a la\n"
	  "versión recibida anteriormente ({supersedes})." },
	{ "doc_line", "es", "- {name}: {words} palabras" },
	{ "doc_error", "es", "- {name}: no se pudo leer ({reason})" },
	{ "body_line", "es", "- Texto del mensaje: {words} palabras" },
	{ "no_limit", "es", "ninguno" },
	{ "reason_too_large", "es", "archivo demasiado grande" },
	{ "reason_encrypted", "es", "protegido con contraseña o cifrado" },
	{ "reason_corrupt", "es", "archivo dañado" },
	{ "reason_unsupported", "es", "formato no admitido" },
	{ "reason_timeout", "es", "la lectura tardó demasiado" },
	{ "reason_no_text", "es", "sin texto, quizá un documento escaneado" },
	{ "reason_tnef", "es", "archivo adjunto winmail.dat de Outlook" },
	{ "unmatched_subject", "es", "Consulta no identificada: {subject}" },
	{ "unmatched", "es",
	  "Estimados colegas:\n"
	  "\n"
	  "Hemos recibido su mensaje «{subject}» el {received_utc}, pero no hemos\n"
	  "podido determinar a qué consulta se refiere. Se ha conservado, pero no\n"
	  "se ha registrado como contribución escrita.\n"
	  "\n"
	  "Esta dirección recibe contribuciones escritas para las siguientes\n"
	  "consultas:\n"
	  "{calls}\n"
	  "\n"
	  "Sírvanse enviar de nuevo su contribución según lo indicado para la\n"
	  "consulta correspondiente.\n"
	  "\n"
	  "Este mensaje ha sido generado automáticamente.\n"
	  "\n"
	  "Atentamente,\n"
	  "La Secretaría\n" },
	{ "unmatched_by_address", "es", "- {call_title}: escribir a {address}" },
	{ "unmatched_by_subject", "es", "- {call_title}: indicar {tag} en el asunto" },
	{ "reminder_subject", "es",
	  "Recordatorio: contribuciones escritas a {call_title}, plazo {deadline_local}" },
	{ "reminder", "es",
	  "Estimados colegas:\n"
	  "\n"
	  "Les recordamos que las contribuciones escritas a {call_title} deben\n"
	  "presentarse a más tardar el {deadline_local} ({deadline_utc}).\n"
	  "{limit}\n"
	  "\n"
	  "{status}\n"
	  "\n"
	  "Las contribuciones pueden enviarse por correo electrónico a {address},\n"
	  "preferiblemente como archivo adjunto en formato .docx o .pdf.\n"
	  "\n"
	  "Este mensaje ha sido generado automáticamente.\n"
	  "\n"
	  "Atentamente,\n"
	  "La Secretaría\n" },
	{ "reminder_status_missing", "es",
	  "Según nuestros registros, aún no se ha recibido ninguna contribución de\n"
	  "{submitter}. Si ya la han enviado, sírvanse hacer caso omiso de este\n"
	  "mensaje." },
	{ "reminder_status_received", "es",
	  "Se recibió una contribución de {submitter} el {received_local}; pueden\n"
	  "enviar una versión revisada antes del plazo." },
	{ "digest_subject", "es", "Resumen diario: {call_title}, {date}" },
	{ "digest", "es",
	  "Resumen diario de las contribuciones escritas a {call_title}, {date}.\n"
	  "Plazo: {deadline_local} ({deadline_utc})\n"
	  "\n"
	  "{summary}\n"
	  "\n"
	  "La lista completa de contribuciones se adjunta en formato CSV.\n"
	  "\n"
	  "Este mensaje ha sido generado automáticamente.\n" },
	{ "reminder_limit", "es", "Las contribuciones no deben superar las {word_limit} palabras." },
	{ "reminder_no_limit", "es", "No se aplica ningún límite de palabras." },
	{ "digest_totals", "es",
	  "Totales (última versión de cada contribución):\n"
	  "  Contribuciones recibidas:           {submitters} ({versions_text})\n"
	  "  Dentro del plazo:                   {on_time}\n"
	  "  Dentro del período de gracia:       {within_grace}\n"
	  "  Fuera de plazo:                     {late}\n"
	  "  Rechazadas:                         {rejected}\n"
	  "  Recibidas antes de la apertura:     {early}\n"
	  "  Por encima del límite de palabras:  {over_limit}\n"
	  "  De remitentes desconocidos:         {unknown}\n"
	  "  Con documentos ilegibles:           {unreadable}" },
	{ "digest_new", "es", "Recibidas desde el último resumen ({since}):" },
	{ "digest_new_first", "es", "Recibidas hasta la fecha:" },
	{ "digest_missing_one", "es",
	  "Aún no recibidas ({count} de {members} miembro de la lista):" },
	{ "digest_missing_other", "es",
	  "Aún no recibidas ({count} de {members} miembros de la lista):" },
	{ "digest_flagged", "es",
	  "Fuera de plazo, rechazadas o por encima del límite de palabras:" },
	{ "digest_unknown", "es", "De remitentes que no figuran en la lista:" },
	{ "digest_held", "es", "Pendientes de decisión: mensajes no autenticados (DMARC); la versión verificada sigue vigente hasta que los acepte (intakectl accept ID):" },
	{ "digest_held_line", "es", "- {from}: «{subject}», {received_local}, v{version}, id {id}" },
	{ "digest_unreadable", "es", "Documentos que no pudieron leerse:" },
	{ "digest_undelivered", "es", "Mensajes que no pudieron entregarse:" },
	{ "digest_languages", "es", "Idiomas: {languages}" },
	{ "digest_language_part_one", "es", "{language}: {inputs} contribución, {words} palabras" },
	{ "digest_language_part_other", "es", "{language}: {inputs} contribuciones, {words} palabras" },
	{ "digest_none", "es", "- ninguna" },
	{ "digest_line", "es",
	  "- {submitter}, versión {version}, {received_local}: {words} palabras, {outcome}" },
	{ "digest_replaces", "es", "  {version} sustituye a {supersedes}: +{added} / −{removed} palabras" },
	{ "digest_missing_line", "es", "- {submitter}" },
	{ "digest_unknown_line", "es", "- {from}: «{subject}», {received_local}" },
	{ "digest_unreadable_line", "es", "- {submitter}: {name} ({reason})" },
	{ "digest_undelivered_ack", "es",
	  "- Acuse de recibo a {rcpt} ({submitter}, versión {version})" },
	{ "digest_undelivered_reminder", "es", "- Recordatorio a {rcpt}: {error}" },
	{ "digest_undelivered_digest", "es", "- Resumen a {rcpt}: {error}" },
	{ "digest_versions_one", "es",
	  "{versions} versión" },
	{ "digest_versions_other", "es",
	  "{versions} versiones" },
	{ "digest_left_hours_one", "es",
	  "Plazo en {hours} hora ({deadline_local})." },
	{ "digest_left_hours_other", "es",
	  "Plazo en {hours} horas ({deadline_local})." },
	{ "digest_passed_hours_one", "es",
	  "Plazo vencido hace {hours} hora ({deadline_local})." },
	{ "digest_passed_hours_other", "es",
	  "Plazo vencido hace {hours} horas ({deadline_local})." },
	{ "digest_in_hours_one", "es",
	  "en {hours} hora" },
	{ "digest_in_hours_other", "es",
	  "en {hours} horas" },
	{ "digest_ago_hours_one", "es",
	  "hace {hours} hora" },
	{ "digest_ago_hours_other", "es",
	  "hace {hours} horas" },
	{ "digest_left_one", "es",
	  "Plazo en {days} día ({deadline_local})." },
	{ "digest_left_other", "es",
	  "Plazo en {days} días ({deadline_local})." },
	{ "digest_passed_one", "es",
	  "Plazo vencido hace {days} día ({deadline_local})." },
	{ "digest_passed_other", "es",
	  "Plazo vencido hace {days} días ({deadline_local})." },
	{ "digest_in_one", "es",
	  "en {days} día" },
	{ "digest_in_other", "es",
	  "en {days} días" },
	{ "digest_ago_one", "es",
	  "hace {days} día" },
	{ "digest_ago_other", "es",
	  "hace {days} días" },
	{ "digest_mailbox_one", "es",
	  "También recibido desde el último resumen: {ignored} respuesta automática,\n"
	  "aviso de no entrega o mensaje de lista dirigido a esta consulta\n"
	  "(conservado, no registrado como contribución)." },
	{ "digest_mailbox_other", "es",
	  "También recibidos desde el último resumen: {ignored} respuestas\n"
	  "automáticas, avisos de no entrega o mensajes de listas dirigidos a esta\n"
	  "consulta (conservados, no registrados como contribuciones)." },
	{ "digest_extension", "es", "Prórroga: {submitter} hasta el {deadline_local}, {left}." },
	{ "digest_missing_extended", "es",
	  "- {submitter} (plazo prorrogado hasta el {deadline_local}, {left})" },
	{ "digest_on_time", "es", "dentro del plazo" },
	{ "digest_within_grace", "es", "dentro del período de gracia" },
	{ "digest_late", "es", "fuera de plazo" },
	{ "digest_rejected", "es", "rechazada" },
	{ "digest_early", "es", "antes de la apertura" },
	{ "digest_over_limit", "es", "por encima del límite de {word_limit} palabras" },
};

static const char *lookup(const char *name, const char *lang)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0 && strcmp(builtins[i].lang, lang) == 0)
			return builtins[i].text;
	return template_hidden_lookup(name, lang);
}

const char *template_builtin(const char *name, const char *language)
{
	const char *t = NULL;
	if (name == NULL)
		return NULL;
	if (language != NULL && (str_ieq(language, "fr") || str_ieq(language, "es")))
		t = lookup(name, str_ieq(language, "fr") ? "fr" : "es");
	return t ? t : lookup(name, "en");
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
