/* config_keys.c — the keys of each section and the values that need more
 * than a type's check (config_set.c stores the plain ones). */
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

/* "auto": one analysis child per core (worker_pool.c); else 1..16. */
static int set_workers(struct config_load *ld, struct config_section *sec, void *base,
		       const struct config_key *key, const char *v, struct err *err)
{
	unsigned long n = 0;
	(void)ld;
	(void)sec;
	if (strcmp(v, "auto") != 0 && confval_uint(v, 1, CONFIG_WORKERS_MAX, &n, err) < 0) {
		err_set(err, ERR_CONFIG, "expected auto or a number from 1 to %d", CONFIG_WORKERS_MAX);
		return -1;
	}
	*FIELD(base, key->off, unsigned) = (unsigned)n;
	return 0;
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
	K("session_max", V_UNSIGNED, struct smtp_config, session_max, 1, 10000),
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
	KF("workers", struct limits_config, workers, set_workers),
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
