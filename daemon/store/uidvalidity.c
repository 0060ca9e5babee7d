/* uidvalidity.c — per-folder UIDVALIDITY record in SPOOL/state/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/spool.h"
#include "staterec.h"
#include "intaked/uidvalidity.h"
#include "intaked/util.h"

#define RECORD_MAX (1024 * 1024)

#define RECORD_FILE "uidvalidity"

int uidvalidity_check(const struct spool *sp, const char *folder, uint32_t value,
		      uint32_t *old_r, struct err *err)
{
	struct jread rd;
	staterec_load(&rd, sp, RECORD_FILE, RECORD_MAX, "uidvalidity", "replaced");
	struct jval root = jr_root(&rd);
	/* Not a UIDVALIDITY (damaged): as if none was known. */
	long long old = jr_int(&root, folder, 0, UINT32_MAX, -1);
	int rc = 0;

	if (old_r != NULL)
		*old_r = 0;
	if (old == (long long)value)
		goto out;
	if (old >= 0) {
		if (old_r != NULL)
			*old_r = (uint32_t)old;
		rc = 1;
	}
	jn_set_int(rd.root, folder, value);
	if (staterec_save(sp, RECORD_FILE, rd.root, err) < 0)
		rc = -1;
out:
	jr_close(&rd);
	return rc;
}
