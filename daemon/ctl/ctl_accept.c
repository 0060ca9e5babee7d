/* ctl_accept.c — intakectl accept ID: a coordinator's decision that a
 * held submission (unverified while its submitter has a verified version,
 * issue 14) is genuine. It becomes current in list, export, the digest,
 * index.json and the publication page. */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "intaked/metadata.h"
#include "intaked/spool.h"
#include "intaked/util.h"

int ctl_cmd_accept(struct ctl *c, const struct ctl_args *a)
{
	char *rel = NULL;
	struct metadata *md = NULL;
	struct err err = { 0 };
	int rc = ctl_open_entry(c, a->pos[0], &rel, &md);
	if (rc != CTL_OK)
		return rc;
	if (!md->held) {
		fprintf(c->err, "intakectl: %s is not waiting for a decision (only a submission "
			"held for failing authentication is)\n", md->id);
		rc = CTL_FAIL;
		goto out;
	}
	md->held = false;
	md->accepted_at = c->now;
	if (spool_save_metadata(c->sp, rel, md, &err) < 0 ||
	    spool_write_index(c->sp, md->call, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		rc = CTL_IOERR;
		goto out;
	}
	fprintf(c->out, "%s accepted: v%d is now the current version of %s\n", md->id,
		md->version, md->submitter.slug ? md->submitter.slug : "its submitter");
out:
	free(rel);
	metadata_free(&md);
	return rc;
}
