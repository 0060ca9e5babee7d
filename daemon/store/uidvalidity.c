/* uidvalidity.c — per-folder UIDVALIDITY record in SPOOL/state/. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intaked/spool.h"
#include "staterec.h"
#include "intaked/uidvalidity.h"
#include "intaked/util.h"

#define RECORD_MAX (1024 * 1024)

#define RECORD_FILE "uidvalidity"

static json_t *load(const struct spool *sp)
{
	return staterec_load(sp, RECORD_FILE, RECORD_MAX, "uidvalidity", "replaced");
}

int uidvalidity_check(const struct spool *sp, const char *folder, uint32_t value,
		      uint32_t *old_r, struct err *err)
{
	json_t *obj = load(sp);
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
	if (staterec_save(sp, RECORD_FILE, obj, err) < 0)
		rc = -1;
out:
	json_decref(obj);
	return rc;
}
