/* imap_fetch.c — fetching messages (into memory, or streamed to a file for
 * big ones) and marking them filed, one UID or a batch at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "intaked/fsio.h"
#include "intaked/imap.h"
#include "imap_impl.h"
#include "imapenc.h"
#include "intaked/log.h"
#include "intaked/util.h"

/* ------------------------------------------------------------ UID sets */

/* A set of ascending UIDs, consecutive runs as intervals: a batch of 500
 * is usually "1:500", not 500 numbers. */
static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = imap_must(mailimap_set_new_empty());
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		int r = i == j ? mailimap_set_add_single(set, uids[i])
			       : mailimap_set_add_interval(set, uids[i], uids[j]);
		if (r != MAILIMAP_NO_ERROR)
			fatalx("imap: out of memory");
		i = j + 1;
	}
	return set;
}

static void set_what(char *what, size_t size, const char *verb, const uint32_t *uids, size_t n)
{
	if (n == 1)
		snprintf(what, size, "%s %u", verb, uids[0]);
	else
		snprintf(what, size, "%s %u..%u (%zu messages)", verb, uids[0], uids[n - 1], n);
}

/* --------------------------------------------------------------- fetch */

struct fetch_item {
	uint32_t uid;
	bool has_size;
	uint32_t size;
	const struct mailimap_date_time *date;      /* borrowed from the result */
	const struct mailimap_msg_att_body_section *body;
};

static void read_item(const struct mailimap_msg_att *att, struct fetch_item *fi)
{
	memset(fi, 0, sizeof(*fi));
	for (clistiter *j = clist_begin(att->att_list); j != NULL; j = clist_next(j)) {
		const struct mailimap_msg_att_item *item = clist_content(j);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		const struct mailimap_msg_att_static *st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			fi->uid = st->att_data.att_uid;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			fi->has_size = true;
			fi->size = st->att_data.att_rfc822_size;
			break;
		case MAILIMAP_MSG_ATT_INTERNALDATE:
			fi->date = st->att_data.att_internal_date;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			fi->body = st->att_data.att_body_section;
			break;
		default:
			break;
		}
	}
}

/* Unsolicited FETCH responses for other messages may share the result:
 * only the one that carries our UID counts. */
static bool find_item(clist *result, uint32_t uid, struct fetch_item *fi)
{
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		read_item(clist_content(it), fi);
		if (fi->uid == uid)
			return true;
	}
	memset(fi, 0, sizeof(*fi));
	return false;
}

static int uid_fetch(struct imap_session *s, const uint32_t *uids, size_t n,
		     struct mailimap_fetch_type *ft, clist **result, struct err *err)
{
	struct mailimap_set *set = uid_set(uids, n);
	*result = NULL;
	int r = mailimap_uid_fetch(s->imap, set, ft, result);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR) {
		char what[96];
		set_what(what, sizeof(what), "UID FETCH", uids, n);
		imap_fail(s, r, what, err);
		return -1;
	}
	return 0;
}

static struct mailimap_fetch_type *fetch_type(struct mailimap_fetch_att *extra1,
					      struct mailimap_fetch_att *extra2)
{
	struct mailimap_fetch_type *ft = imap_must(mailimap_fetch_type_new_fetch_att_list_empty());
	struct mailimap_fetch_att *atts[] = { imap_must(mailimap_fetch_att_new_uid()), extra1, extra2 };
	for (size_t i = 0; i < 3; i++)
		if (atts[i] != NULL && mailimap_fetch_type_new_fetch_att_list_add(ft, atts[i]) != MAILIMAP_NO_ERROR)
			fatalx("imap: out of memory");
	return ft;
}

static int cmp_meta(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key, u = ((const struct imap_meta *)elem)->uid;
	return k < u ? -1 : k > u;
}

int imap_fetch_meta(struct imap_session *s, const uint32_t *uids, size_t n,
		    struct imap_meta *meta, struct err *err)
{
	clist *result;
	if (imap_check_selected(s, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		meta[i] = (struct imap_meta){ .uid = uids[i] };
	if (n == 0)
		return 0;
	if (uid_fetch(s, uids, n, fetch_type(imap_must(mailimap_fetch_att_new_rfc822_size()),
					     imap_must(mailimap_fetch_att_new_internaldate())),
		      &result, err) < 0)
		return -1;
	for (clistiter *it = clist_begin(result); it != NULL; it = clist_next(it)) {
		struct fetch_item fi;
		read_item(clist_content(it), &fi);
		struct imap_meta *m = bsearch(&fi.uid, meta, n, sizeof(*meta), cmp_meta);
		const struct mailimap_date_time *d = fi.date;
		if (m == NULL || !fi.has_size || d == NULL)
			continue;
		if (imapenc_date_to_time(d->dt_year, d->dt_month, d->dt_day, d->dt_hour, d->dt_min,
					 d->dt_sec, d->dt_zone, &m->internaldate) < 0) {
			log_warnx("event=imap_bad_internaldate uid=%u", fi.uid);
			continue;
		}
		m->size = fi.size;
		m->found = true;
	}
	mailimap_fetch_list_free(result);
	return 0;
}

static void sink_write(struct body_sink *b, const char *bytes, size_t len)
{
	if (b->write_errno != 0)
		return;
	EVP_DigestUpdate(b->md, bytes, len);
	while (len > 0) {
		ssize_t w = fsio_write(b->fd, bytes, len);
		if (w <= 0) {
			b->write_errno = w < 0 ? errno : EIO;
			return;
		}
		bytes += w;
		len -= (size_t)w;
	}
}

static bool body_sink_put(int att_type, struct mailimap_msg_att_body_section *section,
			  const char *bytes, size_t len, void *ctx)
{
	(void)att_type;
	(void)section;
	struct body_sink *b = ctx;
	b->called = true;
	if (b->overflow || len == 0)
		return true;
	if (len > b->max - b->len) {
		b->overflow = true; /* keep reading: false would desynchronize */
		return true;
	}
	if (b->fd >= 0) {
		sink_write(b, bytes, len);
		b->len += len;
		return true;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap = cap > b->max / 2 ? b->max : cap * 2;
		b->data = xreallocarray(b->data, cap + 1, 1);
		b->cap = cap;
	}
	memcpy(b->data + b->len, bytes, len);
	b->len += len;
	return true;
}

static int fetch_body(struct imap_session *s, const struct imap_meta *meta,
		      struct body_sink *sink, struct err *err)
{
	clist *result;
	struct fetch_item fi;
	uint32_t uid = meta->uid;

	mailimap_set_msg_body_handler(s->imap, body_sink_put, sink);
	int r = uid_fetch(s, &uid, 1, fetch_type(imap_must(mailimap_fetch_att_new_body_peek_section(
							 imap_must(mailimap_section_new(NULL)))), NULL),
			  &result, err);
	mailimap_set_msg_body_handler(s->imap, NULL, NULL);
	if (r < 0)
		return -1;
	bool found = find_item(result, uid, &fi);
	/* A body sent as a quoted string (not a literal) bypasses the sink. */
	if (found && !sink->called && fi.body != NULL && fi.body->sec_body_part != NULL)
		body_sink_put(0, NULL, fi.body->sec_body_part, fi.body->sec_length, sink);
	bool readable = found && fi.body != NULL && (sink->called || fi.body->sec_body_part != NULL);
	mailimap_fetch_list_free(result);
	if (!readable) {
		err_set(err, ERR_MESSAGE, "imap: %s: message UID %u is gone or unreadable (NIL)",
			s->host, uid);
		return -1;
	}
	if (sink->overflow) {
		err_set(err, ERR_MESSAGE, "imap: message UID %u is bigger than declared (%u bytes) "
			"and over the limit of %zu", uid, meta->size, sink->max);
		return -1;
	}
	if (sink->len != meta->size)
		log_debug("event=imap_size_mismatch uid=%u declared=%u got=%zu", uid, meta->size,
			  sink->len);
	return 0;
}

int imap_fetch_body(struct imap_session *s, const struct imap_meta *meta, size_t max_size,
		    int spill_dirfd, struct imap_message *m, struct err *err)
{
	memset(m, 0, sizeof(*m));
	if (imap_check_selected(s, err) < 0)
		return -1;
	if (!meta->found) {
		err_set(err, ERR_MESSAGE, "imap: %s: message UID %u is gone (or has no size or "
			"INTERNALDATE)", s->host, meta->uid);
		return -1;
	}
	if (meta->size > max_size) {
		err_set(err, ERR_MESSAGE, "imap: message UID %u is %u bytes, over the limit of %zu",
			meta->uid, meta->size, max_size);
		return -1;
	}
	struct body_sink sink = { .max = max_size, .fd = -1 };
	char *path = NULL;
	int rc = -1, keep_dirfd = -1;
	if (spill_dirfd >= 0 && meta->size > IMAP_SPILL_MIN) {
		if (imap_spill_begin(spill_dirfd, meta->uid, &sink, &path, &keep_dirfd, err) < 0)
			return -1;
	} else {
		sink.data = xmalloc((size_t)meta->size + 1);
		sink.cap = meta->size;
	}
	if (fetch_body(s, meta, &sink, err) < 0 ||
	    (sink.fd >= 0 && imap_spill_finish(&sink, path, m, err) < 0))
		goto out;
	if (sink.fd < 0) {
		sink.data[sink.len] = '\0';
		m->raw = sink.data;
		sink.data = NULL;
	} else {
		m->dirfd = keep_dirfd;
		keep_dirfd = -1;
		m->path = path;
		path = NULL;
		log_debug("event=imap_streamed uid=%u bytes=%zu", meta->uid, sink.len);
	}
	m->uid = meta->uid;
	m->internaldate = meta->internaldate;
	m->len = sink.len;
	rc = 0;
out:
	if (sink.fd >= 0)
		close(sink.fd);
	if (path != NULL) {
		unlinkat(spill_dirfd, path, 0);
		free(path);
	}
	if (keep_dirfd >= 0)
		close(keep_dirfd);
	EVP_MD_CTX_free(sink.md);
	free(sink.data);
	return rc;
}

/* Copy the body of the item for meta out of a multi-message result. */
static int take_body(struct imap_session *s, clist *result, const struct imap_meta *meta,
		     size_t max_size, struct imap_message *m, struct err *err)
{
	struct fetch_item fi;
	memset(m, 0, sizeof(*m));
	if (!find_item(result, meta->uid, &fi) || fi.body == NULL ||
	    fi.body->sec_body_part == NULL) {
		err_set(err, ERR_MESSAGE, "imap: %s: message UID %u is gone or unreadable (NIL)",
			s->host, meta->uid);
		return -1;
	}
	if (fi.body->sec_length > max_size) {
		err_set(err, ERR_MESSAGE, "imap: message UID %u is bigger than declared (%u bytes) "
			"and over the limit of %zu", meta->uid, meta->size, max_size);
		return -1;
	}
	m->raw = xmalloc(fi.body->sec_length + 1);
	memcpy(m->raw, fi.body->sec_body_part, fi.body->sec_length);
	m->raw[fi.body->sec_length] = '\0';
	m->len = fi.body->sec_length;
	m->uid = meta->uid;
	m->internaldate = meta->internaldate;
	return 0;
}

int imap_fetch_bodies(struct imap_session *s, const struct imap_meta *meta, size_t n,
		      size_t max_size, struct imap_message *m, struct err *errs,
		      struct err *err)
{
	uint32_t *uids = xcalloc(n ? n : 1, sizeof(*uids));
	size_t nuids = 0;
	clist *result = NULL;
	int rc = -1;

	memset(m, 0, n * sizeof(*m));
	if (imap_check_selected(s, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (meta[i].found && meta[i].size <= max_size)
			uids[nuids++] = meta[i].uid;
	/* Libetpan's parser keeps the whole response: callers size the
	 * batch (IMAP_SPILL_MIN per message, a few MiB in all). */
	if (nuids > 0 &&
	    uid_fetch(s, uids, nuids, fetch_type(imap_must(mailimap_fetch_att_new_body_peek_section(
							 imap_must(mailimap_section_new(NULL)))), NULL),
		      &result, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		err_clear(&errs[i]);
		if (!meta[i].found)
			err_set(&errs[i], ERR_MESSAGE, "imap: %s: message UID %u is gone (or has no "
				"size or INTERNALDATE)", s->host, meta[i].uid);
		else if (meta[i].size > max_size)
			err_set(&errs[i], ERR_MESSAGE, "imap: message UID %u is %u bytes, over the "
				"limit of %zu", meta[i].uid, meta[i].size, max_size);
		else
			(void)take_body(s, result, &meta[i], max_size, &m[i], &errs[i]);
	}
	rc = 0;
out:
	if (result)
		mailimap_fetch_list_free(result);
	free(uids);
	return rc;
}

int imap_fetch(struct imap_session *s, uint32_t uid, size_t max_size,
	       struct imap_message *m, struct err *err)
{
	struct imap_meta meta;
	memset(m, 0, sizeof(*m));
	if (imap_fetch_meta(s, &uid, 1, &meta, err) < 0)
		return -1;
	return imap_fetch_body(s, &meta, max_size, -1, m, err);
}

void imap_message_clear(struct imap_message *m)
{
	if (m->path != NULL) {
		if (m->raw != NULL && m->len > 0)
			munmap(m->raw, m->len);
		else
			free(m->raw);
		unlinkat(m->dirfd, m->path, 0);
		close(m->dirfd);
		free(m->path);
	} else {
		free(m->raw);
	}
	memset(m, 0, sizeof(*m));
}

/* --------------------------------------------------------------- mark */

/* What STORE +FLAGS.SILENT adds: FILED is \Seen and, where the folder
 * takes keywords, $Filed (imap_search_pending skips it; \Seen is only a
 * courtesy to people); DELETED is \Deleted, for the COPY fallback of a
 * move. libetpan sends a keyword flag as an atom, as it must be. */
enum { MARK_FILED = 1, MARK_DELETED = 2 };

static void add_flag(struct mailimap_flag_list *fl, struct mailimap_flag *f)
{
	if (mailimap_flag_list_add(fl, imap_must(f)) != MAILIMAP_NO_ERROR)
		fatalx("imap: out of memory");
}

static int store_flags(struct imap_session *s, const uint32_t *uids, size_t n, int marks,
		       struct err *err)
{
	struct mailimap_flag_list *fl = imap_must(mailimap_flag_list_new_empty());
	bool keyword = (marks & MARK_FILED) && s->keywords;
	if (marks & MARK_FILED)
		add_flag(fl, mailimap_flag_new_seen());
	if (keyword)
		add_flag(fl, mailimap_flag_new_flag_keyword(xstrdup(FILED_KEYWORD)));
	if (marks & MARK_DELETED)
		add_flag(fl, mailimap_flag_new_deleted());
	struct mailimap_store_att_flags *sa = imap_must(mailimap_store_att_flags_new_add_flags_silent(fl));
	struct mailimap_set *set = uid_set(uids, n);
	int r = mailimap_uid_store(s->imap, set, sa);
	mailimap_set_free(set);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR) {
		char what[160], verb[64];
		snprintf(verb, sizeof(verb), "UID STORE +FLAGS (%s%s%s)",
			 (marks & MARK_FILED) ? "\\Seen" : "", keyword ? " " FILED_KEYWORD : "",
			 (marks & MARK_DELETED) ? ((marks & MARK_FILED) ? " \\Deleted" : "\\Deleted") : "");
		set_what(what, sizeof(what), verb, uids, n);
		imap_fail(s, r, what, err);
		return -1;
	}
	return 0;
}

enum transfer { TRANSFER_MOVE, TRANSFER_COPY };

/* UID MOVE or UID COPY to folder; creates the folder once if the server
 * says TRYCREATE. */
static int transfer(struct imap_session *s, const uint32_t *uids, size_t n, const char *folder,
		    enum transfer how, struct err *err)
{
	char *enc = imap_encode_folder(folder, err);
	if (enc == NULL)
		return -1;
	struct mailimap_set *set = uid_set(uids, n);
	int r = MAILIMAP_NO_ERROR;
	for (int attempt = 0; attempt < 2; attempt++) {
		r = how == TRANSFER_MOVE ? mailimap_uid_move(s->imap, set, enc)
					 : mailimap_uid_copy(s->imap, set, enc);
		if (r == MAILIMAP_NO_ERROR || attempt > 0 || s->imap->imap_response_info == NULL ||
		    !s->imap->imap_response_info->rsp_trycreate)
			break;
		int c = mailimap_create(s->imap, enc);
		if (c != MAILIMAP_NO_ERROR) {
			r = c;
			break;
		}
		log_info("event=imap_folder_created folder=%s", log_q(folder));
	}
	mailimap_set_free(set);
	free(enc);
	if (r != MAILIMAP_NO_ERROR) {
		char what[200], verb[140];
		snprintf(verb, sizeof(verb), "UID %s to %s", how == TRANSFER_MOVE ? "MOVE" : "COPY",
			 folder);
		set_what(what, sizeof(what), verb, uids, n);
		imap_fail(s, r, what, err);
		return -1;
	}
	return 0;
}

/* UID MOVE (RFC 6851), else UID COPY, STORE and UID EXPUNGE (RFC 4315).
 * The copies are also marked filed, so that a crash before the expunge,
 * or a server without UIDPLUS, never has them copied a second time.
 * Without UIDPLUS they stay in the folder marked \Deleted: a plain
 * EXPUNGE would also remove whatever other clients marked \Deleted, and
 * that is not ours to destroy; the owner's client expunges them. */
static int move_messages(struct imap_session *s, const uint32_t *uids, size_t n,
			 const char *folder, struct err *err)
{
	if (imap_has_cap(s, "MOVE"))
		return transfer(s, uids, n, folder, TRANSFER_MOVE, err);
	if (transfer(s, uids, n, folder, TRANSFER_COPY, err) < 0 ||
	    store_flags(s, uids, n, MARK_FILED | MARK_DELETED, err) < 0)
		return -1;
	if (!imap_has_cap(s, "UIDPLUS")) {
		if (!s->warned_expunge)
			log_warnx("event=imap_no_uidplus host=%s folder=%s note=\"no MOVE and no UID "
				  "EXPUNGE: moved messages stay marked \\\\Deleted until expunged\"",
				  log_q(s->host), log_q(folder));
		s->warned_expunge = true;
		return 0;
	}
	struct mailimap_set *set = uid_set(uids, n);
	int r = mailimap_uid_expunge(s->imap, set);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR) {
		char what[96];
		set_what(what, sizeof(what), "UID EXPUNGE", uids, n);
		imap_fail(s, r, what, err);
		return -1;
	}
	return 0;
}

int imap_mark_filed_many(struct imap_session *s, const uint32_t *uids, size_t n,
			 const struct mailbox_config *mc, struct err *err)
{
	if (imap_check_selected(s, err) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (mc->after_filing == AFTER_MOVE) {
		if (mc->move_to == NULL || mc->move_to[0] == '\0') {
			err_set(err, ERR_CONFIG, "imap: after_filing = move needs a folder");
			return -1;
		}
		return move_messages(s, uids, n, mc->move_to, err);
	}
	return store_flags(s, uids, n, MARK_FILED, err);
}

int imap_mark_filed(struct imap_session *s, uint32_t uid,
		    const struct mailbox_config *mc, struct err *err)
{
	return imap_mark_filed_many(s, &uid, 1, mc, err);
}
