/* staterec.c — a small JSON record in SPOOL/state/ (see staterec.h). */
#include <stdlib.h>
#include <string.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "staterec.h"
#include "intaked/util.h"

void staterec_load(struct jread *rd, const struct spool *sp, const char *file, size_t max,
		   const char *name, const char *note)
{
	char *data = NULL;
	size_t len;
	struct err err = { 0 };

	memset(rd, 0, sizeof(*rd));
	if (spool_area_read(sp, SPOOL_STATE, file, max, &data, &len, &err) == 0) {
		if (jr_load(rd, data, len, max, JR_OBJECT | JR_LENIENT) < 0) {
			char *path = spool_area_shown(sp, SPOOL_STATE, file);
			log_warnx("event=%s-record-damaged path=%s note=\"%s\"", name, log_q(path),
				  note);
			free(path);
		}
	} else if (err.cls != ERR_NONE) {
		log_warnx("event=%s-record-unreadable error=%s", name, log_q(err.msg));
	}
	free(data);
	if (rd->root == NULL) {
		memset(rd, 0, sizeof(*rd));
		rd->root = jn_object();
		rd->lenient = true;
	}
}

int staterec_save(const struct spool *sp, const char *file, const jnode *obj,
		  struct err *err)
{
	char *text = jn_dump(obj, JN_INDENT2_SORTED);
	char *data = xasprintf("%s\n", text);
	int rc = spool_area_replace(sp, SPOOL_STATE, file, data, strlen(data), 0640, err);
	free(data);
	free(text);
	return rc;
}
