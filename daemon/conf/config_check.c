/* config_check.c — rules that span keys (required keys, auth methods,
 * rosters, extensions) and the --check-config summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_impl.h"
#include "intaked/confval.h"
#include "intaked/roster.h"
#include "intaked/tztime.h"

static struct config_section *find_section(struct config_load *ld, enum config_section_kind k)
{
	for (size_t i = 0; i < ld->nsections; i++)
		if (ld->sections[i].kind == k)
			return &ld->sections[i];
	return NULL;
}

static bool given(const struct config_section *sec, const char *key)
{
	return config_key_line(sec, key) != 0;
}

static void need(struct config_load *ld, struct config_section *sec, const char *key)
{
	if (!given(sec, key))
		config_fail(ld, sec->line, sec, NULL, "%s is required", key);
}

const char *auth_method_name(enum auth_method a)
{
	return a == AUTH_XOAUTH2 ? "xoauth2" : a == AUTH_OAUTHBEARER ? "oauthbearer" : "password";
}

const char *oauth_grant_name(enum oauth_grant_type g)
{
	return g == GRANT_CLIENT_CREDENTIALS ? "client_credentials" : "refresh_token";
}

static const char *const oauth_keys[] = {
	"token_url", "client_id", "client_secret_file", "refresh_token_file", "token_ca_file",
	"grant", "device_auth_url", "scope", "client_certificate_file", "client_key_file",
	"auth_url",
};
#define NOAUTH_KEYS (sizeof(oauth_keys) / sizeof(oauth_keys[0]))

static void refuse(struct config_load *ld, struct config_section *sec, const char *key,
		   const char *why)
{
	if (given(sec, key))
		config_fail(ld, config_key_line(sec, key), sec, key, "%s", why);
}

/* The OAuth keys a grant needs: a refresh token, or the client's own
 * credentials (a secret, or a certificate and its key). */
static void check_grant(struct config_load *ld, struct config_section *sec,
			const struct oauth_config *oc)
{
	need(ld, sec, "token_url");
	need(ld, sec, "client_id");
	if (given(sec, "client_certificate_file") != given(sec, "client_key_file"))
		config_fail(ld, sec->line, sec, NULL,
			    "client_certificate_file and client_key_file go together");
	if (oc->grant == GRANT_REFRESH_TOKEN) {
		need(ld, sec, "refresh_token_file");
		return;
	}
	refuse(ld, sec, "refresh_token_file", "not used with grant = client_credentials");
	refuse(ld, sec, "device_auth_url", "not used with grant = client_credentials");
	refuse(ld, sec, "auth_url", "not used with grant = client_credentials");
	if (!given(sec, "client_secret_file") && !given(sec, "client_certificate_file"))
		config_fail(ld, sec->line, sec, NULL, "grant = client_credentials needs "
			    "client_secret_file or client_certificate_file and client_key_file");
}

/* password or OAuth (xoauth2, oauthbearer), with exactly the keys each
 * one uses. */
static void check_auth(struct config_load *ld, struct config_section *sec,
		       enum auth_method auth, const struct oauth_config *oc)
{
	if (auth == AUTH_PASSWORD) {
		need(ld, sec, "password_file");
		for (size_t i = 0; i < NOAUTH_KEYS; i++)
			refuse(ld, sec, oauth_keys[i], "only used with auth = xoauth2 or oauthbearer");
		return;
	}
	if (given(sec, "password_file"))
		config_fail(ld, config_key_line(sec, "password_file"), sec, "password_file",
			    "not used with auth = %s", auth_method_name(auth));
	check_grant(ld, sec, oc);
}

static char *dup_secret(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* [smtp] auth = xoauth2 or oauthbearer without any token key: the
 * mailbox's token settings, so that one sign-in serves IMAP and SMTP. */
static bool share_mailbox_oauth(struct config_load *ld, struct config_section *sec)
{
	struct smtp_config *sc = &ld->cfg->smtp;
	const struct mailbox_config *mc = &ld->cfg->mailbox;
	for (size_t i = 0; i < NOAUTH_KEYS; i++)
		if (given(sec, oauth_keys[i]))
			return false;
	if (!auth_is_oauth(mc->auth)) {
		config_fail(ld, config_key_line(sec, "auth"), sec, "auth", "token_url is required "
			    "(or [mailbox] auth = xoauth2 or oauthbearer, whose settings are used)");
		return true;
	}
	const struct oauth_config *m = &mc->oauth;
	sc->oauth = (struct oauth_config){
		.grant = m->grant, .token_url = xstrdup(m->token_url),
		.device_auth_url = xstrdup(m->device_auth_url), .scope = xstrdup(m->scope),
		.auth_url = xstrdup(m->auth_url),
		.client_id = xstrdup(m->client_id), .client_secret = dup_secret(m->client_secret),
		.client_cert_file = xstrdup(m->client_cert_file),
		.client_key_file = xstrdup(m->client_key_file),
		.refresh_token_file = xstrdup(m->refresh_token_file),
		.token_ca_file = xstrdup(m->token_ca_file),
	};
	sc->oauth_shared = true;
	if (sc->user == NULL)
		sc->user = xstrdup(mc->user);
	refuse(ld, sec, "password_file", "not used with auth = xoauth2 or oauthbearer");
	return true;
}

static void finish_mailbox(struct config_load *ld, struct config_section *sec)
{
	struct mailbox_config *mc = &ld->cfg->mailbox;
	need(ld, sec, "url");
	need(ld, sec, "user");
	check_auth(ld, sec, mc->auth, &mc->oauth);
	if (ld->url_folder != NULL) { /* the URL's folder first, then "folders =" */
		struct strlist all = { 0 };
		strlist_push(&all, ld->url_folder);
		for (size_t i = 0; i < mc->folders.n; i++)
			if (!strlist_contains_ci(&all, mc->folders.v[i]))
				strlist_push(&all, mc->folders.v[i]);
		strlist_free(&mc->folders);
		mc->folders = all;
	}
	if (mc->folders.n == 0)
		strlist_push(&mc->folders, "INBOX");
	if (mc->after_filing == AFTER_MOVE && strlist_contains_ci(&mc->folders, mc->move_to))
		config_fail(ld, config_key_line(sec, "after_filing"), sec, "after_filing",
			    "'%s' is a watched folder: filed mail would be read again", mc->move_to);
}

/* The first of keys given in sec is refused: "not used with WHY". */
static void refuse_keys(struct config_load *ld, struct config_section *sec,
			const char *const *keys, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++)
		if (given(sec, keys[i])) {
			config_fail(ld, config_key_line(sec, keys[i]), sec, keys[i],
				    "not used with %s", why);
			return;
		}
}

static const char *const smtp_credential_keys[] = {
	"user", "password_file", "auth", "token_url", "client_id", "client_secret_file",
	"refresh_token_file", "token_ca_file",
};
#define N_CREDENTIAL_KEYS (sizeof(smtp_credential_keys) / sizeof(smtp_credential_keys[0]))

/* url = sendmail: hands mail to the local MTA's sendmail(8): none of the
 * network keys apply, and the program must be there. */
static void check_sendmail(struct config_load *ld, struct config_section *sec)
{
	static const char *const other[] = { "ca_file", "tls" };
	struct smtp_config *sc = &ld->cfg->smtp;
	refuse_keys(ld, sec, smtp_credential_keys, N_CREDENTIAL_KEYS, "url = sendmail:");
	refuse_keys(ld, sec, other, 2, "url = sendmail:");
	if (!ld->failed && !given(sec, "sendmail") && access(sc->sendmail, X_OK) < 0)
		config_fail(ld, config_key_line(sec, "url"), sec, "url",
			    "%s is not an executable file (set sendmail = PATH)", sc->sendmail);
}

/* tls = none: plain text, so only to this host (nothing crosses a network)
 * and never with credentials, which would travel in clear. */
static void check_plaintext(struct config_load *ld, struct config_section *sec)
{
	struct smtp_config *sc = &ld->cfg->smtp;
	int line = config_key_line(sec, "tls");
	if (sc->implicit_tls) {
		config_fail(ld, line, sec, "tls", "'none' is not possible with smtps://");
		return;
	}
	if (!confval_loopback_host(sc->host)) {
		config_fail(ld, line, sec, "tls", "'none' (no TLS) is only for a loopback server "
			    "(127.0.0.0/8, ::1, localhost), not %s", sc->host);
		return;
	}
	refuse_keys(ld, sec, smtp_credential_keys, N_CREDENTIAL_KEYS,
		    "tls = none (the credentials would travel in clear)");
	static const char *const ca[] = { "ca_file" };
	refuse_keys(ld, sec, ca, 1, "tls = none");
}

static void finish_smtp(struct config_load *ld, struct config_section *sec)
{
	struct smtp_config *sc = &ld->cfg->smtp;
	need(ld, sec, "url");
	need(ld, sec, "from");
	if (ld->failed)
		return;
	if (sc->sendmail != NULL && strcmp(sc->url, "sendmail:") != 0) {
		config_fail(ld, config_key_line(sec, "sendmail"), sec, "sendmail",
			    "only used with url = sendmail:");
		return;
	}
	if (sc->sendmail != NULL) {
		check_sendmail(ld, sec);
		return;
	}
	if (sc->plaintext) {
		check_plaintext(ld, sec);
		return;
	}
	/* No user: a relay that takes mail without AUTH. */
	if (auth_is_oauth(sc->auth) && share_mailbox_oauth(ld, sec))
		return;
	if (given(sec, "user") || auth_is_oauth(sc->auth)) {
		need(ld, sec, "user");
		check_auth(ld, sec, sc->auth, &sc->oauth);
	} else if (given(sec, "password_file")) {
		config_fail(ld, config_key_line(sec, "password_file"), sec, "password_file",
			    "given without 'user'");
	}
}

/* "a, b": every call that names roster path (one error, all its users). */
static char *calls_using_roster(const struct config *cfg, const char *path)
{
	struct buf b;
	buf_init(&b, 4096);
	for (size_t i = 0; i < cfg->ncalls; i++)
		if (cfg->calls[i].roster_path && strcmp(cfg->calls[i].roster_path, path) == 0)
			buf_printf(&b, "%s%s", b.len ? ", " : "", cfg->calls[i].name);
	buf_append(&b, "", 0);
	return buf_steal(&b);
}

static void load_roster(struct config_load *ld, struct config_section *sec,
			struct call_config *c)
{
	struct err e = { 0 };
	if (c->roster_path == NULL) {
		c->roster = roster_new_empty();
	} else if (roster_load(c->roster_path, &c->roster, &e) < 0) {
		char *users = calls_using_roster(ld->cfg, c->roster_path);
		config_fail(ld, config_key_line(sec, "roster"), sec, "roster", "%s (the roster "
			    "of: %s)", e.msg, users);
		free(users);
		c->roster = roster_new_empty();
	}
}

static void add_extension(struct config_load *ld, struct config_section *sec,
			  struct call_config *c, const char *value, int line)
{
	char *name = NULL, *when = NULL, *zone = NULL, *zone_used = NULL;
	struct err e = { 0 };
	time_t t;
	const struct roster_member *m = NULL;
	if (confval_extend(value, &name, &when, &zone, &e) < 0) {
		config_fail(ld, line, sec, "extend", "%s", e.msg);
		return;
	}
	char *spec = xasprintf("%s %s", when, zone ? zone : c->zone);
	if (c->roster_path == NULL)
		config_fail(ld, line, sec, "extend", "needs a roster (no 'roster =' in this call)");
	else if ((m = roster_find(c->roster, name)) == NULL)
		config_fail(ld, line, sec, "extend", "no member named '%s' in %s", name,
			    c->roster_path);
	else if (confval_datetime_zone(spec, &t, &zone_used, &e) < 0)
		config_fail(ld, line, sec, "extend", "%s", e.msg);
	else if (t <= c->deadline)
		config_fail(ld, line, sec, "extend", "%s is not after the deadline", when);
	else if (config_deadline_for(c, m->name) != c->deadline)
		config_fail(ld, line, sec, "extend", "'%s' is extended twice", m->name);
	else {
		c->extensions = xreallocarray(c->extensions, c->n_extensions + 1,
					      sizeof(*c->extensions));
		c->extensions[c->n_extensions].member = xstrdup(m->name);
		c->extensions[c->n_extensions++].deadline = t;
	}
	free(spec);
	free(zone_used);
	free(name);
	free(when);
	free(zone);
}

static void finish_call(struct config_load *ld, struct config_section *sec)
{
	struct call_config *c = &ld->cfg->calls[sec->call];
	need(ld, sec, "deadline");
	if (!given(sec, "match_to") && !given(sec, "match_subject"))
		config_fail(ld, sec->line, sec, NULL, "match_to or match_subject is required");
	if (ld->failed)
		return;
	if (c->has_opens && c->opens >= c->deadline)
		config_fail(ld, config_key_line(sec, "opens"), sec, "opens",
			    "not before the deadline");
	if (c->title == NULL)
		c->title = xstrdup(c->name);
	/* Without the name of our own receiving server any sender could
	 * write the header that verifies him (RFC 8601 §5). */
	if (c->require_auth == REQUIRE_AUTH_DMARC && ld->cfg->mailbox.authserv_id.n == 0)
		config_fail(ld, config_key_line(sec, "require_auth"), sec, "require_auth",
			    "dmarc needs [mailbox] authserv_id, the receiving servers whose "
			    "Authentication-Results count");
	load_roster(ld, sec, c);
	const struct config_extends *x = &ld->extends[sec->call];
	for (size_t i = 0; i < x->values.n && !ld->failed; i++)
		add_extension(ld, sec, c, x->values.v[i], x->lines[i]);
}

void config_finish(struct config_load *ld)
{
	struct config_section *mbox = find_section(ld, SEC_MAILBOX);
	struct config_section *smtp = find_section(ld, SEC_SMTP);
	if (mbox == NULL)
		config_fail(ld, 0, NULL, NULL, "the [mailbox] section is required");
	else if (smtp == NULL)
		config_fail(ld, 0, NULL, NULL, "the [smtp] section is required");
	else if (ld->cfg->ncalls == 0)
		config_fail(ld, 0, NULL, NULL, "no [call NAME] section: nothing to collect");
	if (ld->failed)
		return;
	finish_mailbox(ld, mbox);
	finish_smtp(ld, smtp);
	for (size_t i = 0; i < ld->nsections && !ld->failed; i++)
		if (ld->sections[i].kind == SEC_CALL)
			finish_call(ld, &ld->sections[i]);
	if (!ld->failed)
		config_check_sanity(ld);
}

/* ---- summary ------------------------------------------------------------ */

static const char *late_name(enum late_policy p)
{
	return p == LATE_ACCEPT ? "accept" : p == LATE_REJECT ? "reject" : "flag";
}

static void print_instant(FILE *out, const char *label, time_t t, const char *zone)
{
	char local[64], utc[32];
	tztime_format_local(t, zone, local, sizeof(local));
	tztime_format_utc(t, utc, sizeof(utc));
	fprintf(out, "  %-13s %s (%s) = %s\n", label, local, zone, utc);
}

static void print_list(FILE *out, const struct strlist *l, const char *sep)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%s", i ? sep : "", l->v[i]);
}

static void print_call(const struct call_config *c, FILE *out)
{
	char d[32];
	fprintf(out, "\n[call %s] %s\n", c->name, c->title);
	print_instant(out, "deadline:", c->deadline, c->zone);
	if (c->has_opens)
		print_instant(out, "opens:", c->opens, c->zone);
	fprintf(out, "  %-13s %s\n", "grace:", confval_format_duration(c->grace, d, sizeof(d)));
	if (c->word_limit > 0)
		fprintf(out, "  %-13s %ld words\n", "word limit:", c->word_limit);
	else
		fprintf(out, "  %-13s none\n", "word limit:");
	fprintf(out, "  %-13s %s\n", "late:", late_name(c->late));
	fprintf(out, "  %-13s %s (%zu members)\n", "roster:",
		c->roster_path ? c->roster_path : "none", c->roster ? c->roster->n : 0);
	fprintf(out, "  %-13s ", "match:");
	if (c->match_to.n) {
		fprintf(out, "to ");
		print_list(out, &c->match_to, ", ");
	}
	for (size_t i = 0; i < c->match_subject.n; i++)
		fprintf(out, "%ssubject contains \"%s\"", c->match_to.n || i ? "; " : "",
			c->match_subject.v[i]);
	fputc('\n', out);
	for (size_t i = 0; i < c->n_extensions; i++) {
		char local[64], utc[32];
		tztime_format_local(c->extensions[i].deadline, c->zone, local, sizeof(local));
		tztime_format_utc(c->extensions[i].deadline, utc, sizeof(utc));
		fprintf(out, "  %-13s %s until %s = %s\n", "extension:", c->extensions[i].member,
			local, utc);
	}
	fprintf(out, "  %-13s ", "reminders:");
	for (size_t i = 0; i < c->n_reminders; i++)
		fprintf(out, "%s%s", i ? ", " : "",
			confval_format_duration(c->reminders[i], d, sizeof(d)));
	fprintf(out, "%s\n", c->n_reminders == 0 ? "none"
			     : c->remind == REMIND_ALL ? " before the deadline, to all members"
						       : " before the deadline, to missing members");
	fprintf(out, "  %-13s ", "coordinators:");
	print_list(out, &c->coordinators, ", ");
	fprintf(out, "%s\n", c->coordinators.n ? "" : "none");
	if (c->digest_minute >= 0)
		fprintf(out, "  %-13s daily at %02d:%02d %s\n", "digest:", c->digest_minute / 60,
			c->digest_minute % 60, c->zone);
	else
		fprintf(out, "  %-13s none (digest_at not set)\n", "digest:");
	fprintf(out, "  %-13s %s; acknowledge unknown senders: %s; at most %d per sender "
		"per day; sender authentication: %s\n", "language:", c->language,
		c->ack_unknown ? "yes" : "no", c->ack_per_sender_per_day,
		c->require_auth == REQUIRE_AUTH_DMARC ? "dmarc" : "none");
}

void config_print_summary(const struct config *cfg, FILE *out)
{
	const struct mailbox_config *mc = &cfg->mailbox;
	const struct smtp_config *sc = &cfg->smtp;
	fprintf(out, "%s: configuration OK, %zu call%s\n", cfg->path, cfg->ncalls,
		cfg->ncalls == 1 ? "" : "s");
	fprintf(out, "mailbox: %s://%s:%d user %s (%s), folders ",
		mc->implicit_tls ? "imaps" : "imap", mc->host, mc->port, mc->user,
		auth_method_name(mc->auth));
	print_list(out, &mc->folders, ", ");
	fprintf(out, ", then %s%s\n", mc->after_filing == AFTER_MOVE ? "move to " : "flag",
		mc->after_filing == AFTER_MOVE ? mc->move_to : "");
	if (sc->sendmail != NULL)
		fprintf(out, "smtp:    sendmail: %s from %s\n", sc->sendmail, sc->from);
	else
		fprintf(out, "smtp:    %s%s from %s%s%s\n", sc->url,
			sc->plaintext ? " (no TLS)" : "", sc->from,
			sc->user ? " user " : " (no auth)", sc->user ? sc->user : "");
	fprintf(out, "spool:   %s\n", cfg->spool_dir);
	for (size_t i = 0; i < cfg->ncalls; i++)
		print_call(&cfg->calls[i], out);
}
