/* config.c — intaked.conf through inih, then every cross-key rule.
 *
 * inih's handler gets no line number in Debian's build, so inih reads
 * through our own line reader (ini_parse_stream): it knows the line being
 * parsed when the handler runs, sees every [section] header (the handler
 * never does), and refuses over-long lines instead of letting inih split
 * them. The first problem found is reported as "FILE:LINE: [section] key:
 * problem". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "intaked/config.h"
#include "config_impl.h"
#include "intaked/confval.h"
#include "intaked/fsio.h"
#include "intaked/roster.h"

#define CONFIG_MAX_BYTES (1u << 20)
#define CONFIG_MAX_LINE 4096
#define SECRET_MAX 65536
#define CALL_NAME_MAX 40
#define INIH_SECTION_MAX 49 /* inih cuts longer section names */

/* ---- errors ------------------------------------------------------------- */

void config_fail(struct config_load *ld, int line, const struct config_section *sec,
		 const char *key, const char *fmt, ...)
{
	char msg[400], where[160] = "";
	va_list ap;
	if (ld->failed)
		return;
	ld->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sec != NULL)
		snprintf(where, sizeof(where), " [%s]%s%s", sec->raw, key ? " " : "", key ? key : "");
	if (line > 0)
		err_set(&ld->err, ERR_CONFIG, "%s:%d:%s%s %s", ld->path, line, where,
			*where ? ":" : "", msg);
	else
		err_set(&ld->err, ERR_CONFIG, "%s:%s%s %s", ld->path, where, *where ? ":" : "", msg);
}

char *config_resolve_path(const struct config_load *ld, const char *v)
{
	if (v[0] == '/' || ld->dir == NULL)
		return xstrdup(v);
	return xasprintf("%s/%s", ld->dir, v);
}

/* ---- secrets ------------------------------------------------------------ */

/* Up to max bytes of fd into one buffer that is never reallocated (so no
 * stray copy of a secret is left in freed memory). Returns the length, -1
 * on a read error, -2 when there is more than max. *data_r: caller frees. */
static ssize_t read_fd_capped(int fd, size_t max, char **data_r)
{
	char *data = xmalloc(max + 1);
	size_t len = 0;
	ssize_t r;
	for (;;) {
		r = fsio_read(fd, data + len, max + 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > max)
			break;
	}
	if (r < 0 || len > max) {
		explicit_bzero(data, len);
		free(data);
		return r < 0 ? -1 : -2;
	}
	data[len] = '\0';
	*data_r = data;
	return (ssize_t)len;
}

int config_read_secret(const char *path, char **secret_r, struct err *err)
{
	struct stat st;
	char *data = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_setsys(err, ERR_CONFIG, "cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, ERR_CONFIG, "%s is not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		err_set(err, ERR_CONFIG, "%s is readable by group or others (chmod 600)", path);
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(err, ERR_CONFIG, "%s is writable by group or others (chmod 600)", path);
		goto fail;
	}
	ssize_t n = read_fd_capped(fd, SECRET_MAX, &data);
	if (n < 0) {
		if (n == -1)
			err_setsys(err, ERR_CONFIG, "cannot read %s", path);
		else
			err_set(err, ERR_CONFIG, "%s is larger than %d bytes", path, SECRET_MAX);
		goto fail;
	}
	close(fd);
	size_t len = (size_t)n;
	if (len > 0 && data[len - 1] == '\n')
		data[--len] = '\0';
	if (len > 0 && data[len - 1] == '\r')
		data[--len] = '\0';
	if (len == 0 || memchr(data, '\n', len) || memchr(data, '\0', len)) {
		err_set(err, ERR_CONFIG, "%s must hold the secret on one line", path);
		config_wipe_secret(&data);
		return -1;
	}
	*secret_r = data;
	return 0;
fail:
	close(fd);
	return -1;
}

void config_wipe_secret(char **secret)
{
	if (*secret != NULL) {
		explicit_bzero(*secret, strlen(*secret));
		free(*secret);
		*secret = NULL;
	}
}

/* ---- the line reader ---------------------------------------------------- */

static const struct {
	const char *name;
	enum config_section_kind kind;
} fixed_sections[] = {
	{ "mailbox", SEC_MAILBOX }, { "smtp", SEC_SMTP }, { "spool", SEC_SPOOL },
	{ "limits", SEC_LIMITS },   { "log", SEC_LOG },
};

static struct config_section *section_by_raw(struct config_load *ld, const char *raw)
{
	for (size_t i = 0; i < ld->nsections; i++)
		if (strcmp(ld->sections[i].raw, raw) == 0)
			return &ld->sections[i];
	return NULL;
}

static struct config_section *add_section(struct config_load *ld, const char *raw,
					  enum config_section_kind kind)
{
	ld->sections = xreallocarray(ld->sections, ld->nsections + 1, sizeof(*ld->sections));
	struct config_section *s = &ld->sections[ld->nsections++];
	memset(s, 0, sizeof(*s));
	s->raw = xstrdup(raw);
	s->kind = kind;
	s->line = ld->line;
	return s;
}

/* "call NAME": a new call with its defaults. */
static struct config_section *add_call_section(struct config_load *ld, const char *raw)
{
	char *copy = xstrdup(raw + 4);
	const char *name = str_trim(copy);
	struct config_section *s = NULL;
	if (!confval_is_slug(name, CALL_NAME_MAX)) {
		config_fail(ld, ld->line, NULL, NULL, "[%s]: a call name must be 1-%d lower-case "
			    "letters, digits, '.', '_' or '-', starting with a letter or digit "
			    "(it becomes a directory name)", raw, CALL_NAME_MAX);
		goto out;
	}
	for (size_t i = 0; i < ld->nsections; i++)
		if (ld->sections[i].kind == SEC_CALL &&
		    strcmp(ld->cfg->calls[ld->sections[i].call].name, name) == 0) {
			config_fail(ld, ld->line, NULL, NULL, "[%s]: call '%s' is defined twice "
				    "(first on line %d)", raw, name, ld->sections[i].line);
			goto out;
		}
	s = add_section(ld, raw, SEC_CALL);
	s->call = ld->cfg->ncalls;
	ld->cfg->calls = xreallocarray(ld->cfg->calls, ld->cfg->ncalls + 1,
				       sizeof(*ld->cfg->calls));
	ld->extends = xreallocarray(ld->extends, ld->cfg->ncalls + 1, sizeof(*ld->extends));
	memset(&ld->extends[ld->cfg->ncalls], 0, sizeof(*ld->extends));
	config_call_defaults(&ld->cfg->calls[ld->cfg->ncalls++], name);
out:
	free(copy);
	return s;
}

/* A "[...]" line: the section it opens, checked here because the handler
 * only ever hears of sections that have keys. */
static void reader_section(struct config_load *ld, const char *line)
{
	const char *rb = strchr(line, ']');
	ld->cur = NULL;
	if (rb == NULL) {
		config_fail(ld, ld->line, NULL, NULL, "section header without ']'");
		return;
	}
	const char *rest = rb + 1 + strspn(rb + 1, " \t\r\n");
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		config_fail(ld, ld->line, NULL, NULL, "text after the section header");
		return;
	}
	char *raw = xstrndup(line + 1, (size_t)(rb - line - 1));
	if (strlen(raw) > INIH_SECTION_MAX) {
		config_fail(ld, ld->line, NULL, NULL, "section name too long");
	} else if (section_by_raw(ld, raw) != NULL) {
		config_fail(ld, ld->line, NULL, NULL, "[%s] appears twice (first on line %d)", raw,
			    section_by_raw(ld, raw)->line);
	} else if (strncmp(raw, "call", 4) == 0 && (raw[4] == ' ' || raw[4] == '\t')) {
		ld->cur = add_call_section(ld, raw);
	} else {
		for (size_t i = 0; i < sizeof(fixed_sections) / sizeof(fixed_sections[0]); i++)
			if (strcmp(raw, fixed_sections[i].name) == 0)
				ld->cur = add_section(ld, raw, fixed_sections[i].kind);
		if (ld->cur == NULL)
			config_fail(ld, ld->line, NULL, NULL, "unknown section [%s] (known: [mailbox], "
				    "[smtp], [spool], [limits], [log], [call NAME])", raw);
	}
	free(raw);
}

/* fgets() for inih over the file in memory. */
static char *reader(char *str, int num, void *stream)
{
	struct config_load *ld = stream;
	if (ld->pos >= ld->len)
		return NULL;
	const char *p = ld->text + ld->pos;
	const char *nl = memchr(p, '\n', ld->len - ld->pos);
	size_t n = nl ? (size_t)(nl - p) + 1 : ld->len - ld->pos;
	ld->pos += n;
	ld->line++;
	/* Always a whole line with its '\n', or inih would ask for the rest. */
	if (num < 2 || n + (nl ? 0 : 1) > (size_t)num - 1) {
		config_fail(ld, ld->line, NULL, NULL, "line longer than %d bytes", CONFIG_MAX_LINE);
		memcpy(str, "\n", 2);
		return str;
	}
	memcpy(str, p, n);
	if (nl == NULL)
		str[n++] = '\n';
	str[n] = '\0';
	const char *s = str;
	if (ld->line == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	s += strspn(s, " \t\r\n");
	if (*s == '[')
		reader_section(ld, s);
	else if (*s != '\0' && *s != ';' && *s != '#' && strpbrk(s, "=:") == NULL)
		config_fail(ld, ld->line, NULL, NULL, "expected 'key = value' or '[section]'");
	return str;
}

/* ---- the key handler ---------------------------------------------------- */

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_load *ld = user;
	struct config_section *sec = ld->cur;
	if (*section == '\0') {
		config_fail(ld, ld->line, NULL, NULL, "%s: key outside any section", name);
		return 0;
	}
	if (sec == NULL || strcmp(sec->raw, section) != 0) {
		/* A bad [header] was reported by the reader; anything else is
		 * inih seeing a section the reader did not. */
		config_fail(ld, ld->line, NULL, NULL, "syntax error");
		return 0;
	}
	size_t n;
	const struct config_key *keys = config_keys_for(sec->kind, &n);
	for (size_t i = 0; i < n; i++) {
		if (!str_ieq(keys[i].name, name))
			continue;
		struct err e = { 0 };
		if (sec->key_line[i] != 0 && !keys[i].repeatable) {
			config_fail(ld, ld->line, sec, keys[i].name, "given twice (first on line %d)",
				    sec->key_line[i]);
			return 0;
		}
		sec->key_line[i] = ld->line;
		if (*value == '\0') {
			config_fail(ld, ld->line, sec, keys[i].name, "empty value (remove the line "
				    "to use the default)");
			return 0;
		}
		if (config_key_set(ld, sec, &keys[i], value, &e) < 0) {
			config_fail(ld, ld->line, sec, keys[i].name, "%s", e.msg);
			return 0;
		}
		return 1;
	}
	config_fail(ld, ld->line, sec, name, "unknown key");
	return 0;
}

/* inih's knobs are process-wide in Debian's build: set ours, put them back.
 * Without realloc its heap line buffer is initial_alloc bytes: one line of
 * up to CONFIG_MAX_LINE, handed over whole by reader(). No multi-line
 * values: an indented line is an error, not a silent continuation. */
struct inih_knobs {
	bool use_stack, allow_realloc, multiline, inline_comments, bom, stop, no_value;
	int max_line, initial_alloc;
	char *inline_prefixes, *start_prefixes;
};

static void inih_knobs_swap(struct inih_knobs *k)
{
	struct inih_knobs old = {
		ini_use_stack, ini_allow_realloc, ini_allow_multiline, ini_allow_inline_comments,
		ini_allow_bom, ini_stop_on_first_error, ini_allow_no_value, ini_max_line,
		ini_initial_alloc, ini_inline_comment_prefixes, ini_start_comment_prefixes,
	};
	ini_use_stack = k->use_stack;
	ini_allow_realloc = k->allow_realloc;
	ini_allow_multiline = k->multiline;
	ini_allow_inline_comments = k->inline_comments;
	ini_allow_bom = k->bom;
	ini_stop_on_first_error = k->stop;
	ini_allow_no_value = k->no_value;
	ini_max_line = k->max_line;
	ini_initial_alloc = k->initial_alloc;
	ini_inline_comment_prefixes = k->inline_prefixes;
	ini_start_comment_prefixes = k->start_prefixes;
	*k = old;
}

static int read_config_text(struct config_load *ld, struct err *err)
{
	struct stat st;
	int fd = open(ld->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_setsys(err, ERR_CONFIG, "%s: cannot open", ld->path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, ERR_CONFIG, "%s: not a regular file", ld->path);
		close(fd);
		return -1;
	}
	ssize_t n = read_fd_capped(fd, CONFIG_MAX_BYTES, &ld->owned_text);
	if (n == -1)
		err_setsys(err, ERR_CONFIG, "%s: cannot read", ld->path);
	close(fd);
	if (n == -2)
		err_set(err, ERR_CONFIG, "%s: larger than %u bytes", ld->path, CONFIG_MAX_BYTES);
	if (n < 0)
		return -1;
	ld->text = ld->owned_text;
	ld->len = (size_t)n;
	if (memchr(ld->text, '\0', ld->len) != NULL) {
		err_set(err, ERR_CONFIG, "%s: contains a NUL byte: not a text file", ld->path);
		return -1;
	}
	return 0;
}

static char *config_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
			  : xstrdup(".");
	char *abs = realpath(dir, NULL);
	if (abs != NULL) {
		free(dir);
		return abs;
	}
	return dir;
}

static void load_clear(struct config_load *ld)
{
	for (size_t i = 0; i < ld->nsections; i++)
		free(ld->sections[i].raw);
	free(ld->sections);
	if (ld->extends != NULL)
		for (size_t i = 0; i < ld->cfg->ncalls; i++) {
			strlist_free(&ld->extends[i].values);
			free(ld->extends[i].lines);
		}
	free(ld->extends);
	free(ld->owned_text);
	free(ld->dir);
	free(ld->url_folder);
}

int config_load(const char *path, struct config **cfg_r, struct err *err)
{
	struct config_load ld = { .path = path };
	ld.cfg = config_new_defaults(path);
	if (read_config_text(&ld, err) < 0) {
		load_clear(&ld);
		config_free(&ld.cfg);
		return -1;
	}
	ld.dir = config_dir_of(path);
	struct inih_knobs knobs = {
		.use_stack = false, .allow_realloc = false, .multiline = false,
		.inline_comments = true, .bom = true, .stop = false, .no_value = false,
		.max_line = CONFIG_MAX_LINE + 3, .initial_alloc = CONFIG_MAX_LINE + 3,
		.inline_prefixes = (char *)";",
		.start_prefixes = (char *)";#",
	};
	inih_knobs_swap(&knobs);
	int rc = ini_parse_stream(reader, &ld, handler, &ld);
	inih_knobs_swap(&knobs);
	if (rc > 0)
		config_fail(&ld, rc, NULL, NULL, "syntax error");
	else if (rc < 0)
		config_fail(&ld, 0, NULL, NULL, "cannot parse (out of memory)");
	if (!ld.failed)
		config_finish(&ld);
	if (ld.failed) {
		*err = ld.err;
		load_clear(&ld);
		config_free(&ld.cfg);
		return -1;
	}
	load_clear(&ld);
	*cfg_r = ld.cfg;
	return 0;
}

/* ---- lookups ------------------------------------------------------------ */

const struct call_config *config_find_call(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->ncalls; i++)
		if (strcmp(cfg->calls[i].name, name) == 0)
			return &cfg->calls[i];
	return NULL;
}

time_t config_deadline_for(const struct call_config *call, const char *member_name)
{
	for (size_t i = 0; member_name != NULL && i < call->n_extensions; i++)
		if (str_ieq(call->extensions[i].member, member_name))
			return call->extensions[i].deadline;
	return call->deadline;
}
