/* schedstate.c — the scheduler's journal of reminders and digests sent
 * (see schedstate.h for the record format and the crash argument). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/schedstate.h"
#include "intaked/spool.h"
#include "intaked/tztime.h"
#include "intaked/util.h"

#define TAG           "S1"
#define FILE_MAX      (64u * 1024 * 1024)
#define LINE_MAX_LEN  (16u * 1024)
#define WARN_MAX      10

enum rec_state { REC_PENDING, REC_QUEUED, REC_VOID };

struct srec {
	struct schedstate_rec pub;
	char *key, *message_id, *outbox_id; /* owned; pub points at them */
	enum rec_state state;
};

struct schedstate {
	const struct spool *sp;   /* borrowed */
	char *path;
	int fd;
	struct srec *v;
	size_t n, cap;
	/* key -> index + 1 of its latest queued record (open addressing) */
	size_t *slots;
	size_t nslots, used;
};

char *schedstate_key(const char *const *fields, size_t n)
{
	struct buf b;
	buf_init(&b, LINE_MAX_LEN);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(&b, "\t");
		str_percent_escape(&b, fields[i]);
	}
	if (b.data == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* ---- the key table ---- */

static size_t hash_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h ^= h >> 31;
	return (size_t)h;
}

static size_t *slot_for(const struct schedstate *st, const char *key)
{
	size_t mask = st->nslots - 1;
	for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
		size_t *s = &st->slots[i];
		if (*s == 0 || strcmp(st->v[*s - 1].key, key) == 0)
			return s;
	}
}

static void table_grow(struct schedstate *st)
{
	size_t *old = st->slots, oldn = st->nslots;
	st->nslots = oldn ? oldn * 2 : 256;
	st->slots = xcalloc(st->nslots, sizeof(*st->slots));
	st->used = 0;
	for (size_t i = 0; i < oldn; i++)
		if (old[i] != 0) {
			*slot_for(st, st->v[old[i] - 1].key) = old[i];
			st->used++;
		}
	free(old);
}

static void table_set(struct schedstate *st, size_t idx)
{
	if ((st->used + 1) * 2 > st->nslots)
		table_grow(st);
	size_t *s = slot_for(st, st->v[idx].key);
	if (*s == 0)
		st->used++;
	*s = idx + 1;
}

/* ---- records ---- */

static struct srec *add_intent(struct schedstate *st, const char *key, time_t when,
			       time_t deadline, const char *message_id)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->v = xreallocarray(st->v, st->cap, sizeof(*st->v));
	}
	struct srec *r = &st->v[st->n++];
	memset(r, 0, sizeof(*r));
	r->key = xstrdup(key);
	r->message_id = xstrdup(message_id);
	r->pub.when = when;
	r->pub.deadline = deadline;
	r->state = REC_PENDING;
	return r;
}

static void sync_pub(struct srec *r)
{
	r->pub.key = r->key;
	r->pub.message_id = r->message_id;
	r->pub.outbox_id = r->outbox_id;
}

/* The latest pending intent with this Message-ID. */
static struct srec *find_pending(struct schedstate *st, const char *message_id)
{
	for (size_t i = st->n; i-- > 0;)
		if (st->v[i].state == REC_PENDING && strcmp(st->v[i].message_id, message_id) == 0)
			return &st->v[i];
	return NULL;
}

static void mark(struct schedstate *st, struct srec *r, bool queued, const char *outbox_id)
{
	r->state = queued ? REC_QUEUED : REC_VOID;
	if (queued) {
		free(r->outbox_id);
		r->outbox_id = xstrdup(outbox_id ? outbox_id : "");
		sync_pub(r);
		table_set(st, (size_t)(r - st->v));
	}
}

static int parse_time(const char *s, time_t *t_r)
{
	if (strcmp(s, "-") == 0) {
		*t_r = 0;
		return 0;
	}
	return tztime_parse_iso8601(s, t_r);
}

/* One line (without '\n'), modified in place. -1 if malformed. */
static int parse_line(struct schedstate *st, char *line)
{
	char *f[5];
	size_t nf = 0;
	char *p = line;
	while (nf < 5) {
		f[nf++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL) {
			p = NULL;
			break;
		}
		*tab = '\0';
		p = tab + 1;
	}
	if (nf < 3 || strcmp(f[0], TAG) != 0)
		return -1;
	if (strcmp(f[1], "I") == 0) {
		time_t when, deadline;
		/* f[2..4] and the key in p, still escaped: keys are compared
		 * in their escaped form. */
		if (nf != 5 || p == NULL || *p == '\0' || parse_time(f[2], &when) < 0 ||
		    parse_time(f[3], &deadline) < 0 || str_percent_unescape(f[4]) < 0 || *f[4] == '\0')
			return -1;
		sync_pub(add_intent(st, p, when, deadline, f[4]));
		return 0;
	}
	bool queued = strcmp(f[1], "Q") == 0;
	if (!queued && strcmp(f[1], "X") != 0)
		return -1;
	if (nf != (queued ? 4 : 3) || p != NULL || str_percent_unescape(f[2]) < 0 ||
	    (queued && str_percent_unescape(f[3]) < 0))
		return -1;
	struct srec *r = find_pending(st, f[2]);
	if (r == NULL)
		return -1;
	mark(st, r, queued, queued ? f[3] : NULL);
	return 0;
}

static int read_all(struct schedstate *st, char **data_r, size_t *len_r, struct err *err)
{
	struct buf b;
	buf_init(&b, FILE_MAX);
	char chunk[65536];
	for (off_t off = 0;;) {
		ssize_t r = fsio_pread(st->fd, chunk, sizeof(chunk), off);
		if (r < 0 || (r > 0 && buf_append(&b, chunk, (size_t)r) < 0)) {
			err_setsys(err, ERR_TEMP, "schedstate: read %s", st->path);
			buf_free(&b);
			return -1;
		}
		if (r == 0)
			break;
		off += r;
	}
	*len_r = b.len;
	*data_r = b.data ? buf_steal(&b) : xstrdup("");
	return 0;
}

static int load(struct schedstate *st, struct err *err)
{
	char *data;
	size_t len, bad = 0, lineno = 0;
	if (read_all(st, &data, &len, err) < 0)
		return -1;
	size_t good_end = 0;
	for (char *line = data; line < data + len;) {
		char *nl = memchr(line, '\n', (size_t)(data + len - line));
		if (nl == NULL)
			break;
		*nl = '\0';
		lineno++;
		if (*line && parse_line(st, line) < 0 && ++bad <= WARN_MAX)
			log_warnx("event=schedstate-bad-line path=%s line=%zu", log_q(st->path),
				  lineno);
		good_end = (size_t)(nl + 1 - data);
		line = nl + 1;
	}
	free(data);
	if (good_end < len) {
		/* A crash mid-append: that intent was never fsynced, so its mail
		 * was never queued. */
		log_warnx("event=schedstate-torn path=%s bytes=%zu", log_q(st->path),
			  len - good_end);
		if (ftruncate(st->fd, (off_t)good_end) < 0 || fsync(st->fd) < 0) {
			err_setsys(err, ERR_TEMP, "schedstate: truncate %s", st->path);
			return -1;
		}
	}
	return 0;
}

static int append(struct schedstate *st, const char *line, size_t len, bool sync,
		  struct err *err)
{
	struct stat sb;
	if (fstat(st->fd, &sb) < 0) {
		err_setsys(err, ERR_TEMP, "schedstate: stat %s", st->path);
		return -1;
	}
	if (fsio_write_all(st->fd, line, len) < 0) {
		err_setsys(err, ERR_TEMP, "schedstate: append to %s", st->path);
		if (ftruncate(st->fd, sb.st_size) < 0)
			log_warn("event=schedstate-truncate-failed path=%s", log_q(st->path));
		return -1;
	}
	if (sync && fdatasync(st->fd) < 0) {
		err_setsys(err, ERR_TEMP, "schedstate: fdatasync %s", st->path);
		return -1;
	}
	return 0;
}

static int append_settle(struct schedstate *st, const char *message_id, bool queued,
			 const char *outbox_id, struct err *err)
{
	struct buf b;
	buf_init(&b, LINE_MAX_LEN);
	buf_puts(&b, TAG);
	buf_puts(&b, queued ? "\tQ\t" : "\tX\t");
	str_percent_escape(&b, message_id);
	if (queued) {
		buf_puts(&b, "\t");
		str_percent_escape(&b, outbox_id);
	}
	int rc = buf_puts(&b, "\n") < 0 ? -1 : append(st, b.data, b.len, false, err);
	if (rc < 0 && err->cls == ERR_NONE)
		err_set(err, ERR_TEMP, "schedstate: record too long");
	buf_free(&b);
	return rc;
}

/* ---- settling what a crash left pending ---- */

struct lookup {
	struct schedstate *st;
	size_t pending;
};

static int settle_found(const struct outbox_item *e, void *arg)
{
	struct lookup *lk = arg;
	if (e->message_id == NULL)
		return 0;
	struct srec *r = find_pending(lk->st, e->message_id);
	if (r == NULL)
		return 0;
	struct err err = { 0 };
	mark(lk->st, r, true, e->id);
	if (append_settle(lk->st, r->message_id, true, e->id, &err) < 0)
		log_warnx("event=schedstate-settle-failed error=%s", log_q(err.msg));
	log_info("event=schedstate-recovered path=%s message_id=%s outbox=%s",
		 log_q(lk->st->path), log_q(r->message_id), e->id);
	return --lk->pending == 0;
}

static int settle_pending(struct schedstate *st, struct err *err)
{
	struct lookup lk = { .st = st };
	for (size_t i = 0; i < st->n; i++)
		lk.pending += st->v[i].state == REC_PENDING;
	if (lk.pending == 0)
		return 0;
	static const enum outbox_where areas[] = { OUTBOX_QUEUED, OUTBOX_SENT, OUTBOX_FAILED };
	for (size_t i = 0; i < 3 && lk.pending > 0; i++)
		if (outbox_each(st->sp, areas[i], settle_found, &lk, err) < 0)
			return -1;
	for (size_t i = 0; i < st->n; i++) {
		struct srec *r = &st->v[i];
		if (r->state != REC_PENDING)
			continue;
		log_info("event=schedstate-voided path=%s message_id=%s reason=not-in-outbox",
			 log_q(st->path), log_q(r->message_id));
		mark(st, r, false, NULL);
		if (append_settle(st, r->message_id, false, NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- open, close ---- */

/* SPOOL/state/name opened for appending (made if missing, its name made
 * durable) and locked; never through a symlink. */
static int open_journal(struct schedstate *st, const char *name, struct err *err)
{
	int sfd = spool_area_fd(st->sp, SPOOL_STATE); /* borrowed */
	struct stat sb;
	bool existed = fstatat(sfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	int rc = 0;
	st->fd = openat(sfd, name, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->fd < 0) {
		err_setsys(err, ERR_TEMP, "schedstate: open %s", st->path);
		rc = -1;
	}
	if (rc == 0 && !existed && fsync(sfd) < 0) {
		err_setsys(err, ERR_TEMP, "schedstate: fsync directory of %s", st->path);
		rc = -1;
	}
	if (rc == 0 && flock(st->fd, LOCK_EX) < 0) {
		err_setsys(err, ERR_TEMP, "schedstate: lock %s", st->path);
		rc = -1;
	}
	return rc;
}

int schedstate_open(const struct spool *sp, const char *name, struct schedstate **st_r,
		    struct err *err)
{
	*st_r = NULL;
	if (name == NULL || *name == '\0' || strchr(name, '/') || name[0] == '.') {
		err_set(err, ERR_TEMP, "schedstate: bad name");
		return -1;
	}
	struct schedstate *st = xcalloc(1, sizeof(*st));
	st->sp = sp;
	st->fd = -1;
	st->path = spool_area_shown(sp, SPOOL_STATE, name);
	int rc = open_journal(st, name, err);
	if (rc == 0)
		rc = load(st, err);
	if (rc == 0)
		rc = settle_pending(st, err);
	if (rc < 0) {
		schedstate_close(&st);
		return -1;
	}
	*st_r = st;
	return 0;
}

void schedstate_close(struct schedstate **stp)
{
	struct schedstate *st = *stp;
	if (st == NULL)
		return;
	if (st->fd >= 0)
		close(st->fd); /* releases the lock */
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].key);
		free(st->v[i].message_id);
		free(st->v[i].outbox_id);
	}
	free(st->v);
	free(st->slots);
	free(st->path);
	free(st);
	*stp = NULL;
}

const struct schedstate_rec *schedstate_find(const struct schedstate *st, const char *key)
{
	if (st->nslots == 0 || key == NULL)
		return NULL;
	size_t *s = slot_for(st, key);
	return *s ? &st->v[*s - 1].pub : NULL;
}

void schedstate_each(const struct schedstate *st,
		     int (*fn)(const struct schedstate_rec *r, void *arg), void *arg)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].state == REC_QUEUED && fn(&st->v[i].pub, arg) != 0)
			return;
}

int schedstate_intend(struct schedstate *st, const char *key, time_t when, time_t deadline,
		      const char *message_id, struct err *err)
{
	if (key == NULL || *key == '\0' || message_id == NULL || *message_id == '\0') {
		err_set(err, ERR_TEMP, "schedstate: key and message id are required");
		return -1;
	}
	char w[32], d[32];
	tztime_format_utc(when, w, sizeof(w));
	if (deadline != 0)
		tztime_format_utc(deadline, d, sizeof(d));
	else
		memcpy(d, "-", 2);
	struct buf b;
	buf_init(&b, LINE_MAX_LEN);
	buf_printf(&b, TAG "\tI\t%s\t%s\t", w, d);
	str_percent_escape(&b, message_id);
	buf_puts(&b, "\t");
	buf_puts(&b, key); /* already escaped by schedstate_key */
	int rc = -1;
	if (buf_puts(&b, "\n") < 0 || memchr(key, '\n', strlen(key)) != NULL)
		err_set(err, ERR_TEMP, "schedstate: record too long");
	else
		rc = append(st, b.data, b.len, true, err);
	if (rc == 0)
		sync_pub(add_intent(st, key, when, deadline, message_id));
	buf_free(&b);
	return rc;
}

int schedstate_settle(struct schedstate *st, const char *message_id, bool queued,
		      const char *outbox_id, struct err *err)
{
	struct srec *r = message_id ? find_pending(st, message_id) : NULL;
	if (r == NULL) {
		err_set(err, ERR_TEMP, "schedstate: no pending intent %s",
			message_id ? message_id : "(null)");
		return -1;
	}
	mark(st, r, queued, outbox_id);
	return append_settle(st, message_id, queued, outbox_id, err);
}
