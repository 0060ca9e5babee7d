/* imap_search.c — which UIDs of the selected folder are worth a look:
 * those above intaked's high-water mark and those it must try again
 * (highwater.h), never "what is unread" (people read mail too). */
#include <stdlib.h>

#include "intaked/imap.h"
#include "imap_impl.h"
#include "intaked/log.h"
#include "intaked/util.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* UID <also>,<above+1>:* ("*" is 0 to libetpan). */
static struct mailimap_set *candidate_set(uint32_t above, const uint32_t *also, size_t nalso)
{
	struct mailimap_set *set = imap_must(mailimap_set_new_empty());
	for (size_t i = 0; i < nalso; i++)
		if (mailimap_set_add_single(set, also[i]) != MAILIMAP_NO_ERROR)
			fatalx("imap: out of memory");
	if (above < UINT32_MAX && mailimap_set_add_interval(set, above + 1, 0) != MAILIMAP_NO_ERROR)
		fatalx("imap: out of memory");
	return set;
}

/* The UID set, and where the folder keeps keywords NOT KEYWORD $Filed:
 * intaked's own mark, which nobody else sets (a fast path). KEYWORD, not
 * UNKEYWORD: libetpan sends the UNKEYWORD argument as a quoted string,
 * which Cyrus rejects (BAD); RFC 3501 wants an atom, and KEYWORD's is. */
static struct mailimap_search_key *pending_key(const struct imap_session *s, uint32_t above,
					       const uint32_t *also, size_t nalso)
{
	struct mailimap_search_key *uid =
		imap_must(mailimap_search_key_new_uid(candidate_set(above, also, nalso)));
	if (!s->keywords)
		return uid;
	struct mailimap_search_key *all = imap_must(mailimap_search_key_new_multiple_empty());
	struct mailimap_search_key *filed =
		imap_must(mailimap_search_key_new_keyword(xstrdup(FILED_KEYWORD)));
	if (mailimap_search_key_multiple_add(all, uid) != MAILIMAP_NO_ERROR ||
	    mailimap_search_key_multiple_add(all, imap_must(mailimap_search_key_new_not(filed)))
	    != MAILIMAP_NO_ERROR)
		fatalx("imap: out of memory");
	return all;
}

bool imap_folder_keywords(const struct imap_session *s)
{
	return s != NULL && s->selected && s->keywords;
}

int imap_search_pending(struct imap_session *s, uint32_t above, const uint32_t *also,
			size_t nalso, uint32_t **uids_r, size_t *n_r, struct err *err)
{
	*uids_r = NULL;
	*n_r = 0;
	if (imap_check_selected(s, err) < 0)
		return -1;
	/* EXISTS seen from here on is news for imap_wait: the search below
	 * already covers whatever arrived before it. */
	imap_forget_news(s);
	struct mailimap_search_key *key = pending_key(s, above, also, nalso);
	clist *result = NULL;
	int r = mailimap_uid_search(s->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR) {
		char what[96];
		snprintf(what, sizeof(what), "UID SEARCH UID %u:*%s", above + 1,
			 s->keywords ? " NOT KEYWORD " FILED_KEYWORD : "");
		imap_fail(s, r, what, err);
		return -1;
	}
	size_t n = 0, cap = (size_t)clist_count(result);
	uint32_t *uids = xcalloc(cap ? cap : 1, sizeof(*uids));
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it))
		uids[n++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(result);
	qsort(uids, n, sizeof(*uids), cmp_u32);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (uids[i] != 0 && (k == 0 || uids[k - 1] != uids[i]))
			uids[k++] = uids[i];
	*uids_r = uids;
	*n_r = k;
	return 0;
}
