/* outbox.c — the durable queue of outgoing mail. An item is a directory
 * built in outbox/tmp/ID and renamed whole into queue/, later into sent/ or
 * failed/ (OpenSMTPD's queue_fs does the same): a crash leaves an item
 * complete in one place, or only a leftover in tmp/ that is swept. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>


#include "intaked/backoff.h"
#include "intaked/fault.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/mailer.h"
#include "outbox_impl.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#define MESSAGE_MAX    (64u * 1024 * 1024)
#define ITEMS_MAX      10000      /* read per flush; the rest waits */
#define GIVE_UP_AFTER  (3 * 86400)
#define BACKOFF_MIN    60   /* 1 min doubling to 1 h (backoff.h) */
#define BACKOFF_MAX    3600
#define TMP_STALE      3600       /* a tmp/ item this old was abandoned */
#define SETTLE_EVERY   32         /* deliveries made durable together (settle_sent) */

void outbox_item_free(struct outbox_item *it)
{
	free(it->id);
	free(it->kind);
	free(it->ref);
	free(it->from);
	free(it->rcpt);
	free(it->message_id);
	free(it->last_error);
	memset(it, 0, sizeof(*it));
}

/* --- delivery ------------------------------------------------------------- */


/* Rewrite the envelope of queue/NAME, then move it to dest/ID. */
static int finish_item(const struct outbox_dirs *d, const char *name, int dest,
		       const struct outbox_item *it, const char *state, time_t now,
		       struct err *err)
{
	char *env = outbox_envelope_json(it, state, now);
	int rc = outbox_envelope_save(d->queue, name, env, err);
	if (rc == 0 && renameat(d->queue, name, dest, it->id) < 0) {
		err_setsys(err, ERR_TEMP, "rename outbox/queue/%s", name);
		rc = -1;
	}
	if (rc == 0 && (fsync(dest) < 0 || fsync(d->queue) < 0)) {
		err_setsys(err, ERR_TEMP, "fsync outbox");
		rc = -1;
	}
	free(env);
	return rc;
}

static int defer_item(const struct outbox_dirs *d, const char *name,
		      const struct outbox_item *it, struct err *err)
{
	char *env = outbox_envelope_json(it, "queued", 0);
	int rc = outbox_envelope_save(d->queue, name, env, err);
	free(env);
	return rc;
}

struct queued {
	char *dir;                /* its name in queue/ */
	struct outbox_item it;
	char *state;
	bool broken;              /* envelope unreadable */
	char *error;
};

static int queued_cmp(const void *a, const void *b)
{
	const struct queued *x = a, *y = b;
	if (x->it.created != y->it.created)
		return x->it.created < y->it.created ? -1 : 1;
	return strcmp(x->dir, y->dir);
}

/* name in dirfd is a directory of ours; a symlink (or anything else) was
 * planted and is left alone, with a warning. */
static bool real_dir(const struct outbox_dirs *d, int dirfd, const char *name)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		return true;
	char *shown = outbox_shown(d, dirfd, name);
	log_warnx("event=outbox-not-an-item path=%s detail=\"not a directory; symlinks in "
		  "the spool are not followed\"", log_q(shown));
	free(shown);
	return false;
}

/* Every item in queue/, oldest first. Unreadable envelopes come back as
 * broken items (their id is the directory name). */
static size_t list_queue(const struct outbox_dirs *d, struct queued **items_r)
{
	struct queued *items = NULL;
	size_t n = 0;
	DIR *dp = outbox_opendir(d->queue);
	struct dirent *de;
	while (dp != NULL && n < ITEMS_MAX && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || !real_dir(d, d->queue, de->d_name))
			continue;
		items = xreallocarray(items, n + 1, sizeof(*items));
		struct queued *q = &items[n++];
		memset(q, 0, sizeof(*q));
		q->dir = xstrdup(de->d_name);
		struct err e = { 0 };
		if (outbox_envelope_load(d->queue, q->dir, &q->it, &q->state, &e) < 0) {
			q->broken = true;
			q->error = xstrdup(e.msg);
			q->it.id = xstrdup(de->d_name);
		} else if (strcmp(q->it.id, de->d_name) != 0) {
			free(q->it.id); /* the directory name is authoritative */
			q->it.id = xstrdup(de->d_name);
		}
	}
	if (dp != NULL)
		closedir(dp);
	if (n > 1)
		qsort(items, n, sizeof(*items), queued_cmp);
	*items_r = items;
	return n;
}

static void queued_free(struct queued *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].dir);
		free(items[i].state);
		free(items[i].error);
		outbox_item_free(&items[i].it);
	}
	free(items);
}

/* Remove build directories in tmp/ abandoned by a crash (old enough that
 * no other process can still be writing them). Against the real clock,
 * which is what set their mtime: never the --now of a test run. */
static void sweep_tmp(const struct outbox_dirs *d)
{
	time_t now = time(NULL);
	DIR *dp = outbox_opendir(d->tmp);
	struct dirent *de;
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(d->tmp, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now - st.st_mtime > TMP_STALE) {
			char *p = outbox_shown(d, d->tmp, de->d_name);
			log_info("event=outbox-sweep dir=%s", log_q(p));
			free(p);
			outbox_note_removal();
			fsio_rmtree_at(d->tmp, de->d_name);
		}
	}
	if (dp != NULL)
		closedir(dp);
}

/* One flusher at a time (the daemon, or intakectl digest --send): a mail
 * must not be sent by two processes at once. Returns the lock fd, -2 when
 * another process holds it, -1 on error. */
static int take_lock(const struct outbox_dirs *d, struct err *err)
{
	int fd = openat(d->root, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "outbox lock");
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;
		err_setsys(err, ERR_TEMP, "outbox lock");
		close(fd);
		return busy ? -2 : -1;
	}
	return fd;
}

struct flush {
	const struct outbox_dirs *d;
	struct queued *settling[SETTLE_EVERY]; /* delivered, still in queue/ */
	size_t nsettling;
	const struct smtp_config *sc;
	const char *token;
	struct mailer *m;
	unsigned in_session;        /* messages sent through m so far */
	time_t now;
	outbox_event_fn fn;
	void *arg;
	struct outbox_stats *st;
};

static void event(struct flush *f, struct queued *q, const char *state, const char *detail)
{
	log_info("event=outbox-%s id=%s kind=%s rcpt=%s attempts=%d%s%s", state, q->it.id,
		 log_q(q->it.kind), log_q(q->it.rcpt), q->it.attempts,
		 detail ? " detail=" : "", detail ? log_q(detail) : "");
	if (f->fn)
		f->fn(&q->it, state, detail, f->arg);
}

static int fail_item(struct flush *f, struct queued *q, const char *reason, struct err *err)
{
	free(q->it.last_error);
	q->it.last_error = xstrdup(reason);
	if (finish_item(f->d, q->dir, f->d->failed, &q->it, "failed", f->now, err) < 0)
		return -1;
	f->st->failed++;
	event(f, q, "failed", reason);
	return 0;
}

/* Delivered: its "sent" envelope written aside, the move left to
 * settle_sent. */
static int stage_sent(struct flush *f, struct queued *q, struct err *err)
{
	char *env = outbox_envelope_json(&q->it, "sent", f->now);
	int rc = outbox_envelope_stage(f->d->queue, q->dir, env, err);
	free(env);
	if (rc == 0)
		f->settling[f->nsettling++] = q;
	return rc;
}

static int syncfs_outbox(const struct outbox_dirs *d, struct err *err)
{
	if (syncfs(d->root) == 0)
		return 0;
	err_setsys(err, ERR_TEMP, "syncfs outbox");
	return -1;
}

/* Make the delivered items' records durable and move them to sent/: a
 * syncfs makes what was written aside durable (their envelopes, the
 * caller's records), renames put it in place, a second syncfs makes that
 * durable before the moves, a third the moves. Three syncfs for up to
 * SETTLE_EVERY deliveries instead of six fsyncs each (issue 18). A crash
 * in between leaves an item in queue/ saying "queued" (sent once more,
 * which is allowed) or "sent" (moved by the next flush); never an item
 * in sent/ whose record still says queued. */
static int settle_sent(struct flush *f, struct err *err)
{
	const struct outbox_dirs *d = f->d;
	int rc = f->nsettling == 0 ? 0 : syncfs_outbox(d, err);
	for (size_t i = 0; i < f->nsettling && rc == 0; i++) {
		struct queued *q = f->settling[i];
		rc = outbox_envelope_commit(d->queue, q->dir, err);
		if (rc == 0 && f->fn)
			f->fn(&q->it, "commit", NULL, f->arg);
	}
	if (rc == 0 && f->nsettling > 0)
		rc = syncfs_outbox(d, err);
	for (size_t i = 0; i < f->nsettling && rc == 0; i++) {
		struct queued *q = f->settling[i];
		if (renameat(d->queue, q->dir, d->sent, q->it.id) < 0) {
			err_setsys(err, ERR_TEMP, "rename outbox/queue/%s", q->dir);
			rc = -1;
		}
	}
	if (rc == 0 && f->nsettling > 0)
		rc = syncfs_outbox(d, err);
	f->nsettling = 0;
	return rc;
}

/* A session ends after sc->session_max messages (servers end long ones
 * themselves, in the middle of a message), and after any failure: the
 * next message starts on a clean connection. */
static void session_count(struct flush *f, bool ok)
{
	if (!ok || ++f->in_session >= (f->sc->session_max ? f->sc->session_max : 100)) {
		mailer_close(&f->m);
		f->in_session = 0;
	}
}

/* Delivered, then a crash before the move: tell the caller, who may
 * never have heard of it, and move it. */
static int recover_sent(struct flush *f, struct queued *q, struct err *err)
{
	event(f, q, "sent", "recovered after a crash");
	if (stage_sent(f, q, err) < 0)
		return -1;
	f->st->sent++;
	return f->nsettling == SETTLE_EVERY ? settle_sent(f, err) : 0;
}

/* Send one due item. Returns 0, or -1 when the batch must stop (err set). */
static int deliver(struct flush *f, struct queued *q, struct err *err)
{
	char *msg = NULL;
	size_t len;
	struct err e = { 0 };
	int ifd = outbox_item_dir(f->d->queue, q->dir);
	int rc = ifd < 0 ? -1 : fsio_read_at(ifd, "message.eml", MESSAGE_MAX, &msg, &len, &e);
	if (ifd < 0)
		err_setsys(&e, ERR_TEMP, "open %s", q->dir);
	else
		close(ifd);
	if (rc < 0)
		return fail_item(f, q, e.msg, err);
	if (f->m == NULL && mailer_open(f->sc, f->token, &f->m, err) < 0) {
		free(msg);
		return -1;
	}
	rc = mailer_send(f->m, q->it.from, q->it.rcpt, msg, len, &e);
	free(msg);
	bool failed_transport = rc < 0 && mailer_failed_transport(f->m);
	session_count(f, rc == 0);
	q->it.attempts++;
	if (rc == 0) {
		fault_point("after-smtp");
		/* Tell the caller first: a crash before the move below then
		 * means one more delivery (allowed), never a record that still
		 * says "queued" for a mail that went out. */
		event(f, q, "sent", NULL);
		if (stage_sent(f, q, err) < 0)
			return -1;
		f->st->sent++;
		return f->nsettling == SETTLE_EVERY ? settle_sent(f, err) : 0;
	}
	if (e.cls == ERR_MESSAGE)
		return fail_item(f, q, e.msg, err);
	q->it.next_attempt = f->now + backoff_next(BACKOFF_MIN, BACKOFF_MAX, q->it.attempts);
	free(q->it.last_error);
	q->it.last_error = xstrdup(e.msg);
	if (defer_item(f->d, q->dir, &q->it, err) < 0)
		return -1;
	f->st->deferred++;
	event(f, q, "deferred", e.msg);
	if (failed_transport) {
		/* The server is down or refuses us (or sendmail fails): the
		 * others would fail the same way. They keep their schedule. */
		*err = e;
		if (err->cls != ERR_AUTH)
			err->cls = ERR_TEMP;
		return -1;
	}
	return 0;
}

static void note_pending(struct outbox_stats *st, time_t next)
{
	if (st->next_attempt == 0 || next < st->next_attempt)
		st->next_attempt = next;
}

/* Count the items left in the queue after a flush, and the earliest
 * next attempt among them. */
static void count_left(const struct outbox_dirs *d, struct outbox_stats *st,
		       struct queued *items, size_t n, time_t now)
{
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (fstatat(d->queue, items[i].dir, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		st->queued++;
		time_t next = items[i].it.next_attempt;
		note_pending(st, next > now ? next : now);
	}
}

int outbox_flush(const struct spool *sp, const struct smtp_config *sc,
		 const char *access_token, time_t now, outbox_event_fn fn, void *arg,
		 struct outbox_stats *st, struct err *err)
{
	struct outbox_stats local;
	st = st ? st : &local;
	memset(st, 0, sizeof(*st));
	struct outbox_dirs d;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	struct queued *items = NULL;
	size_t n = 0;
	int rc = 0;
	int lock = take_lock(&d, err);
	if (lock == -2) {
		log_info("event=outbox-busy detail=\"another process is flushing\"");
		goto out;
	}
	if (lock < 0) {
		rc = -1;
		goto out;
	}
	sweep_tmp(&d);
	n = list_queue(&d, &items);
	struct flush f = { .d = &d, .sc = sc, .token = access_token, .now = now, .fn = fn,
			   .arg = arg, .st = st };
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct queued *q = &items[i];
		if (q->broken) {
			rc = fail_item(&f, q, q->error, err);
		} else if (q->state != NULL && strcmp(q->state, "sent") == 0) {
			rc = recover_sent(&f, q, err);
		} else if (now - q->it.created >= GIVE_UP_AFTER) {
			char *why = q->it.last_error ?
				xasprintf("undelivered for 3 days; last error: %s", q->it.last_error) :
				xstrdup("undelivered for 3 days");
			rc = fail_item(&f, q, why, err);
			free(why);
		} else if (q->it.next_attempt <= now) {
			rc = deliver(&f, q, err);
		}
	}
	mailer_close(&f.m);
	struct err serr = { 0 };
	if (settle_sent(&f, rc == 0 ? err : &serr) < 0)
		rc = -1;
	count_left(&d, st, items, n, now);
	close(lock);
out:
	queued_free(items, n);
	outbox_dirs_free(&d);
	return rc;
}

/* --- status ---------------------------------------------------------------- */

static unsigned count_entries(int dirfd)
{
	unsigned n = 0;
	DIR *dp = outbox_opendir(dirfd);
	struct dirent *de;
	while (dp != NULL && (de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (dp != NULL)
		closedir(dp);
	return n;
}

int outbox_stat(const struct spool *sp, struct outbox_stats *st, struct err *err)
{
	memset(st, 0, sizeof(*st));
	struct outbox_dirs d;
	if (outbox_dirs_open(sp, &d, err) < 0)
		return -1;
	struct queued *items;
	size_t n = list_queue(&d, &items);
	for (size_t i = 0; i < n; i++) {
		st->queued++;
		if (items[i].it.attempts > 0)
			st->deferred++;
		if (!items[i].broken)
			note_pending(st, items[i].it.next_attempt);
	}
	queued_free(items, n);
	st->sent = count_entries(d.sent);
	st->failed = count_entries(d.failed);
	outbox_dirs_free(&d);
	return 0;
}

/* --- for outbox_admin.c (outbox_impl.h) ----------------------------------- */

int outbox_take_lock(const struct outbox_dirs *d, struct err *err)
{
	return take_lock(d, err);
}
