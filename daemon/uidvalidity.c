/* uidvalidity.c — per-folder UIDVALIDITY record in SPOOL/state/. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "intaked/uidvalidity.h"
#include "intaked/util.h"

#define RECORD_MAX (1024 * 1024)

static json_t *load(const char *path)
{
	char *data = NULL;
	size_t len;
	struct err err = { 0 };
	json_t *obj = NULL;

	if (fsio_exists(path) && fsio_read_file(path, RECORD_MAX, &data, &len, &err) == 0) {
		json_error_t jerr;
		obj = json_loadb(data, len, 0, &jerr);
		if (obj == NULL || !json_is_object(obj)) {
			log_warnx("event=uidvalidity-record-damaged path=%s note=\"replaced\"", path);
			json_decref(obj);
			obj = NULL;
		}
	} else if (err.cls != ERR_NONE) {
		log_warnx("event=uidvalidity-record-unreadable error=%s", log_q(err.msg));
	}
	free(data);
	return obj != NULL ? obj : json_object();
}

static int save(const char *path, json_t *obj, struct err *err)
{
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (text == NULL)
		fatalx("uidvalidity: out of memory");
	char *data = xasprintf("%s\n", text);
	int rc = fsio_replace(path, data, strlen(data), 0640, err);
	free(data);
	free(text);
	return rc;
}

int uidvalidity_check(const struct spool *sp, const char *folder, uint32_t value,
		      uint32_t *old_r, struct err *err)
{
	char *path = xasprintf("%s/state/uidvalidity", spool_dir(sp));
	json_t *obj = load(path);
	json_t *old = json_object_get(obj, folder);
	int rc = 0;

	if (old_r != NULL)
		*old_r = 0;
	if (json_is_integer(old) && json_integer_value(old) == (json_int_t)value)
		goto out;
	if (json_is_integer(old)) {
		if (old_r != NULL)
			*old_r = (uint32_t)json_integer_value(old);
		rc = 1;
	}
	json_object_set_new(obj, folder, json_integer((json_int_t)value));
	if (save(path, obj, err) < 0)
		rc = -1;
out:
	json_decref(obj);
	free(path);
	return rc;
}
