/* spool_fixture.h — shared by test_spool.c and test_spool_index.c: a spool
 * in a temporary directory, with a directory beside it for planted
 * symlinks to point at. Header-only: each test includes it once. */
#ifndef SPOOL_FIXTURE_H
#define SPOOL_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "intaked/fsio.h"
#include "intaked/spool.h"
#include "intaked/util.h"

struct fixture {
	char root[64];            /* mkdtemp: holds spool/ and elsewhere/ */
	char *dir;                /* root/spool */
	char *elsewhere;          /* root/elsewhere: symlinks point here */
	struct spool *sp;
};

/* cmocka setup for a test program named name. */
static inline int spool_fixture_setup(void **state, const char *name)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/%s.XXXXXX", name);
	if (mkdtemp(f->root) == NULL)
		return -1;
	umask(022);
	f->dir = xasprintf("%s/spool", f->root);
	f->elsewhere = xasprintf("%s/elsewhere", f->root);
	if (mkdir(f->elsewhere, 0700) < 0 || spool_open(f->dir, &f->sp, NULL) < 0)
		return -1;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;
	spool_close(&f->sp);
	fsio_rmtree(f->root);
	free(f->dir);
	free(f->elsewhere);
	free(f);
	return 0;
}

#endif
