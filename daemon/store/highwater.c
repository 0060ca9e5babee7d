/* highwater.c — per-folder UID high-water mark and retry list in
 * SPOOL/state/highwater (see highwater.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/highwater.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "staterec.h"
#include "intaked/util.h"

#define RECORD_MAX (4 * 1024 * 1024)

#define RECORD_FILE "highwater"

/* The whole file; {} when missing or damaged (logged). */
static void load_all(struct jread *rd, const struct spool *sp)
{
	staterec_load(rd, sp, RECORD_FILE, RECORD_MAX, "highwater",
		      "folders are searched from UID 1; the ledger keeps them from being "
		      "refiled");
}

/* retry from rec: ascending UIDs, all in 1..mark; false if it is not that. */
static bool read_retry(const struct jval *rec, struct highwater *hw)
{
	struct jval arr;
	size_t n = jr_array(rec, "retry", HIGHWATER_RETRY_MAX, &arr);
	if (rec->rd->failed)
		return false;
	hw->retry = xcalloc(n ? n : 1, sizeof(*hw->retry));
	for (size_t i = 0; i < n; i++) {
		struct jval item = jr_item(&arr, i);
		long long uid = jr_int(&item, NULL, 1, hw->mark, -1);
		if (uid < 0 || (i > 0 && (uint32_t)uid <= hw->retry[i - 1]))
			return false;
		hw->retry[hw->nretry++] = (uint32_t)uid;
	}
	return true;
}

/* The record of rec once its uidvalidity matched: false if damaged. */
static bool read_record(const struct jval *rec, struct highwater *hw)
{
	long long mark = jr_int(rec, "mark", 0, UINT32_MAX, -1);
	long long marked = jr_int(rec, "marked", 0, UINT32_MAX, -1);
	if (mark < 0 || marked < 0)
		return false;
	hw->mark = (uint32_t)mark;
	hw->marked = (uint32_t)marked;
	return read_retry(rec, hw);
}

void highwater_load(const struct spool *sp, const char *folder, uint32_t uidvalidity,
		    struct highwater *hw)
{
	struct jread rd;
	struct jval root, rec;

	load_all(&rd, sp);
	root = jr_root(&rd);
	memset(hw, 0, sizeof(*hw));
	hw->uidvalidity = uidvalidity;
	if (jr_object(&root, folder, &rec) &&
	    jr_int(&rec, "uidvalidity", 0, UINT32_MAX, -1) == (long long)uidvalidity) {
		if (read_record(&rec, hw) && !rd.failed) {
			hw->known = true;
		} else {
			char *path = spool_area_shown(sp, SPOOL_STATE, RECORD_FILE);
			log_warnx("event=highwater-record-damaged path=%s folder=%s note=\"searched "
				  "from UID 1\"", log_q(path), log_q(folder));
			free(path);
			highwater_clear(hw);
			hw->uidvalidity = uidvalidity;
		}
	}
	jr_close(&rd);
}

int highwater_save(const struct spool *sp, const char *folder, const struct highwater *hw,
		   struct err *err)
{
	struct jread rd;
	load_all(&rd, sp);
	jnode *rec = jn_object(), *retry = jn_array();
	for (size_t i = 0; i < hw->nretry; i++)
		jn_push(retry, jn_int(hw->retry[i]));
	jn_set_int(rec, "uidvalidity", hw->uidvalidity);
	jn_set_int(rec, "mark", hw->mark);
	jn_set_int(rec, "marked", hw->marked);
	jn_set(rec, "retry", retry);
	jn_set(rd.root, folder, rec);
	int rc = staterec_save(sp, RECORD_FILE, rd.root, err);
	jr_close(&rd);
	return rc;
}

void highwater_clear(struct highwater *hw)
{
	free(hw->retry);
	memset(hw, 0, sizeof(*hw));
}

static bool in_retry(const struct highwater *hw, uint32_t uid)
{
	size_t lo = 0, hi = hw->nretry;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (hw->retry[mid] == uid)
			return true;
		if (hw->retry[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

size_t highwater_candidates(struct highwater *hw, uint32_t *uids, size_t n)
{
	uint32_t *kept = xcalloc(hw->nretry ? hw->nretry : 1, sizeof(*kept));
	size_t k = 0, r = 0;
	for (size_t i = 0; i < n; i++) {
		if (uids[i] > hw->mark) {
			uids[k++] = uids[i];
		} else if (in_retry(hw, uids[i])) {
			uids[k++] = uids[i];
			kept[r++] = uids[i];
		}
	}
	if (r != hw->nretry)
		log_debug("event=highwater-gone count=%zu", hw->nretry - r);
	free(hw->retry);
	hw->retry = kept;
	hw->nretry = r;
	return k;
}

static void retry_remove(struct highwater *hw, uint32_t uid)
{
	for (size_t i = 0; i < hw->nretry; i++)
		if (hw->retry[i] == uid) {
			memmove(&hw->retry[i], &hw->retry[i + 1],
				(hw->nretry - i - 1) * sizeof(*hw->retry));
			hw->nretry--;
			return;
		}
}

static void retry_append(struct highwater *hw, uint32_t uid)
{
	/* Sized for the most it may hold (a load allocates only what it read). */
	hw->retry = xreallocarray(hw->retry, hw->nretry + 1, sizeof(*hw->retry));
	hw->retry[hw->nretry++] = uid;
}

bool highwater_advance(struct highwater *hw, const uint32_t *uids, size_t n,
		       bool (*filed)(uint32_t uid, void *arg), void *arg)
{
	bool changed = false;
	for (size_t i = 0; i < n; i++) {
		bool ok = filed(uids[i], arg);
		if (uids[i] <= hw->mark) {
			/* One of retry (candidates are nothing else below it). */
			if (ok) {
				retry_remove(hw, uids[i]);
				changed = true;
			}
			continue;
		}
		if (hw->full)
			continue;
		if (!ok) {
			if (hw->nretry == HIGHWATER_RETRY_MAX) {
				log_warnx("event=highwater-retry-full uid=%u note=\"the mark waits "
					  "here until older unfiled messages are filed or gone\"",
					  uids[i]);
				hw->full = true;
				continue;
			}
			retry_append(hw, uids[i]);
		}
		hw->mark = uids[i];
		changed = true;
	}
	return changed;
}
