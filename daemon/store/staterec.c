/* staterec.c — a small JSON record in SPOOL/state/ (see staterec.h). */
#include <stdlib.h>
#include <string.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "staterec.h"
#include "intaked/util.h"

json_t *staterec_load(const struct spool *sp, const char *file, size_t max, const char *name,
		      const char *note)
{
	char *data = NULL;
	size_t len;
	struct err err = { 0 };
	json_t *obj = NULL;

	if (spool_area_read(sp, SPOOL_STATE, file, max, &data, &len, &err) == 0) {
		json_error_t jerr;
		obj = json_loadb(data, len, 0, &jerr);
		if (obj == NULL || !json_is_object(obj)) {
			char *path = spool_area_shown(sp, SPOOL_STATE, file);
			log_warnx("event=%s-record-damaged path=%s note=\"%s\"", name, log_q(path),
				  note);
			free(path);
			json_decref(obj);
			obj = NULL;
		}
	} else if (err.cls != ERR_NONE) {
		log_warnx("event=%s-record-unreadable error=%s", name, log_q(err.msg));
	}
	free(data);
	return obj != NULL ? obj : json_object();
}

int staterec_save(const struct spool *sp, const char *file, const json_t *obj,
		  struct err *err)
{
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		fatalx("%s: out of memory", file);
	char *data = xasprintf("%s\n", text);
	int rc = spool_area_replace(sp, SPOOL_STATE, file, data, strlen(data), 0640, err);
	free(data);
	free(text);
	return rc;
}
