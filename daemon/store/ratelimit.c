/* ratelimit.c — acknowledgements per address per UTC day, kept in
 * SPOOL/state/ratelimit-YYYY-MM-DD: one line per acknowledgement,
 * "ADDRESS" or "ADDRESS<TAB>OUTBOX-ID", appended and fsynced before the
 * acknowledgement is queued, so neither a restart nor a second process
 * (intakectl resend-ack) resets the count.
 *
 * A line with an outbox id counts only while that item exists in the
 * outbox (staged by this daemon, queued, sent or failed), and once per
 * id: an acknowledgement staged by a daemon that was then killed is
 * withdrawn at the next start (outbox_withdraw_staged) and stops
 * counting, so the message it was for, answered again, finds the budget
 * it would have found without the crash (issue 14).
 *
 * Whether a line counts is judged once and remembered until this process
 * removes an outbox item (outbox_removals): a stranger's count reads
 * every acknowledgement of the hour, and looking each up on every
 * message made a first sync quadratic (issue 18). An item another
 * process removes keeps counting here until then: fewer mails, never
 * more. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/address.h"
#include "intaked/fsio.h"
#include "intaked/log.h"
#include "intaked/outbox.h"
#include "intaked/ratelimit.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#define FILE_MAX     (8u * 1024 * 1024)
#define ADDR_MAX     254
#define KEEP_DAYS    7
#define PREFIX       "ratelimit-"

struct rl_entry {
	char *addr;
	char *id;                 /* outbox item, or NULL: counts always */
	signed char counts;       /* 1 yes, 0 no, -1 not judged yet */
};

struct ratelimit {
	const struct spool *sp;   /* files in SPOOL/state, reached by spool_area */
	char day[11];             /* YYYY-MM-DD loaded, "" if none */
	off_t loaded_size;        /* file size when loaded */
	unsigned long judged_at;  /* outbox_removals() the judgements are of */
	struct rl_entry *v;
	size_t n;
};

static void entries_clear(struct ratelimit *rl)
{
	for (size_t i = 0; i < rl->n; i++) {
		free(rl->v[i].addr);
		free(rl->v[i].id);
	}
	free(rl->v);
	rl->v = NULL;
	rl->n = 0;
}

/* The form an address is counted under: the canonical address without
 * its "+tag", lower-case (stranger+1@x and stranger+2@x are one mailbox),
 * and nothing that could break the one-address-a-line file. */
static char *normalize(const char *addr)
{
	char *key = address_sender_key(addr);
	char *s = xstrndup(key, strnlen(key, ADDR_MAX));
	free(key);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7F)
			*p = '_';
	str_lower(s);
	return s;
}

/* One line of the file: "ADDRESS" or "ADDRESS<TAB>OUTBOX-ID". */
static void bump(struct ratelimit *rl, const char *line)
{
	const char *tab = strchr(line, '\t');
	rl->v = xreallocarray(rl->v, rl->n + 1, sizeof(*rl->v));
	rl->v[rl->n].addr = tab ? xstrndup(line, (size_t)(tab - line)) : xstrdup(line);
	rl->v[rl->n].id = tab && tab[1] ? xstrdup(tab + 1) : NULL;
	rl->v[rl->n].counts = -1;
	rl->n++;
}

/* Whether line i counts: no id, or an id that is in the outbox and not
 * counted already by an earlier line. */
static bool judge(const struct ratelimit *rl, size_t i)
{
	const struct rl_entry *e = &rl->v[i];
	if (e->id == NULL)
		return true;
	for (size_t j = 0; j < i; j++)
		if (rl->v[j].id && strcmp(rl->v[j].id, e->id) == 0 &&
		    strcmp(rl->v[j].addr, e->addr) == 0)
			return false;
	return outbox_where(rl->sp, e->id) != OUTBOX_NOWHERE;
}

static bool counts(struct ratelimit *rl, size_t i)
{
	if (rl->v[i].counts < 0)
		rl->v[i].counts = judge(rl, i);
	return rl->v[i].counts;
}

/* The item exists again (staged anew after a crash withdrew it): earlier
 * lines naming it, judged while it was gone, are judged again. */
static void forget_judgements_of(struct ratelimit *rl, const char *id)
{
	for (size_t i = 0; i < rl->n; i++)
		if (rl->v[i].id != NULL && strcmp(rl->v[i].id, id) == 0)
			rl->v[i].counts = -1;
}

/* Judgements made before this process removed an outbox item are redone. */
static void forget_stale_judgements(struct ratelimit *rl)
{
	if (rl->judged_at == outbox_removals())
		return;
	for (size_t i = 0; i < rl->n; i++)
		rl->v[i].counts = -1;
	rl->judged_at = outbox_removals();
}

static void day_of(time_t t, char out[11])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static char *day_file(const char *day)
{
	return xasprintf(PREFIX "%s", day);
}

/* A message naming file in the state area (never opened by this name). */
static char *shown(const struct ratelimit *rl, const char *file)
{
	return spool_area_shown(rl->sp, SPOOL_STATE, file);
}

/* Remove the files of days more than KEEP_DAYS before today. Names sort
 * as dates, so a string comparison is enough. */
static void prune(struct ratelimit *rl, time_t now)
{
	char oldest[11];
	day_of(now - (time_t)KEEP_DAYS * 86400, oldest);
	int sfd = spool_area(rl->sp, SPOOL_STATE, NULL);
	int lfd = sfd < 0 ? -1 : dup(sfd);
	DIR *dp = lfd < 0 ? NULL : fdopendir(lfd);
	if (dp == NULL && lfd >= 0)
		close(lfd);
	struct dirent *de;
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		const char *day = de->d_name + strlen(PREFIX);
		if (strncmp(de->d_name, PREFIX, strlen(PREFIX)) != 0 || strlen(day) != 10 ||
		    strcmp(day, oldest) >= 0)
			continue;
		char *p = shown(rl, de->d_name);
		if (unlinkat(sfd, de->d_name, 0) == 0)
			log_debug("event=ratelimit-pruned file=%s", log_q(p));
		free(p);
	}
	if (dp != NULL)
		closedir(dp);
	if (sfd >= 0)
		close(sfd);
}

/* Make the counts those of now's day, (re)reading its file when the day
 * changed or the file grew behind our back. */
static int load(struct ratelimit *rl, time_t now, struct err *err)
{
	char day[11];
	day_of(now, day);
	int sfd = spool_area(rl->sp, SPOOL_STATE, err);
	if (sfd < 0)
		return -1;
	char *file = day_file(day);
	struct stat st;
	off_t size = fstatat(sfd, file, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_size : 0;
	if (strcmp(day, rl->day) == 0 && size == rl->loaded_size) {
		free(file);
		close(sfd);
		return 0;
	}
	bool new_day = strcmp(day, rl->day) != 0;
	entries_clear(rl);
	rl->day[0] = '\0';
	char *data = NULL;
	size_t len = 0;
	int rc = size > 0 ? fsio_read_at(sfd, file, FILE_MAX, &data, &len, err) : 0;
	free(file);
	close(sfd);
	if (rc < 0)
		return -1;
	for (char *line = data; line != NULL && *line;) {
		char *nl = strchr(line, '\n');
		if (nl == NULL)
			break; /* a torn last line: not fsynced, not counted */
		*nl = '\0';
		if (*line)
			bump(rl, line);
		line = nl + 1;
	}
	free(data);
	memcpy(rl->day, day, sizeof(rl->day));
	rl->loaded_size = (off_t)len;
	if (new_day)
		prune(rl, now);
	return 0;
}

int ratelimit_open(const struct spool *sp, struct ratelimit **rl_r, struct err *err)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	rl->sp = sp;
	int sfd = spool_area(sp, SPOOL_STATE, err);
	if (sfd < 0) {
		ratelimit_close(&rl);
		return -1;
	}
	close(sfd);
	*rl_r = rl;
	return 0;
}

void ratelimit_close(struct ratelimit **rl)
{
	if (*rl == NULL)
		return;
	entries_clear(*rl);
	free(*rl);
	*rl = NULL;
}

int ratelimit_count(struct ratelimit *rl, const char *addr, time_t now)
{
	struct err e;
	if (load(rl, now, &e) < 0) {
		log_warnx("event=ratelimit-unreadable detail=%s", log_q(e.msg));
		return -1;
	}
	forget_stale_judgements(rl);
	char *a = normalize(addr);
	int count = 0;
	for (size_t i = 0; i < rl->n; i++)
		if (strcmp(rl->v[i].addr, a) == 0 && counts(rl, i))
			count++;
	free(a);
	return count;
}

int ratelimit_add(struct ratelimit *rl, const char *addr, time_t now, struct err *err)
{
	return ratelimit_add_for(rl, addr, NULL, now, err);
}

/* Append line to file in SPOOL/state (one write, O_APPEND), fsynced with
 * the directory's name of a new file when sync. */
static int append_line(struct ratelimit *rl, const char *file, const char *line, bool sync,
		       struct err *err)
{
	int sfd = spool_area(rl->sp, SPOOL_STATE, err);
	if (sfd < 0)
		return -1;
	char *p = shown(rl, file);
	int rc = -1;
	int fd = openat(sfd, file, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "open %s", p);
		goto out;
	}
	size_t len = strlen(line);
	ssize_t w = fsio_write(fd, line, len); /* O_APPEND: one write, one line */
	if (w != (ssize_t)len || (sync && fsync(fd) < 0)) {
		err_setsys(err, ERR_TEMP, "append %s", p);
		close(fd);
		goto out;
	}
	close(fd);
	/* The first line of the day created the file: make its name durable. */
	if (sync && rl->loaded_size == 0 && fsync(sfd) < 0) {
		err_setsys(err, ERR_TEMP, "fsync directory of %s", p);
		goto out;
	}
	rc = 0;
out:
	free(p);
	close(sfd);
	return rc;
}

int ratelimit_add_for(struct ratelimit *rl, const char *addr, const char *outbox_id,
		      time_t now, struct err *err)
{
	if (load(rl, now, err) < 0)
		return -1;
	char *a = normalize(addr);
	char *line = outbox_id ? xasprintf("%s\t%s\n", a, outbox_id) : xasprintf("%s\n", a);
	char *file = day_file(rl->day);
	/* A line naming an item is made durable with the item (ratelimit.h). */
	int rc = append_line(rl, file, line, outbox_id == NULL, err);
	if (rc == 0) {
		size_t len = strlen(line);
		line[len - 1] = '\0';
		bump(rl, line);
		rl->loaded_size += (off_t)len;
		if (outbox_id != NULL)
			forget_judgements_of(rl, outbox_id);
	}
	free(a);
	free(line);
	free(file);
	return rc;
}
