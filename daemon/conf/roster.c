/* roster.c — the roster CSV (RFC 4180), member slugs and address matching. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "intaked/address.h"
#include "intaked/confval.h"
#include "intaked/fsio.h"
#include "intaked/roster.h"

#define ROSTER_MAX_BYTES (4u << 20)
#define ROSTER_MAX_MEMBERS 10000
#define ROSTER_MAX_FIELD 4096
#define SLUG_MAX 60

/* ---- CSV ---------------------------------------------------------------- */

struct csv {
	const char *name;       /* for messages */
	const char *p, *end;
	int line;               /* physical line of p */
};

static void csv_push_field(struct strlist *fields, struct buf *field)
{
	strlist_push(fields, field->data ? field->data : "");
	buf_free(field);
	buf_init(field, ROSTER_MAX_FIELD);
}

/* A quoted field: p is after the opening quote. */
static int csv_quoted(struct csv *c, struct buf *field, int *line_r, struct err *err)
{
	for (;;) {
		if (c->p >= c->end) {
			err_set(err, ERR_CONFIG, "%s:%d: unterminated quoted field", c->name, *line_r);
			return -1;
		}
		char ch = *c->p++;
		if (ch == '"') {
			if (c->p < c->end && *c->p == '"') {
				c->p++;
			} else {
				return 0;
			}
		} else if (ch == '\n') {
			c->line++;
		}
		if (buf_append(field, &ch, 1) < 0) {
			err_set(err, ERR_CONFIG, "%s:%d: field too long", c->name, *line_r);
			return -1;
		}
	}
}

/* Past blank lines and # comments; false at the end of the file. */
static bool csv_skip_blank_lines(struct csv *c)
{
	for (;;) {
		if (c->p >= c->end)
			return false;
		const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
		const char *eol = nl ? nl : c->end;
		size_t blanks = 0;
		while (c->p + blanks < eol && strchr(" \t\r", c->p[blanks]) != NULL)
			blanks++;
		if (c->p + blanks < eol && *c->p != '#')
			return true;
		c->p = nl ? nl + 1 : c->end;
		c->line++;
	}
}

/* One record into fields. Returns 1, 0 at the end, -1 on error. Blank lines
 * and lines starting with '#' are skipped (not RFC 4180, but what people
 * write in hand-kept lists). *line_r: where the record starts. */
static int csv_next(struct csv *c, struct strlist *fields, int *line_r, struct err *err)
{
	struct buf field;
	if (!csv_skip_blank_lines(c))
		return 0;
	*line_r = c->line;
	buf_init(&field, ROSTER_MAX_FIELD);
	bool quoted_done = false;
	for (;;) {
		char ch = c->p < c->end ? *c->p : '\n';
		if (ch == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
			c->p++, ch = '\n';
		if (ch == '\n' || ch == ',') {
			if (c->p < c->end)
				c->p++;
			csv_push_field(fields, &field);
			quoted_done = false;
			if (ch == '\n') {
				c->line++;
				buf_free(&field);
				return 1;
			}
			continue;
		}
		c->p++;
		if (quoted_done) {
			if (ch == ' ' || ch == '\t')
				continue;
			err_set(err, ERR_CONFIG, "%s:%d: text after a closing quote", c->name, *line_r);
			goto fail;
		}
		/* Blanks before an opening quote are tolerated: "a, \"b;c\"". */
		bool blank_so_far = field.len == 0 || strspn(field.data, " \t") == field.len;
		if (ch == '"' && blank_so_far) {
			buf_free(&field);
			buf_init(&field, ROSTER_MAX_FIELD);
			if (csv_quoted(c, &field, line_r, err) < 0)
				goto fail;
			quoted_done = true;
			continue;
		}
		if (buf_append(&field, &ch, 1) < 0) {
			err_set(err, ERR_CONFIG, "%s:%d: field too long", c->name, *line_r);
			goto fail;
		}
	}
fail:
	buf_free(&field);
	return -1;
}

/* ---- slugs -------------------------------------------------------------- */

/* Latin letters that have no canonical decomposition. */
static const char *fold_special(ucs4_t uc)
{
	switch (uc) {
	case 0x00C6: case 0x00E6: return "ae";
	case 0x00D0: case 0x00F0: return "d";
	case 0x00D8: case 0x00F8: return "o";
	case 0x00DE: case 0x00FE: return "th";
	case 0x00DF: return "ss";
	case 0x0110: case 0x0111: return "d";
	case 0x0126: case 0x0127: return "h";
	case 0x0131: return "i";
	case 0x0141: case 0x0142: return "l";
	case 0x0152: case 0x0153: return "oe";
	case 0x0166: case 0x0167: return "t";
	case 0x014A: case 0x014B: return "n";
	default: return NULL;
	}
}

static void slug_put(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			alnum = true;
		}
		if (alnum) {
			buf_append(b, &c, 1);
		} else if (b->len > 0 && b->data[b->len - 1] != '-') {
			buf_append(b, "-", 1);
		}
	}
}

char *roster_slugify(const char *name)
{
	struct buf b;
	size_t n = 0;
	buf_init(&b, SLUG_MAX + 8);
	/* NFKD splits "ô" into "o" + a combining mark, and "ﬁ" into "fi". */
	uint8_t *nfkd = u8_normalize(UNINORM_NFKD, (const uint8_t *)name, strlen(name), NULL, &n);
	const uint8_t *s = nfkd ? nfkd : (const uint8_t *)name;
	size_t len = nfkd ? n : strlen(name);
	for (size_t i = 0; i < len && b.len < SLUG_MAX;) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, s + i, len - i);
		i += (size_t)(k > 0 ? k : 1);
		char ascii[2] = { (char)uc, '\0' };
		if (uc < 0x80)
			slug_put(&b, ascii);
		else if (uc_is_general_category(uc, UC_CATEGORY_M))
			continue;
		else if (fold_special(uc))
			slug_put(&b, fold_special(uc));
		else
			slug_put(&b, "-");
	}
	free(nfkd);
	while (b.len > 0 && b.data[b.len - 1] == '-')
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		/* Nothing Latin in it (e.g. Arabic): a stable name from the hash. */
		char hex[65];
		sha256_hex(name, strlen(name), hex);
		buf_free(&b);
		return xasprintf("member-%.8s", hex);
	}
	return buf_steal(&b);
}

char *roster_unknown_slug(const char *addr)
{
	char hex[65];
	char *lower = xstrdup(addr ? addr : "");
	str_lower(lower);
	sha256_hex(lower, strlen(lower), hex);
	free(lower);
	return xasprintf("unknown-%.10s", hex);
}

/* ---- members ------------------------------------------------------------ */

struct roster *roster_new_empty(void)
{
	return xcalloc(1, sizeof(struct roster));
}

void roster_free(struct roster **roster)
{
	struct roster *r = *roster;
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->members[i].name);
		free(r->members[i].slug);
		strlist_free(&r->members[i].addresses);
		strlist_free(&r->members[i].domains);
	}
	free(r->members);
	free(r);
	*roster = NULL;
}

/* Which columns hold name and addresses. */
struct columns {
	size_t name, addresses;
};

static int find_columns(const char *path, const struct strlist *hdr, int line,
			struct columns *col, struct err *err)
{
	bool has_name = false, has_addr = false;
	for (size_t i = 0; i < hdr->n; i++) {
		char *h = xstrdup(hdr->v[i]);
		char *t = str_trim(h);
		if (str_ieq(t, "name") && !has_name) {
			col->name = i;
			has_name = true;
		} else if (str_ieq(t, "addresses") && !has_addr) {
			col->addresses = i;
			has_addr = true;
		}
		free(h);
	}
	if (!has_name || !has_addr) {
		err_set(err, ERR_CONFIG, "%s:%d: the header row must name the columns "
			"'name' and 'addresses'", path, line);
		return -1;
	}
	return 0;
}

static bool name_ok(const char *s)
{
	if (*s == '\0' || u8_check((const uint8_t *)s, strlen(s)) != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static const struct roster_member *member_with_address(const struct roster *r,
						       const char *addr)
{
	for (size_t i = 0; i < r->n; i++)
		if (strlist_contains_ci(&r->members[i].addresses, addr))
			return &r->members[i];
	return NULL;
}

static const struct roster_member *member_with_domain(const struct roster *r,
						      const char *domain)
{
	for (size_t i = 0; i < r->n; i++)
		if (strlist_contains_ci(&r->members[i].domains, domain))
			return &r->members[i];
	return NULL;
}

static const struct roster_member *member_with_slug(const struct roster *r, const char *slug)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->members[i].slug, slug) == 0)
			return &r->members[i];
	return NULL;
}

/* An item in the form addresses are compared in (address.c), lower-case:
 * "@münchen.de" and "@xn--mnchen-3ya.de" are one domain. */
static char *canonical_item(const char *item)
{
	bool domain = item[0] == '@';
	char *probe = domain ? xasprintf("x%s", item) : xstrdup(item);
	char *canon = address_canonical(probe);
	char *out;
	free(probe);
	if (canon == NULL)
		return xstrdup(item);
	out = domain ? xstrdup(strrchr(canon, '@')) : xstrdup(canon);
	free(canon);
	str_lower(out);
	return out;
}

/* Fill m's address lists from "a@x;@y"; an address or a domain may belong
 * to one member only, or mail from it would be ambiguous. */
static int add_addresses(const struct roster *r, struct roster_member *m, const char *field,
			 const char *path, int line, struct err *err)
{
	struct strlist items = { 0 };
	char *norm = xstrdup(field);
	for (char *p = norm; *p; p++)
		if (*p == ',')
			*p = ';';
	strlist_split(&items, norm, ';');
	free(norm);
	int rc = 0;
	for (size_t i = 0; i < items.n && rc == 0; i++) {
		char *a = canonical_item(items.v[i]);
		bool domain = a[0] == '@';
		const struct roster_member *other =
			domain ? member_with_domain(r, a + 1) : member_with_address(r, a);
		if (domain ? !confval_is_domain(a + 1) : !confval_is_address(a)) {
			for (char *q = a; *q; q++)
				if ((unsigned char)*q < 0x20)
					*q = '?'; /* the message is one line */
			err_set(err, ERR_CONFIG, "%s:%d: '%s' is neither an address nor an @domain",
				path, line, a);
			rc = -1;
		} else if (other != NULL) {
			err_set(err, ERR_CONFIG, "%s:%d: '%s' is already listed for %s", path, line,
				a, other->name);
			rc = -1;
		} else if (domain ? !strlist_contains_ci(&m->domains, a + 1)
				  : !strlist_contains_ci(&m->addresses, a)) {
			strlist_push(domain ? &m->domains : &m->addresses, domain ? a + 1 : a);
		}
		free(a);
	}
	strlist_free(&items);
	return rc;
}

static int add_member(struct roster *r, const struct strlist *f, const struct columns *col,
		      const char *path, int line, struct err *err)
{
	if (r->n >= ROSTER_MAX_MEMBERS) {
		err_set(err, ERR_CONFIG, "%s:%d: more than %d members", path, line,
			ROSTER_MAX_MEMBERS);
		return -1;
	}
	char *name = xstrdup(col->name < f->n ? f->v[col->name] : "");
	char *t = str_trim(name);
	int rc = -1;
	if (!name_ok(t)) {
		err_set(err, ERR_CONFIG, "%s:%d: the name is empty or not valid UTF-8 text",
			path, line);
	} else if (roster_find(r, t) != NULL) {
		err_set(err, ERR_CONFIG, "%s:%d: '%s' is listed twice", path, line, t);
	} else {
		struct roster_member m = { .name = xstrdup(t), .slug = roster_slugify(t) };
		const struct roster_member *same = member_with_slug(r, m.slug);
		if (same != NULL) {
			err_set(err, ERR_CONFIG, "%s:%d: '%s' and '%s' would share the directory "
				"name '%s'", path, line, same->name, t, m.slug);
		} else if (add_addresses(r, &m, col->addresses < f->n ? f->v[col->addresses] : "",
					 path, line, err) == 0) {
			r->members = xreallocarray(r->members, r->n + 1, sizeof(*r->members));
			r->members[r->n++] = m;
			free(name);
			return 0;
		}
		free(m.name);
		free(m.slug);
		strlist_free(&m.addresses);
		strlist_free(&m.domains);
	}
	free(name);
	return rc;
}

int roster_parse(const char *name, const char *csv, size_t len,
		 struct roster **roster_r, struct err *err)
{
	struct csv c = { .name = name, .p = csv, .end = csv + len, .line = 1 };
	struct strlist f = { 0 };
	struct columns col = { 0 };
	struct roster *r = roster_new_empty();
	int line, rc;
	if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0)
		c.p += 3;
	if (memchr(csv, '\0', len) != NULL) {
		err_set(err, ERR_CONFIG, "%s: contains a NUL byte: not a text file", name);
		goto fail;
	}
	rc = csv_next(&c, &f, &line, err);
	if (rc == 0)
		err_set(err, ERR_CONFIG, "%s: empty: a header row 'name,addresses' is required",
			name);
	if (rc <= 0 || find_columns(name, &f, line, &col, err) < 0)
		goto fail;
	for (;;) {
		strlist_free(&f);
		rc = csv_next(&c, &f, &line, err);
		if (rc < 0)
			goto fail;
		if (rc == 0)
			break;
		if (add_member(r, &f, &col, name, line, err) < 0)
			goto fail;
	}
	strlist_free(&f);
	*roster_r = r;
	return 0;
fail:
	strlist_free(&f);
	roster_free(&r);
	return -1;
}

/* Read path whole. Unlike fsio_read_file, a final symlink is followed:
 * configuration trees (and Kubernetes volumes) are often made of them. */
static int read_text_file(const char *path, char **data_r, size_t *len_r, struct err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct buf b;
	char chunk[16384];
	if (fd < 0) {
		err_setsys(err, ERR_CONFIG, "cannot open roster %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, ERR_CONFIG, "roster %s is not a regular file", path);
		close(fd);
		return -1;
	}
	buf_init(&b, ROSTER_MAX_BYTES);
	for (;;) {
		ssize_t r = fsio_read(fd, chunk, sizeof(chunk));
		if (r == 0)
			break;
		if (r < 0) {
			err_setsys(err, ERR_CONFIG, "cannot read roster %s", path);
			goto fail;
		}
		if (buf_append(&b, chunk, (size_t)r) < 0) {
			err_set(err, ERR_CONFIG, "roster %s is larger than %u bytes", path,
				ROSTER_MAX_BYTES);
			goto fail;
		}
	}
	close(fd);
	*len_r = b.len;
	*data_r = buf_steal(&b);
	return 0;
fail:
	close(fd);
	buf_free(&b);
	return -1;
}

int roster_load(const char *path, struct roster **roster_r, struct err *err)
{
	char *data = NULL;
	size_t len = 0;
	if (read_text_file(path, &data, &len, err) < 0)
		return -1;
	int rc = roster_parse(path, data, len, roster_r, err);
	free(data);
	return rc;
}

/* ---- lookups ------------------------------------------------------------ */

const struct roster_member *roster_match(const struct roster *roster,
					 const char *addr, enum roster_match *how_r)
{
	const struct roster_member *m = NULL;
	enum roster_match how = ROSTER_NONE;
	char *canon = address_canonical(addr); /* the roster holds this form */
	const char *at = canon ? strrchr(canon, '@') : NULL;
	if (roster != NULL && at != NULL) {
		if ((m = member_with_address(roster, canon)) != NULL)
			how = ROSTER_ADDRESS;
		else if ((m = member_with_domain(roster, at + 1)) != NULL)
			how = ROSTER_DOMAIN;
	}
	free(canon);
	if (how_r)
		*how_r = how;
	return m;
}

const struct roster_member *roster_find(const struct roster *roster, const char *name)
{
	if (roster == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < roster->n; i++) {
		const char *mn = roster->members[i].name;
		int res = -1;
		/* Full Unicode case folding, so "CÔTE D'IVOIRE" finds Côte d'Ivoire. */
		if (u8_casecmp((const uint8_t *)mn, strlen(mn), (const uint8_t *)name, strlen(name),
			       NULL, UNINORM_NFC, &res) == 0 ? res == 0 : str_ieq(mn, name))
			return &roster->members[i];
	}
	return NULL;
}

const char *roster_match_name(enum roster_match how)
{
	switch (how) {
	case ROSTER_ADDRESS: return "address";
	case ROSTER_DOMAIN: return "domain";
	default: return "none";
	}
}
