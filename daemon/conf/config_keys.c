/* config_keys.c — the keys of each section, their defaults, and how one
 * value is checked and stored. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_impl.h"
#include "intaked/confval.h"
#include "intaked/roster.h"

#define FIELD(base, off, type) ((type *)(void *)((char *)(base) + (off)))
#define KIB 1024L
#define MIB (1024L * KIB)
#define GIB (1024L * MIB)
#define DAY 86400L

/* ---- choices ------------------------------------------------------------ */

static int choose(const char *v, const char *const *names, size_t n, int *idx_r,
		  struct err *err)
{
	char list[160] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (str_ieq(v, names[i])) {
			*idx_r = (int)i;
			return 0;
		}
		int w = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
		if (w > 0 && (size_t)w < sizeof(list) - len)
			len += (size_t)w;
	}
	err_set(err, ERR_CONFIG, "'%s' is not one of: %s", v, list);
	return -1;
}

#define CHOICE_SETTER(fname, type, ...)                                              \
	static int fname(struct config_load *ld, struct config_section *sec, void *base, \
			 const struct config_key *key, const char *v, struct err *err)   \
	{                                                                                \
		static const char *const names[] = { __VA_ARGS__ };                      \
		int i;                                                                   \
		(void)ld;                                                                \
		(void)sec;                                                               \
		if (choose(v, names, sizeof(names) / sizeof(names[0]), &i, err) < 0)     \
			return -1;                                                       \
		*FIELD(base, key->off, type) = (type)i;                                  \
		return 0;                                                                \
	}

/* Orders follow the enums in config.h. */
CHOICE_SETTER(set_auth, enum auth_method, "password", "xoauth2", "oauthbearer")
CHOICE_SETTER(set_late, enum late_policy, "accept", "flag", "reject")
CHOICE_SETTER(set_remind, enum remind_mode, "missing", "all")
CHOICE_SETTER(set_require_auth, enum require_auth, "none", "dmarc")
CHOICE_SETTER(set_grant, enum oauth_grant_type, "refresh_token", "client_credentials")

static int set_string_choice(void *base, const struct config_key *key, const char *v,
			     const char *const *names, size_t n, struct err *err)
{
	int i;
	if (choose(v, names, n, &i, err) < 0)
		return -1;
	char **field = FIELD(base, key->off, char *);
	free(*field);
	*field = xstrdup(names[i]);
	return 0;
}

static int set_language(struct config_load *ld, struct config_section *sec, void *base,
			const struct config_key *key, const char *v, struct err *err)
{
	static const char *const names[] = { "en", "fr", "es" };
	(void)ld;
	(void)sec;
	return set_string_choice(base, key, v, names, 3, err);
}

static int set_log_target(struct config_load *ld, struct config_section *sec, void *base,
			  const struct config_key *key, const char *v, struct err *err)
{
	static const char *const names[] = { "stderr", "syslog" };
	(void)ld;
	(void)sec;
	return set_string_choice(base, key, v, names, 2, err);
}

/* ---- URLs --------------------------------------------------------------- */

static int set_imap_url(struct config_load *ld, struct config_section *sec, void *base,
			const struct config_key *key, const char *v, struct err *err)
{
	struct mailbox_config *mc = base;
	struct confval_url u;
	(void)sec;
	(void)key;
	if (confval_url(v, &u, err) < 0)
		return -1;
	bool imaps = strcmp(u.scheme, "imaps") == 0;
	if (!imaps && strcmp(u.scheme, "imap") != 0) {
		err_set(err, ERR_CONFIG, "'%s' is not an imaps:// or imap:// URL", v);
		confval_url_clear(&u);
		return -1;
	}
	mc->url = xstrdup(v);
	mc->host = xstrdup(u.host);
	mc->implicit_tls = imaps;
	mc->port = u.port ? u.port : imaps ? 993 : 143;
	/* The folder from the URL comes first; "folders =" may add more. */
	if (*u.path) {
		free(ld->url_folder);
		ld->url_folder = xstrdup(u.path);
	}
	confval_url_clear(&u);
	return 0;
}

static int set_smtp_url(struct config_load *ld, struct config_section *sec, void *base,
			const struct config_key *key, const char *v, struct err *err)
{
	struct smtp_config *sc = base;
	struct confval_url u;
	(void)ld;
	(void)sec;
	(void)key;
	if (str_has_prefix_ci(v, "sendmail:")) {
		if (v[9] != '\0') {
			err_set(err, ERR_CONFIG, "'%s': write url = sendmail: and sendmail = PATH", v);
			return -1;
		}
		sc->url = xstrdup("sendmail:");
		if (sc->sendmail == NULL) /* "sendmail =" may come first */
			sc->sendmail = xstrdup(SMTP_SENDMAIL_DEFAULT);
		return 0;
	}
	if (confval_url(v, &u, err) < 0)
		return -1;
	bool smtps = strcmp(u.scheme, "smtps") == 0;
	if (!smtps && strcmp(u.scheme, "smtp") != 0) {
		err_set(err, ERR_CONFIG, "'%s' is not an smtp:// or smtps:// URL", v);
	} else if (*u.path) {
		err_set(err, ERR_CONFIG, "'%s': an SMTP URL has no path", v);
	} else {
		sc->host = xstrdup(u.host);
		sc->implicit_tls = smtps;
		sc->port = u.port ? u.port : smtps ? 465 : 587;
		/* Port spelled out: libcurl's own default for smtp:// is 25. */
		bool v6 = strchr(u.host, ':') != NULL;
		sc->url = xasprintf("%s://%s%s%s:%d", u.scheme, v6 ? "[" : "", u.host,
				    v6 ? "]" : "", sc->port);
		confval_url_clear(&u);
		return 0;
	}
	confval_url_clear(&u);
	return -1;
}

static int set_smtp_tls(struct config_load *ld, struct config_section *sec, void *base,
			const struct config_key *key, const char *v, struct err *err)
{
	static const char *const names[] = { "required", "none" };
	int i;
	(void)ld;
	(void)sec;
	(void)key;
	if (choose(v, names, 2, &i, err) < 0)
		return -1;
	((struct smtp_config *)base)->plaintext = i == 1;
	return 0;
}

/* Must name an executable regular file: caught here rather than as
 * acknowledgements retried for three days. */
static int set_sendmail(struct config_load *ld, struct config_section *sec, void *base,
			const struct config_key *key, const char *v, struct err *err)
{
	struct smtp_config *sc = base;
	struct stat st;
	(void)sec;
	(void)key;
	char *path = config_resolve_path(ld, v);
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0) {
		err_set(err, ERR_CONFIG, "%s is not an executable file", path);
		free(path);
		return -1;
	}
	free(sc->sendmail);
	sc->sendmail = path;
	return 0;
}


static int set_token_url(struct config_load *ld, struct config_section *sec, void *base,
			 const struct config_key *key, const char *v, struct err *err)
{
	struct confval_url u;
	(void)ld;
	(void)sec;
	if (confval_url(v, &u, err) < 0)
		return -1;
	bool ok = strcmp(u.scheme, "https") == 0 ||
		  (strcmp(u.scheme, "http") == 0 && confval_loopback_host(u.host));
	confval_url_clear(&u);
	if (!ok) {
		err_set(err, ERR_CONFIG, "'%s' must be an https:// URL", v);
		return -1;
	}
	*FIELD(base, key->off, char *) = xstrdup(v);
	return 0;
}

/* ---- [mailbox] and [smtp] specials -------------------------------------- */

static int set_folders(struct config_load *ld, struct config_section *sec, void *base,
		       const struct config_key *key, const char *v, struct err *err)
{
	struct mailbox_config *mc = base;
	(void)ld;
	(void)sec;
	(void)key;
	strlist_split(&mc->folders, v, ',');
	if (mc->folders.n == 0) {
		err_set(err, ERR_CONFIG, "no folder given");
		return -1;
	}
	return 0;
}

/* "mx1.example.org, mx2.example.org": compared case-insensitively. */
static int set_authserv_id(struct config_load *ld, struct config_section *sec, void *base,
			   const struct config_key *key, const char *v, struct err *err)
{
	struct mailbox_config *mc = base;
	(void)ld;
	(void)sec;
	(void)key;
	strlist_split(&mc->authserv_id, v, ',');
	for (size_t i = 0; i < mc->authserv_id.n; i++) {
		str_lower(mc->authserv_id.v[i]);
		if (strpbrk(mc->authserv_id.v[i], " \t;()\"") != NULL) {
			err_set(err, ERR_CONFIG, "'%s' is not a server name", mc->authserv_id.v[i]);
			return -1;
		}
	}
	if (mc->authserv_id.n == 0) {
		err_set(err, ERR_CONFIG, "no server name given");
		return -1;
	}
	return 0;
}

static int set_after_filing(struct config_load *ld, struct config_section *sec, void *base,
			    const struct config_key *key, const char *v, struct err *err)
{
	struct mailbox_config *mc = base;
	(void)ld;
	(void)sec;
	(void)key;
	if (str_ieq(v, "flag")) {
		mc->after_filing = AFTER_FLAG;
		return 0;
	}
	if (str_has_prefix_ci(v, "move:")) {
		char *folder = xstrdup(v + 5);
		char *t = str_trim(folder);
		if (*t != '\0') {
			mc->after_filing = AFTER_MOVE;
			mc->move_to = xstrdup(t);
			free(folder);
			return 0;
		}
		free(folder);
	}
	err_set(err, ERR_CONFIG, "'%s' is not 'flag' or 'move:FOLDER'", v);
	return -1;
}

static int set_from(struct config_load *ld, struct config_section *sec, void *base,
		    const struct config_key *key, const char *v, struct err *err)
{
	struct smtp_config *sc = base;
	(void)ld;
	(void)sec;
	(void)key;
	if (confval_from(v, &sc->from_addr, err) < 0)
		return -1;
	sc->from = xstrdup(v);
	return 0;
}

/* ---- [call] specials ---------------------------------------------------- */

static int set_match_subject(struct config_load *ld, struct config_section *sec, void *base,
			     const struct config_key *key, const char *v, struct err *err)
{
	struct call_config *c = base;
	(void)ld;
	(void)sec;
	(void)key;
	(void)err;
	if (!strlist_contains_ci(&c->match_subject, v))
		strlist_push(&c->match_subject, v);
	return 0;
}

static int set_opens(struct config_load *ld, struct config_section *sec, void *base,
		     const struct config_key *key, const char *v, struct err *err)
{
	struct call_config *c = base;
	char *zone = NULL;
	(void)ld;
	(void)sec;
	(void)key;
	if (confval_datetime_zone(v, &c->opens, &zone, err) < 0)
		return -1;
	free(zone);
	c->has_opens = true;
	return 0;
}

static int set_deadline(struct config_load *ld, struct config_section *sec, void *base,
			const struct config_key *key, const char *v, struct err *err)
{
	struct call_config *c = base;
	(void)ld;
	(void)sec;
	(void)key;
	return confval_datetime_zone(v, &c->deadline, &c->zone, err);
}

/* Checked once the roster and the deadline's zone are known. */
static int set_extend(struct config_load *ld, struct config_section *sec, void *base,
		      const struct config_key *key, const char *v, struct err *err)
{
	struct config_extends *x = &ld->extends[sec->call];
	char *name = NULL, *when = NULL, *zone = NULL;
	(void)base;
	(void)key;
	if (confval_extend(v, &name, &when, &zone, err) < 0)
		return -1;
	free(name);
	free(when);
	free(zone);
	x->lines = xreallocarray(x->lines, x->values.n + 1, sizeof(*x->lines));
	x->lines[x->values.n] = ld->line;
	strlist_push(&x->values, v);
	return 0;
}

static int set_reminders(struct config_load *ld, struct config_section *sec, void *base,
			 const struct config_key *key, const char *v, struct err *err)
{
	struct call_config *c = base;
	(void)ld;
	(void)sec;
	(void)key;
	return confval_reminders(v, &c->reminders, &c->n_reminders, err);
}

static int set_digest_at(struct config_load *ld, struct config_section *sec, void *base,
			 const struct config_key *key, const char *v, struct err *err)
{
	struct call_config *c = base;
	(void)ld;
	(void)sec;
	(void)key;
	if (str_ieq(v, "none")) {
		c->digest_minute = -1;
		return 0;
	}
	return confval_minute_of_day(v, &c->digest_minute, err);
}

/* ---- the tables --------------------------------------------------------- */

#define K(name, type, st, field, min, max) \
	{ name, type, offsetof(st, field), min, max, NULL, false }
#define KF(name, st, field, fn) { name, V_FN, offsetof(st, field), 0, 0, fn, false }

static const struct config_key mailbox_keys[] = {
	KF("url", struct mailbox_config, url, set_imap_url),
	KF("folders", struct mailbox_config, folders, set_folders),
	K("user", V_STR, struct mailbox_config, user, 0, 0),
	K("password_file", V_SECRET, struct mailbox_config, password, 0, 0),
	KF("auth", struct mailbox_config, auth, set_auth),
	KF("token_url", struct mailbox_config, oauth.token_url, set_token_url),
	K("client_id", V_STR, struct mailbox_config, oauth.client_id, 0, 0),
	K("client_secret_file", V_SECRET, struct mailbox_config, oauth.client_secret, 0, 0),
	K("refresh_token_file", V_SECRET_PATH, struct mailbox_config,
	  oauth.refresh_token_file, 0, 0),
	K("token_ca_file", V_FILE, struct mailbox_config, oauth.token_ca_file, 0, 0),
	KF("grant", struct mailbox_config, oauth.grant, set_grant),
	KF("device_auth_url", struct mailbox_config, oauth.device_auth_url, set_token_url),
	KF("auth_url", struct mailbox_config, oauth.auth_url, set_token_url),
	K("scope", V_STR, struct mailbox_config, oauth.scope, 0, 0),
	K("client_certificate_file", V_FILE, struct mailbox_config, oauth.client_cert_file, 0, 0),
	K("client_key_file", V_FILE, struct mailbox_config, oauth.client_key_file, 0, 0),
	K("ca_file", V_FILE, struct mailbox_config, ca_file, 0, 0),
	K("idle", V_BOOL, struct mailbox_config, idle, 0, 0),
	K("poll_interval", V_DURATION, struct mailbox_config, poll_interval, 1, DAY),
	KF("after_filing", struct mailbox_config, after_filing, set_after_filing),
	K("alarm_after", V_DURATION, struct mailbox_config, alarm_after, 1, 30 * DAY),
	K("ack_unmatched", V_BOOL, struct mailbox_config, ack_unmatched, 0, 0),
	K("timeout", V_DURATION, struct mailbox_config, timeout, 1, 3600),
	KF("authserv_id", struct mailbox_config, authserv_id, set_authserv_id),
};

static const struct config_key smtp_keys[] = {
	KF("url", struct smtp_config, url, set_smtp_url),
	KF("tls", struct smtp_config, plaintext, set_smtp_tls),
	KF("sendmail", struct smtp_config, sendmail, set_sendmail),
	K("user", V_STR, struct smtp_config, user, 0, 0),
	K("password_file", V_SECRET, struct smtp_config, password, 0, 0),
	KF("auth", struct smtp_config, auth, set_auth),
	KF("token_url", struct smtp_config, oauth.token_url, set_token_url),
	K("client_id", V_STR, struct smtp_config, oauth.client_id, 0, 0),
	K("client_secret_file", V_SECRET, struct smtp_config, oauth.client_secret, 0, 0),
	K("refresh_token_file", V_SECRET_PATH, struct smtp_config, oauth.refresh_token_file, 0, 0),
	K("token_ca_file", V_FILE, struct smtp_config, oauth.token_ca_file, 0, 0),
	KF("grant", struct smtp_config, oauth.grant, set_grant),
	KF("device_auth_url", struct smtp_config, oauth.device_auth_url, set_token_url),
	KF("auth_url", struct smtp_config, oauth.auth_url, set_token_url),
	K("scope", V_STR, struct smtp_config, oauth.scope, 0, 0),
	K("client_certificate_file", V_FILE, struct smtp_config, oauth.client_cert_file, 0, 0),
	K("client_key_file", V_FILE, struct smtp_config, oauth.client_key_file, 0, 0),
	K("ca_file", V_FILE, struct smtp_config, ca_file, 0, 0),
	KF("from", struct smtp_config, from, set_from),
	K("operators", V_ADDRS, struct smtp_config, operators, 0, 0),
	K("timeout", V_DURATION, struct smtp_config, timeout, 1, 3600),
};

static const struct config_key spool_keys[] = {
	K("dir", V_PATH, struct config, spool_dir, 0, 0),
};

static const struct config_key limits_keys[] = {
	K("max_message_size", V_SIZE, struct limits_config, max_message_size, 0, 4 * GIB),
	K("max_attachment_size", V_SIZE, struct limits_config, max_attachment_size, 0, 4 * GIB),
	K("max_unpacked_size", V_SIZE, struct limits_config, max_unpacked_size, 0, 16 * GIB),
	K("max_unpack_ratio", V_UNSIGNED, struct limits_config, max_unpack_ratio, 1, 100000),
	K("max_zip_entries", V_UNSIGNED, struct limits_config, max_zip_entries, 1, 1000000),
	K("max_xml_depth", V_UNSIGNED, struct limits_config, max_xml_depth, 8, 100000),
	K("max_mime_parts", V_UNSIGNED, struct limits_config, max_mime_parts, 1, 100000),
	K("max_mime_depth", V_UNSIGNED, struct limits_config, max_mime_depth, 1, 1000),
	K("extract_timeout", V_DURATION, struct limits_config, extract_timeout, 1, 3600),
	K("worker_memory", V_SIZE, struct limits_config, worker_memory, 0, 64 * GIB),
};

static const struct config_key log_keys[] = {
	KF("target", struct config, log_target, set_log_target),
};

static const struct config_key call_keys[] = {
	K("title", V_STR, struct call_config, title, 0, 0),
	K("match_to", V_ADDRS, struct call_config, match_to, 0, 0),
	{ "match_subject", V_FN, 0, 0, 0, set_match_subject, true },
	KF("opens", struct call_config, opens, set_opens),
	KF("deadline", struct call_config, deadline, set_deadline),
	K("grace", V_DURATION, struct call_config, grace, 0, 30 * DAY),
	K("word_limit", V_LONG, struct call_config, word_limit, 0, 100000000),
	KF("late", struct call_config, late, set_late),
	{ "extend", V_FN, 0, 0, 0, set_extend, true },
	KF("require_auth", struct call_config, require_auth, set_require_auth),
	K("ack_unknown", V_BOOL, struct call_config, ack_unknown, 0, 0),
	K("ack_per_sender_per_day", V_INT, struct call_config, ack_per_sender_per_day, 0, 1000),
	K("ack_unknown_per_hour", V_INT, struct call_config, ack_unknown_per_hour, 0, 100000),
	K("roster", V_PATH, struct call_config, roster_path, 0, 0),
	K("coordinators", V_ADDRS, struct call_config, coordinators, 0, 0),
	KF("reminders", struct call_config, reminders, set_reminders),
	KF("remind", struct call_config, remind, set_remind),
	KF("digest_at", struct call_config, digest_minute, set_digest_at),
	KF("language", struct call_config, language, set_language),
	K("ack_template", V_FILE, struct call_config, ack_template, 0, 0),
	K("reminder_template", V_FILE, struct call_config, reminder_template, 0, 0),
	K("digest_template", V_FILE, struct call_config, digest_template, 0, 0),
};

#define TABLE(t) t, sizeof(t) / sizeof(t[0])
static const struct {
	const struct config_key *keys;
	size_t n;
} tables[] = {
	[SEC_MAILBOX] = { TABLE(mailbox_keys) }, [SEC_SMTP] = { TABLE(smtp_keys) },
	[SEC_SPOOL] = { TABLE(spool_keys) },     [SEC_LIMITS] = { TABLE(limits_keys) },
	[SEC_LOG] = { TABLE(log_keys) },         [SEC_CALL] = { TABLE(call_keys) },
};

_Static_assert(sizeof(mailbox_keys) / sizeof(mailbox_keys[0]) <= CONFIG_MAX_KEYS, "keys");
_Static_assert(sizeof(call_keys) / sizeof(call_keys[0]) <= CONFIG_MAX_KEYS, "keys");

const struct config_key *config_keys_for(enum config_section_kind kind, size_t *n_r)
{
	*n_r = tables[kind].n;
	return tables[kind].keys;
}

int config_key_line(const struct config_section *sec, const char *key)
{
	size_t n;
	const struct config_key *keys = config_keys_for(sec->kind, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, key) == 0)
			return sec->key_line[i];
	return 0;
}

/* ---- generic values ----------------------------------------------------- */

static int check_readable_file(const char *path, struct err *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_setsys(err, ERR_CONFIG, "cannot open %s", path);
		return -1;
	}
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!ok) {
		err_set(err, ERR_CONFIG, "%s is not a regular file", path);
		return -1;
	}
	return 0;
}

static bool missing_token_file_ok;

void config_allow_missing_token_file(bool allow)
{
	missing_token_file_ok = allow;
}

/* Whoever may write to a secret's directory may swap the file. */
static int secret_dir_secure(const char *path, struct err *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc;
	if (slash != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	rc = config_dir_secure(slash != NULL ? dir : ".", err);
	free(dir);
	return rc;
}

static int set_path_value(struct config_load *ld, void *field_base, size_t off,
			  enum config_vtype type, const char *v, struct err *err)
{
	char *path = config_resolve_path(ld, v), *secret = NULL;
	int rc = 0;
	if (type == V_SECRET_PATH && missing_token_file_ok && access(path, F_OK) < 0 &&
	    errno == ENOENT)
		; /* intakectl oauth login is about to write it */
	else if (type == V_FILE)
		rc = check_readable_file(path, err);
	else if (type == V_SECRET || type == V_SECRET_PATH)
		rc = secret_dir_secure(path, err) < 0 ? -1
						       : config_read_secret(path, &secret, err);
	if (rc < 0) {
		free(path);
		return -1;
	}
	char **field = FIELD(field_base, off, char *);
	if (type == V_SECRET) {
		config_wipe_secret(field);
		*field = secret;
		free(path);
	} else {
		config_wipe_secret(&secret);
		free(*field);
		*field = path;
	}
	return 0;
}

int config_key_set(struct config_load *ld, struct config_section *sec,
		   const struct config_key *key, const char *v, struct err *err)
{
	struct config *cfg = ld->cfg;
	void *base = sec->kind == SEC_MAILBOX ? (void *)&cfg->mailbox
		   : sec->kind == SEC_SMTP   ? (void *)&cfg->smtp
		   : sec->kind == SEC_LIMITS ? (void *)&cfg->limits
		   : sec->kind == SEC_CALL   ? (void *)&cfg->calls[sec->call]
					     : (void *)cfg;
	unsigned long u;
	switch (key->type) {
	case V_FN:
		return key->fn(ld, sec, base, key, v, err);
	case V_STR:
		free(*FIELD(base, key->off, char *));
		*FIELD(base, key->off, char *) = xstrdup(v);
		return 0;
	case V_PATH:
	case V_FILE:
	case V_SECRET:
	case V_SECRET_PATH:
		return set_path_value(ld, base, key->off, key->type, v, err);
	case V_BOOL:
		return confval_bool(v, FIELD(base, key->off, bool), err);
	case V_DURATION:
		return confval_duration(v, key->min, key->max, FIELD(base, key->off, long), err);
	case V_SIZE:
		return confval_size(v, (size_t)key->max, FIELD(base, key->off, size_t), err);
	case V_ADDRS:
		return confval_address_list(v, FIELD(base, key->off, struct strlist), err);
	case V_UNSIGNED:
	case V_LONG:
	case V_INT:
		if (confval_uint(v, (unsigned long)key->min, (unsigned long)key->max, &u, err) < 0)
			return -1;
		if (key->type == V_UNSIGNED)
			*FIELD(base, key->off, unsigned) = (unsigned)u;
		else if (key->type == V_LONG)
			*FIELD(base, key->off, long) = (long)u;
		else
			*FIELD(base, key->off, int) = (int)u;
		return 0;
	}
	return -1;
}

/* ---- defaults and freeing ----------------------------------------------- */

struct config *config_new_defaults(const char *path)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	cfg->mailbox.idle = true;
	cfg->mailbox.poll_interval = 60;
	cfg->mailbox.after_filing = AFTER_FLAG;
	cfg->mailbox.alarm_after = 30 * 60;
	cfg->mailbox.timeout = 60;
	cfg->smtp.timeout = 60;
	cfg->spool_dir = xstrdup("/var/lib/intaked");
	cfg->log_target = xstrdup("stderr");
	cfg->limits = (struct limits_config){
		.max_message_size = 64 * MIB,
		.max_attachment_size = 32 * MIB,
		.max_unpacked_size = 256 * MIB,
		.max_unpack_ratio = 100,
		.max_zip_entries = 10000,
		.max_xml_depth = 256,
		.max_mime_parts = 10000,
		.max_mime_depth = 100,
		.extract_timeout = 60,
		.worker_memory = 1 * GIB,
	};
	return cfg;
}

void config_call_defaults(struct call_config *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->late = LATE_FLAG;
	c->require_auth = REQUIRE_AUTH_NONE;
	c->ack_unknown = true;
	c->ack_per_sender_per_day = 5;
	/* Every UN member state answering in the deadline's last hour, with
	 * no roster at all; a flood of strangers gets no more than that. */
	c->ack_unknown_per_hour = 200;
	c->remind = REMIND_MISSING;
	c->digest_minute = -1;
	c->language = xstrdup("en");
}

static void oauth_free(struct oauth_config *o)
{
	free(o->token_url);
	free(o->client_id);
	config_wipe_secret(&o->client_secret);
	free(o->refresh_token_file);
	free(o->token_ca_file);
	free(o->device_auth_url);
	free(o->auth_url);
	free(o->scope);
	free(o->client_cert_file);
	free(o->client_key_file);
}

static void call_free(struct call_config *c)
{
	free(c->name);
	free(c->title);
	strlist_free(&c->match_to);
	strlist_free(&c->match_subject);
	free(c->zone);
	for (size_t i = 0; i < c->n_extensions; i++)
		free(c->extensions[i].member);
	free(c->extensions);
	free(c->roster_path);
	roster_free(&c->roster);
	strlist_free(&c->coordinators);
	free(c->reminders);
	free(c->language);
	free(c->ack_template);
	free(c->reminder_template);
	free(c->digest_template);
}

void config_free(struct config **cfgp)
{
	struct config *cfg = *cfgp;
	if (cfg == NULL)
		return;
	struct mailbox_config *mc = &cfg->mailbox;
	free(mc->url);
	free(mc->host);
	strlist_free(&mc->folders);
	strlist_free(&mc->authserv_id);
	free(mc->user);
	config_wipe_secret(&mc->password);
	oauth_free(&mc->oauth);
	free(mc->ca_file);
	free(mc->move_to);
	struct smtp_config *sc = &cfg->smtp;
	free(sc->url);
	free(sc->host);
	free(sc->sendmail);
	free(sc->user);
	config_wipe_secret(&sc->password);
	oauth_free(&sc->oauth);
	free(sc->ca_file);
	free(sc->from);
	free(sc->from_addr);
	strlist_free(&sc->operators);
	free(cfg->spool_dir);
	for (size_t i = 0; i < cfg->ncalls; i++)
		call_free(&cfg->calls[i]);
	free(cfg->calls);
	free(cfg->log_target);
	free(cfg->path);
	free(cfg);
	*cfgp = NULL;
}
