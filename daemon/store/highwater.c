/* highwater.c — per-folder UID high-water mark and retry list in
 * SPOOL/state/highwater (see highwater.h). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intaked/highwater.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "staterec.h"
#include "intaked/util.h"

#define RECORD_MAX (4 * 1024 * 1024)

#define RECORD_FILE "highwater"

/* The whole file as an object; {} when missing or damaged (logged). */
static json_t *load_all(const struct spool *sp)
{
	return staterec_load(sp, RECORD_FILE, RECORD_MAX, "highwater",
			     "folders are searched from UID 1; the ledger keeps them from being "
			     "refiled");
}

static bool get_u32(json_t *obj, const char *key, uint32_t *v)
{
	json_t *j = json_object_get(obj, key);
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) > (json_int_t)UINT32_MAX)
		return false;
	*v = (uint32_t)json_integer_value(j);
	return true;
}

/* retry from rec: ascending UIDs, all <= mark; false if it is not that. */
static bool read_retry(json_t *rec, struct highwater *hw)
{
	json_t *arr = json_object_get(rec, "retry");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	if (arr != NULL && !json_is_array(arr))
		return false;
	if (n > HIGHWATER_RETRY_MAX)
		return false;
	hw->retry = xcalloc(n ? n : 1, sizeof(*hw->retry));
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_array_get(arr, i);
		if (!json_is_integer(j) || json_integer_value(j) <= 0 ||
		    json_integer_value(j) > (json_int_t)hw->mark ||
		    (i > 0 && (uint32_t)json_integer_value(j) <= hw->retry[i - 1]))
			return false;
		hw->retry[hw->nretry++] = (uint32_t)json_integer_value(j);
	}
	return true;
}

void highwater_load(const struct spool *sp, const char *folder, uint32_t uidvalidity,
		    struct highwater *hw)
{
	json_t *all = load_all(sp);
	json_t *rec = json_object_get(all, folder);
	uint32_t v = 0;

	memset(hw, 0, sizeof(*hw));
	hw->uidvalidity = uidvalidity;
	if (json_is_object(rec) && get_u32(rec, "uidvalidity", &v) && v == uidvalidity) {
		if (get_u32(rec, "mark", &hw->mark) && get_u32(rec, "marked", &hw->marked) &&
		    read_retry(rec, hw)) {
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
	json_decref(all);
}

int highwater_save(const struct spool *sp, const char *folder, const struct highwater *hw,
		   struct err *err)
{
	json_t *all = load_all(sp);
	json_t *rec = json_object(), *retry = json_array();
	for (size_t i = 0; i < hw->nretry; i++)
		json_array_append_new(retry, json_integer(hw->retry[i]));
	json_object_set_new(rec, "uidvalidity", json_integer(hw->uidvalidity));
	json_object_set_new(rec, "mark", json_integer(hw->mark));
	json_object_set_new(rec, "marked", json_integer(hw->marked));
	json_object_set_new(rec, "retry", retry);
	json_object_set_new(all, folder, rec);
	int rc = staterec_save(sp, RECORD_FILE, all, err);
	json_decref(all);
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
