/* pending.c — candidates of a folder from its high-water mark and the
 * ledger (see pending.h). */
#include <stdlib.h>

#include "intaked/imap.h"
#include "intaked/ledger.h"
#include "intaked/log.h"
#include "pending.h"

static int cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A failure costs a search from the older mark: the ledger still refiles
 * nothing. */
static void save(const struct pending *pd)
{
	struct err err = { 0 };
	if (highwater_save(pd->sp, pd->folder, &pd->hw, &err) < 0)
		log_warnx("event=highwater-save-failed folder=%s error=%s", log_q(pd->folder),
			  log_q(err.msg));
}

int pending_find(struct pending *pd, struct imap_session *s, const struct spool *sp,
		 struct ledger *ledger, const char *folder, uint32_t uidvalidity,
		 uint32_t **uids_r, size_t *n_r, struct err *err)
{
	*pd = (struct pending){ .sp = sp, .ledger = ledger, .folder = folder,
				.uidvalidity = uidvalidity };
	highwater_load(sp, folder, uidvalidity, &pd->hw);
	if (imap_search_pending(s, pd->hw.mark, pd->hw.retry, pd->hw.nretry, uids_r, n_r,
				err) < 0)
		return -1;
	size_t nretry = pd->hw.nretry;
	*n_r = highwater_candidates(&pd->hw, *uids_r, *n_r);
	if (pd->hw.nretry != nretry)
		save(pd); /* some are gone */
	return 0;
}

bool pending_needs_mark(const struct pending *pd, const struct imap_session *s, uint32_t uid)
{
	return imap_folder_keywords(s) || (pd->hw.known && uid > pd->hw.marked);
}

/* What the mark may pass: in the ledger, and not among those whose mark
 * on the server failed (found again by the next pass, marked then). */
struct probe {
	const struct pending *pd;
	const uint32_t *unmarked;
	size_t nunmarked;
};

static bool settled(uint32_t uid, void *arg)
{
	const struct probe *p = arg;
	return ledger_find_uid(p->pd->ledger, p->pd->folder, p->pd->uidvalidity, uid) != NULL &&
	       (p->nunmarked == 0 ||
		bsearch(&uid, p->unmarked, p->nunmarked, sizeof(uid), cmp_uid) == NULL);
}

void pending_done(struct pending *pd, const uint32_t *uids, size_t n, const uint32_t *marked,
		  size_t nmarked, bool mark_ok)
{
	struct probe p = { pd, mark_ok ? NULL : marked, mark_ok ? 0 : nmarked };
	if (mark_ok && nmarked > 0 && marked[nmarked - 1] > pd->hw.marked)
		pd->hw.marked = marked[nmarked - 1];
	highwater_advance(&pd->hw, uids, n, settled, &p);
	save(pd);
}

void pending_clear(struct pending *pd)
{
	highwater_clear(&pd->hw);
}
