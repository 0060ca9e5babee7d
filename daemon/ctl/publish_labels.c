/* publish_labels.c — the words of the publication page in en, fr and es:
 * one table, so that moving them into the mail's catalogues is one
 * change. */
#include <stddef.h>
#include <string.h>

#include "publish_labels.h"

static const struct publish_labels labels_all[] = {
	{ "en", "Written inputs received", "Deadline", "List as of", "Inputs",
	  "No inputs to show yet.", "Member", "Received", "Documents", "Words", "Language",
	  "unverified sender", "Unknown sender", "could not be read", "Message text",
	  "The same list as data", "original", "PDF not available", "Other languages" },
	{ "fr", "Contributions écrites reçues", "Date limite", "Liste au", "Contributions",
	  "Aucune contribution à afficher pour l’instant.", "Délégation", "Reçue le",
	  "Documents", "Mots", "Langue", "expéditeur non vérifié", "Expéditeur inconnu",
	  "illisible", "Texte du message", "La même liste en données", "original",
	  "PDF non disponible", "Autres langues" },
	{ "es", "Contribuciones escritas recibidas", "Plazo", "Lista al", "Contribuciones",
	  "Todavía no hay contribuciones que mostrar.", "Miembro", "Recibida", "Documentos",
	  "Palabras", "Idioma", "remitente no verificado", "Remitente desconocido",
	  "no se pudo leer", "Texto del mensaje", "La misma lista como datos", "original",
	  "PDF no disponible", "Otros idiomas" },
};

const struct publish_labels *publish_labels(const char *lang)
{
	for (size_t i = 0; i < sizeof(labels_all) / sizeof(labels_all[0]); i++)
		if (lang && strcmp(lang, labels_all[i].lang) == 0)
			return &labels_all[i];
	return &labels_all[0];
}

bool publish_labels_known(const char *lang)
{
	return lang && strcmp(publish_labels(lang)->lang, lang) == 0;
}
