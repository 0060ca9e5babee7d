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

static int accept_entry(struct ctl *c, const char *rel, struct metadata *md)
{
	struct err err = { 0 };
	if (!md->held) {
		fprintf(c->err, "intakectl: %s is not waiting for a decision (only a submission "
			"held for failing authentication is)\n", md->id);
		return CTL_FAIL;
	}
	md->held = false;
	md->accepted_at = c->now;
	if (spool_save_metadata(c->sp, rel, md, &err) < 0 ||
	    spool_write_index(c->sp, md->call, &err) < 0) {
		fprintf(c->err, "intakectl: %s\n", err.msg);
		return CTL_IOERR;
	}
	fprintf(c->out, "%s accepted: v%d is now the current version of %s\n", md->id,
		md->version, md->submitter.slug ? md->submitter.slug : "its submitter");
	return CTL_OK;
}

int ctl_cmd_accept(struct ctl *c, const struct ctl_args *a)
{
	char *rel = NULL;
	struct metadata *md = NULL;
	int rc = ctl_open_entry(c, a->pos[0], &rel, &md);
	if (rc == CTL_OK)
		rc = accept_entry(c, rel, md);
	free(rel);
	metadata_free(&md);
	return rc;
}
