/* ledger.c — append-only journal of what was filed (SPOOL/state/ledger).
 *
 * One record a line, tab-separated, version tag first:
 *   L1 ID RAW_SHA256 MESSAGE_ID MAILBOX UIDVALIDITY UID RELPATH
 * Text fields are percent-escaped ('%', tab, CR, LF and other control
 * bytes), so a line is always one line; an absent Message-ID is an empty
 * field. A crash mid-append leaves a last line without '\n': it is cut
 * away on open (its entry was never committed: the record comes first).
 * Lookups go through two open-addressing hash tables of record indexes;
 * several records may share a key (the same message seen in two folders),
 * a probe checks them all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/fsio.h"
#include "intaked/ledger.h"
#include "intaked/metadata.h"
#include "intaked/log.h"
#include "intaked/spool.h"
#include "intaked/util.h"

#define LEDGER_TAG "L1"
#define LEDGER_FIELDS 8
/* A record is well under 2 KiB; anything longer is damage. */
#define LEDGER_LINE_MAX (64u * 1024)
/* Damaged lines are reported one by one up to this many, then counted. */
#define LEDGER_WARN_MAX 10

struct rec {
	char *mem;                /* one allocation holding the strings below */
	const char *id, *sha, *message_id, *mailbox, *relpath;
	uint32_t uidvalidity, uid;
	bool present;             /* entry seen committed: cached, it stays */
};

/* A slot holds record index + 1 (0: empty) and 32 bits of the key's hash,
 * so probing and growing never touch the records. Load factor <= 1/2. */
struct slot {
	uint32_t idx1;
	uint32_t hash;
};

struct table {
	struct slot *slots;
	size_t cap;               /* a power of two */
	size_t used;
};

struct ledger {
	const struct spool *sp;   /* borrowed */
	char *path;
	int fd;
	struct rec *recs;
	size_t n, cap;
	struct table by_sha, by_uid;
};

/* ---- hashing ---- */

static uint64_t mix64(uint64_t h)
{
	/* splitmix64's finalizer: spreads every input bit over the slot index */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL; /* FNV-1a */
	return h;
}

static uint64_t hash_sha(const char *sha)
{
	return mix64(hash_str(0xcbf29ce484222325ULL, sha));
}

static uint64_t hash_uid(const char *mailbox, uint32_t uidvalidity, uint32_t uid)
{
	uint64_t h = hash_str(0xcbf29ce484222325ULL, mailbox);
	return mix64(h ^ mix64(((uint64_t)uidvalidity << 32) | uid));
}

static void table_put(struct table *t, struct slot in)
{
	size_t mask = t->cap - 1;
	size_t i = in.hash & mask;
	while (t->slots[i].idx1 != 0)
		i = (i + 1) & mask;
	t->slots[i] = in;
	t->used++;
}

static void table_add(struct table *t, size_t idx, uint64_t hash)
{
	if ((t->used + 1) * 2 > t->cap) {
		struct table bigger = { .cap = t->cap ? t->cap * 2 : 1024 };
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (size_t i = 0; i < t->cap; i++)
			if (t->slots[i].idx1 != 0)
				table_put(&bigger, t->slots[i]);
		free(t->slots);
		*t = bigger;
	}
	table_put(t, (struct slot){ .idx1 = (uint32_t)(idx + 1), .hash = (uint32_t)hash });
}

/* Calls fn on each record whose key hash matches, until it returns true;
 * returns that record or NULL. */
static struct rec *table_find(const struct table *t, struct rec *recs, uint64_t hash,
			      bool (*fn)(struct rec *r, const void *key), const void *key)
{
	if (t->cap == 0)
		return NULL;
	size_t mask = t->cap - 1;
	uint32_t h = (uint32_t)hash;
	for (size_t i = h & mask; t->slots[i].idx1 != 0; i = (i + 1) & mask) {
		struct rec *r = &recs[t->slots[i].idx1 - 1];
		if (t->slots[i].hash == h && fn(r, key))
			return r;
	}
	return NULL;
}

/* ---- records ---- */

static void add_record(struct ledger *l, const char *id, const char *sha, const char *message_id,
		       const char *mailbox, uint32_t uidvalidity, uint32_t uid, const char *relpath)
{
	const char *parts[] = { id, sha, message_id ? message_id : "", mailbox ? mailbox : "",
				relpath };
	size_t lens[5], total = 0;
	for (size_t i = 0; i < 5; i++)
		total += (lens[i] = strlen(parts[i])) + 1;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->recs = xreallocarray(l->recs, l->cap, sizeof(*l->recs));
	}
	struct rec *r = &l->recs[l->n];
	r->mem = xmalloc(total);
	const char **dst[] = { &r->id, &r->sha, &r->message_id, &r->mailbox, &r->relpath };
	char *p = r->mem;
	for (size_t i = 0; i < 5; i++) {
		memcpy(p, parts[i], lens[i] + 1);
		*dst[i] = p;
		p += lens[i] + 1;
	}
	if (*r->message_id == '\0')
		r->message_id = NULL;
	r->uidvalidity = uidvalidity;
	r->uid = uid;
	r->present = false;
	table_add(&l->by_sha, l->n, hash_sha(r->sha));
	/* uid 0 does not exist in IMAP: such records came from elsewhere. */
	if (uid != 0)
		table_add(&l->by_uid, l->n, hash_uid(r->mailbox, uidvalidity, uid));
	l->n++;
}

/* Parse one line (without '\n', modified in place). -1 if malformed. */
static int parse_line(struct ledger *l, char *line)
{
	char *f[LEDGER_FIELDS];
	size_t nf = 0;
	for (char *p = line;;) {
		if (nf == LEDGER_FIELDS)
			return -1; /* more fields than this version has */
		f[nf++] = p;
		char *tab = strchr(p, '\t');
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	if (nf != LEDGER_FIELDS || strcmp(f[0], LEDGER_TAG) != 0)
		return -1;
	for (size_t i = 1; i < LEDGER_FIELDS; i++)
		if (str_percent_unescape(f[i]) < 0)
			return -1;
	unsigned long uidvalidity, uid;
	if (*f[1] == '\0' || *f[2] == '\0' || !spool_relpath_valid(f[7]) ||
	    parse_ulong(f[5], UINT32_MAX, &uidvalidity) < 0 ||
	    parse_ulong(f[6], UINT32_MAX, &uid) < 0)
		return -1;
	add_record(l, f[1], f[2], *f[3] ? f[3] : NULL, f[4], (uint32_t)uidvalidity,
		   (uint32_t)uid, f[7]);
	return 0;
}

struct loader {
	struct buf line;
	bool overlong;
	size_t lineno, bad;
};

static void loader_line_done(struct ledger *l, struct loader *ld)
{
	ld->lineno++;
	if (ld->overlong || ld->line.data == NULL || parse_line(l, ld->line.data) < 0) {
		if (++ld->bad <= LEDGER_WARN_MAX)
			log_warnx("event=ledger-bad-line path=%s line=%zu", log_q(l->path),
				  ld->lineno);
	}
	ld->line.len = 0;
	ld->overlong = false;
}

/* Read every complete line; *good_end_r is the offset after the last '\n'. */
static int ledger_load(struct ledger *l, off_t *good_end_r, off_t *size_r, struct err *err)
{
	struct loader ld = {0};
	char chunk[65536];
	off_t off = 0, good_end = 0;
	buf_init(&ld.line, LEDGER_LINE_MAX);
	for (;;) {
		ssize_t r = fsio_pread(l->fd, chunk, sizeof(chunk), off);
		if (r < 0) {
			err_setsys(err, ERR_TEMP, "ledger: read %s", l->path);
			buf_free(&ld.line);
			return -1;
		}
		if (r == 0)
			break;
		for (const char *p = chunk, *end = chunk + r; p < end; ) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);
			if (!ld.overlong && buf_append(&ld.line, p, n) < 0)
				ld.overlong = true;
			if (nl != NULL) {
				loader_line_done(l, &ld);
				good_end = off + (nl - chunk) + 1;
			}
			p += n + (nl != NULL);
		}
		off += r;
	}
	if (ld.bad > LEDGER_WARN_MAX)
		log_warnx("event=ledger-bad-lines path=%s count=%zu", log_q(l->path), ld.bad);
	buf_free(&ld.line);
	*good_end_r = good_end;
	*size_r = off;
	return 0;
}

/* ---- open, close ---- */

/* Cut a torn last line (a crash mid-append) so the next record starts on
 * a line of its own. */
static int cut_torn_tail(struct ledger *l, off_t good_end, off_t size, struct err *err)
{
	if (size == good_end)
		return 0;
	log_warnx("event=ledger-torn path=%s bytes=%lld", log_q(l->path),
		  (long long)(size - good_end));
	if (ftruncate(l->fd, good_end) < 0 || fsync(l->fd) < 0) {
		err_setsys(err, ERR_TEMP, "ledger: truncate %s", l->path);
		return -1;
	}
	return 0;
}

int ledger_open(const struct spool *sp, struct ledger **l_r, struct err *err)
{
	*l_r = NULL;
	struct ledger *l = xcalloc(1, sizeof(*l));
	l->sp = sp;
	l->path = spool_area_shown(sp, SPOOL_STATE, "ledger");
	l->fd = openat(spool_area_fd(sp, SPOOL_STATE), "ledger",
		       O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (l->fd < 0) {
		err_setsys(err, ERR_TEMP, "ledger: open %s", l->path);
		ledger_close(&l);
		return -1;
	}
	/* Held while reading too: a torn line seen under the lock is a
	 * crash's, not another process's append in progress. */
	off_t good_end, size;
	int rc = -1;
	if (flock(l->fd, LOCK_EX) < 0)
		err_setsys(err, ERR_TEMP, "ledger: lock %s", l->path);
	else if (ledger_load(l, &good_end, &size, err) == 0)
		rc = cut_torn_tail(l, good_end, size, err);
	flock(l->fd, LOCK_UN);
	if (rc < 0) {
		ledger_close(&l);
		return -1;
	}
	log_debug("event=ledger-open path=%s records=%zu", log_q(l->path), l->n);
	*l_r = l;
	return 0;
}

void ledger_close(struct ledger **lp)
{
	struct ledger *l = *lp;
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	for (size_t i = 0; i < l->n; i++)
		free(l->recs[i].mem);
	free(l->recs);
	free(l->by_sha.slots);
	free(l->by_uid.slots);
	free(l->path);
	free(l);
	*lp = NULL;
}

size_t ledger_count(const struct ledger *l)
{
	return l->n;
}

/* ---- append ---- */

static int format_record(const struct ledger_record *rec, struct buf *b)
{
	const char *text[] = { rec->id, rec->raw_sha256, rec->message_id, rec->mailbox };
	if (buf_puts(b, LEDGER_TAG) < 0)
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (buf_puts(b, "\t") < 0 || str_percent_escape(b, text[i]) < 0)
			return -1;
	if (buf_printf(b, "\t%u\t%u\t", (unsigned)rec->uidvalidity, (unsigned)rec->uid) < 0 ||
	    str_percent_escape(b, rec->relpath) < 0 || buf_puts(b, "\n") < 0)
		return -1;
	return 0;
}

/* Write whole lines under the lock; a failed write is cut back off so the
 * file never keeps half a record. */
static int append_line(struct ledger *l, const char *line, size_t len, struct err *err)
{
	struct stat st;
	int rc = -1;
	if (flock(l->fd, LOCK_EX) < 0) {
		err_setsys(err, ERR_TEMP, "ledger: lock %s", l->path);
		return -1;
	}
	if (fstat(l->fd, &st) < 0) {
		err_setsys(err, ERR_TEMP, "ledger: stat %s", l->path);
	} else if (fsio_write_all(l->fd, line, len) < 0) {
		err_setsys(err, ERR_TEMP, "ledger: append to %s", l->path);
		if (ftruncate(l->fd, st.st_size) < 0)
			log_warn("event=ledger-truncate-failed path=%s", log_q(l->path));
	} else if (fdatasync(l->fd) < 0) {
		err_setsys(err, ERR_TEMP, "ledger: fdatasync %s", l->path);
	} else {
		rc = 0;
	}
	flock(l->fd, LOCK_UN);
	return rc;
}

static bool record_complete(const struct ledger_record *rec)
{
	return rec->id != NULL && *rec->id != '\0' && rec->raw_sha256 != NULL &&
	       *rec->raw_sha256 != '\0' && spool_relpath_valid(rec->relpath);
}

int ledger_append_many(struct ledger *l, const struct ledger_record *recs, size_t n,
		       struct err *err)
{
	for (size_t i = 0; i < n; i++)
		if (!record_complete(&recs[i])) {
			err_set(err, ERR_TEMP, "ledger: incomplete record (id, raw_sha256, relpath)");
			return -1;
		}
	if (n == 0)
		return 0;
	if (l->n >= UINT32_MAX - 1 - n) {
		err_set(err, ERR_TEMP, "ledger: %s is full", l->path);
		return -1;
	}
	struct buf b;
	buf_init(&b, LEDGER_LINE_MAX * n);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t start = b.len;
		if (format_record(&recs[i], &b) < 0 || b.len - start > LEDGER_LINE_MAX) {
			err_set(err, ERR_TEMP, "ledger: record longer than %u bytes", LEDGER_LINE_MAX);
			rc = -1;
		}
	}
	if (rc == 0)
		rc = append_line(l, b.data, b.len, err);
	buf_free(&b);
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct ledger_record *rec = &recs[i];
		add_record(l, rec->id, rec->raw_sha256,
			   rec->message_id && *rec->message_id ? rec->message_id : NULL,
			   rec->mailbox, rec->uidvalidity, rec->uid, rec->relpath);
	}
	return 0;
}

int ledger_append(struct ledger *l, const struct ledger_record *rec, struct err *err)
{
	return ledger_append_many(l, rec, 1, err);
}

/* ---- lookups ---- */

/* The record counts only if its entry was committed: the directory with
 * its metadata.json. Positive answers are cached (entries are never
 * removed by the daemon); negative ones are not (a commit may follow). */
/* A record counts only if its entry exists *and* holds the same bytes: a
 * crash between the append and the rename leaves a record whose vN path
 * may later be taken by another message of the same submitter, and that
 * must not make this message look filed. (A duplicate's record names the
 * entry of identical bytes, so it matches too.) */
static bool rec_present(const struct spool *sp, struct rec *r)
{
	struct metadata *md = NULL;
	struct err err = { 0 };

	if (r->present)
		return true;
	if (!spool_entry_exists(sp, r->relpath) ||
	    spool_load_metadata(sp, r->relpath, &md, &err) < 0)
		return false;
	r->present = md->raw_sha256 != NULL && strcmp(md->raw_sha256, r->sha) == 0;
	metadata_free(&md);
	return r->present;
}

struct sha_key {
	const struct spool *sp;
	const char *sha;
};

static bool match_sha(struct rec *r, const void *key)
{
	const struct sha_key *k = key;
	return strcmp(r->sha, k->sha) == 0 && rec_present(k->sp, r);
}

struct uid_key {
	const struct spool *sp;
	const char *mailbox;
	uint32_t uidvalidity, uid;
};

static bool match_uid(struct rec *r, const void *key)
{
	const struct uid_key *k = key;
	return r->uid == k->uid && r->uidvalidity == k->uidvalidity &&
	       strcmp(r->mailbox, k->mailbox) == 0 && rec_present(k->sp, r);
}

struct committed_key {
	const char *sha, *relpath;
};

/* Marks and goes on: every record of these bytes at that path. */
static bool mark_committed(struct rec *r, const void *key)
{
	const struct committed_key *k = key;
	if (strcmp(r->sha, k->sha) == 0 && strcmp(r->relpath, k->relpath) == 0)
		r->present = true;
	return false;
}

void ledger_note_committed(struct ledger *l, const char *raw_sha256, const char *relpath)
{
	struct committed_key k = { raw_sha256, relpath };
	if (raw_sha256 != NULL && relpath != NULL)
		table_find(&l->by_sha, l->recs, hash_sha(raw_sha256), mark_committed, &k);
}

const char *ledger_find_sha(struct ledger *l, const char *raw_sha256)
{
	if (raw_sha256 == NULL)
		return NULL;
	struct sha_key k = { l->sp, raw_sha256 };
	struct rec *r = table_find(&l->by_sha, l->recs, hash_sha(raw_sha256), match_sha, &k);
	return r ? r->relpath : NULL;
}

const char *ledger_find_uid(struct ledger *l, const char *mailbox, uint32_t uidvalidity,
			    uint32_t uid)
{
	if (mailbox == NULL)
		return NULL;
	struct uid_key k = { l->sp, mailbox, uidvalidity, uid };
	struct rec *r = table_find(&l->by_uid, l->recs, hash_uid(mailbox, uidvalidity, uid),
				   match_uid, &k);
	return r ? r->relpath : NULL;
}
