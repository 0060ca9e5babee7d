/* test_config.c — intaked.conf: every key and default, then one row per
 * error with the exact "FILE:LINE: [section] key: problem" it must give. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/config.h"
#include "intaked/fsio.h"
#include "intaked/roster.h"
#include "intaked/tztime.h"

static char dir[64];
static char conf[128];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void write_roster(void)
{
	write_file("roster.csv", "name,addresses\n"
		   "Bangladesh,\"@mofa.gov.bd;bangladesh@un.int\"\n"
		   "France,france@diplomatie.gouv.fr\n"
		   "C\xC3\xB4te d'Ivoire,@diplomatie.gouv.ci\n", 0644);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(conf, sizeof(conf), "%s/intaked.conf", dir);
	write_file("imap.secret", "secret-intake\n", 0600);
	write_file("smtp.secret", "smtp-pass\r\n", 0400);
	write_file("open.secret", "x\n", 0644);
	write_file("token.secret", "refresh-token\n", 0600);
	write_file("ack.txt", "Subject: Thanks\n\nReceived.\n", 0644);
	write_roster();
	write_file("bad-roster.csv", "name,addresses\nA,a@x.org\nB,oops\n", 0644);
	write_file("sendmail.sh", "#!/bin/sh\nexit 0\n", 0755);
	write_file("notexec.sh", "#!/bin/sh\nexit 0\n", 0644);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const files[] = {
		"imap.secret", "smtp.secret", "open.secret", "token.secret", "ack.txt",
		"roster.csv", "bad-roster.csv", "intaked.conf", "sendmail.sh", "notexec.sh",
	};
	char path[256];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	return rmdir(dir);
}

static time_t at(const char *iso)
{
	time_t t;
	assert_int_equal(tztime_parse_iso8601(iso, &t), 0);
	return t;
}

/* The SPEC §3 example, with paths relative to the config's directory. */
static const char full[] =
	"[mailbox]\n"
	"url = imaps://imap.example.org:993/INBOX    ; imap:// means STARTTLS required\n"
	"user = intake@example.org\n"
	"password_file = imap.secret\n"
	"idle = no\n"
	"poll_interval = 2m\n"
	"after_filing = move:Filed\n"
	"alarm_after = 1h\n"
	"ack_unmatched = yes\n"
	"folders = Inputs, INBOX\n"
	"timeout = 30s\n"
	"authserv_id = mx.example.org, MX2.example.org\n"
	"\n"
	"[smtp]\n"
	"url = smtp://smtp.example.org\n"
	"user = intake@example.org\n"
	"password_file = smtp.secret\n"
	"from = GCM Written Inputs <Inputs@Example.org>\n"
	"operators = postmaster@example.org, ops@example.org\n"
	"\n"
	"[spool]\n"
	"dir = spool\n"
	"[limits]\n"
	"max_message_size = 100M\n"
	"worker_memory = 2G\n"
	"max_zip_entries = 500\n"
	"extract_timeout = 2m\n"
	"[log]\n"
	"target = syslog\n"
	"\n"
	"[call imrf-2022]\n"
	"title = Progress Declaration, IMRF 2022\n"
	"match_to = Inputs+IMRF@example.org\n"
	"match_subject = [IMRF]\n"
	"match_subject = IMRF 2022\n"
	"opens = 2022-03-01 00:00 America/New_York\n"
	"deadline = 2022-03-29 18:00 America/New_York ; IANA zone, DST-correct\n"
	"grace = 15m\n"
	"word_limit = 5000\n"
	"late = reject\n"
	"extend = Bangladesh 2022-03-31 18:00\n"
	"extend = c\xC3\xB4te d'ivoire 2022-04-01 09:00 Europe/Paris\n"
	"require_auth = dmarc\n"
	"ack_unknown = no\n"
	"ack_per_sender_per_day = 3\n"
	"roster = roster.csv\n"
	"coordinators = expert1@example.org, expert2@example.org\n"
	"reminders = 3h, 7d, 1d\n"
	"remind = all\n"
	"digest_at = 08:00\n"
	"language = fr\n"
	"ack_template = ack.txt\n"
	"\n"
	"[call gcm-2023]\n"
	"match_subject = [GCM]\n"
	"deadline = 2023-01-15 12:00 Europe/Paris\n";

static struct config *load_ok(const char *text)
{
	struct config *cfg = NULL;
	struct err e = { 0 };
	write_file("intaked.conf", text, 0644);
	if (config_load(conf, &cfg, &e) != 0)
		fail_msg("refused: %s", e.msg);
	return cfg;
}

static void test_full(void **state)
{
	(void)state;
	struct config *cfg = load_ok(full);
	char path[256];
	const struct mailbox_config *mc = &cfg->mailbox;
	assert_string_equal(mc->host, "imap.example.org");
	assert_int_equal(mc->port, 993);
	assert_true(mc->implicit_tls);
	assert_int_equal(mc->folders.n, 2); /* the URL's INBOX first, once */
	assert_string_equal(mc->folders.v[0], "INBOX");
	assert_string_equal(mc->folders.v[1], "Inputs");
	assert_string_equal(mc->user, "intake@example.org");
	assert_string_equal(mc->password, "secret-intake");
	assert_int_equal(mc->auth, AUTH_PASSWORD);
	assert_false(mc->idle);
	assert_int_equal(mc->poll_interval, 120);
	assert_int_equal(mc->after_filing, AFTER_MOVE);
	assert_string_equal(mc->move_to, "Filed");
	assert_int_equal(mc->alarm_after, 3600);
	assert_true(mc->ack_unmatched);
	assert_int_equal(mc->timeout, 30);
	assert_int_equal(mc->authserv_id.n, 2);
	assert_string_equal(mc->authserv_id.v[1], "mx2.example.org");
	assert_null(mc->ca_file);

	const struct smtp_config *sc = &cfg->smtp;
	assert_string_equal(sc->url, "smtp://smtp.example.org:587");
	assert_int_equal(sc->port, 587);
	assert_false(sc->implicit_tls);
	assert_string_equal(sc->password, "smtp-pass"); /* CRLF stripped */
	assert_string_equal(sc->from, "GCM Written Inputs <Inputs@Example.org>");
	assert_string_equal(sc->from_addr, "inputs@example.org");
	assert_int_equal(sc->operators.n, 2);
	assert_int_equal(sc->timeout, 60);

	snprintf(path, sizeof(path), "%s/spool", dir);
	assert_string_equal(cfg->spool_dir, path);
	assert_string_equal(cfg->log_target, "syslog");
	assert_int_equal(cfg->limits.max_message_size, 100 << 20);
	assert_int_equal(cfg->limits.worker_memory, (size_t)2 << 30);
	assert_int_equal(cfg->limits.max_zip_entries, 500);
	assert_int_equal(cfg->limits.extract_timeout, 120);
	assert_int_equal(cfg->limits.max_attachment_size, 32 << 20); /* default */

	assert_int_equal(cfg->ncalls, 2);
	const struct call_config *c = config_find_call(cfg, "imrf-2022");
	assert_ptr_equal(c, &cfg->calls[0]);
	assert_string_equal(c->title, "Progress Declaration, IMRF 2022");
	assert_int_equal(c->match_to.n, 1);
	assert_string_equal(c->match_to.v[0], "inputs+imrf@example.org");
	assert_int_equal(c->match_subject.n, 2);
	assert_true(c->has_opens);
	assert_int_equal(c->opens, at("2022-03-01T05:00:00Z"));
	assert_int_equal(c->deadline, at("2022-03-29T22:00:00Z"));
	assert_string_equal(c->zone, "America/New_York");
	assert_int_equal(c->grace, 900);
	assert_int_equal(c->word_limit, 5000);
	assert_int_equal(c->late, LATE_REJECT);
	assert_int_equal(c->n_extensions, 2);
	assert_string_equal(c->extensions[0].member, "Bangladesh");
	assert_int_equal(c->extensions[0].deadline, at("2022-03-31T22:00:00Z"));
	assert_string_equal(c->extensions[1].member, "C\xC3\xB4te d'Ivoire"); /* roster's spelling */
	assert_int_equal(c->extensions[1].deadline, at("2022-04-01T07:00:00Z"));
	assert_int_equal(config_deadline_for(c, "Bangladesh"), at("2022-03-31T22:00:00Z"));
	assert_int_equal(config_deadline_for(c, "France"), c->deadline);
	assert_int_equal(config_deadline_for(c, NULL), c->deadline);
	assert_int_equal(c->require_auth, REQUIRE_AUTH_DMARC);
	assert_false(c->ack_unknown);
	assert_int_equal(c->ack_per_sender_per_day, 3);
	snprintf(path, sizeof(path), "%s/roster.csv", dir);
	assert_string_equal(c->roster_path, path);
	assert_int_equal(c->roster->n, 3);
	assert_int_equal(c->coordinators.n, 2);
	assert_int_equal(c->n_reminders, 3);
	assert_int_equal(c->reminders[0], 7 * 86400);
	assert_int_equal(c->reminders[2], 3 * 3600);
	assert_int_equal(c->remind, REMIND_ALL);
	assert_int_equal(c->digest_minute, 8 * 60);
	assert_string_equal(c->language, "fr");
	snprintf(path, sizeof(path), "%s/ack.txt", dir);
	assert_string_equal(c->ack_template, path);

	c = config_find_call(cfg, "gcm-2023");
	assert_non_null(c);
	assert_string_equal(c->title, "gcm-2023"); /* defaults to the name */
	assert_non_null(c->roster);                /* empty, never NULL */
	assert_int_equal(c->roster->n, 0);
	assert_null(config_find_call(cfg, "nope"));
	config_free(&cfg);
	assert_null(cfg);
}

static const char minimal[] =
	"[mailbox]\n"
	"url = imap://[::1]:10143\n"
	"user = intake@example.org\n"
	"password_file = imap.secret\n"
	"[smtp]\n"
	"url = smtps://[::1]\n"
	"from = inputs@example.org\n"
	"[call c1]\n"
	"match_to = inputs@example.org\n"
	"deadline = 2022-03-29 18:00 UTC\n";

static void test_defaults(void **state)
{
	(void)state;
	struct config *cfg = load_ok(minimal);
	const struct mailbox_config *mc = &cfg->mailbox;
	assert_string_equal(mc->host, "::1");
	assert_int_equal(mc->port, 10143);
	assert_false(mc->implicit_tls);
	assert_int_equal(mc->folders.n, 1);
	assert_string_equal(mc->folders.v[0], "INBOX");
	assert_true(mc->idle);
	assert_int_equal(mc->poll_interval, 60);
	assert_int_equal(mc->after_filing, AFTER_FLAG);
	assert_null(mc->move_to);
	assert_int_equal(mc->alarm_after, 1800);
	assert_false(mc->ack_unmatched);
	assert_int_equal(mc->timeout, 60);
	assert_string_equal(cfg->smtp.url, "smtps://[::1]:465");
	assert_true(cfg->smtp.implicit_tls);
	assert_null(cfg->smtp.user);
	assert_null(cfg->smtp.password);
	assert_string_equal(cfg->spool_dir, "/var/lib/intaked");
	assert_string_equal(cfg->log_target, "stderr");
	const struct limits_config *l = &cfg->limits;
	assert_int_equal(l->max_message_size, 64 << 20);
	assert_int_equal(l->max_attachment_size, 32 << 20);
	assert_int_equal(l->max_unpacked_size, 256 << 20);
	assert_int_equal(l->max_unpack_ratio, 100);
	assert_int_equal(l->max_zip_entries, 10000);
	assert_int_equal(l->max_xml_depth, 256);
	assert_int_equal(l->max_mime_parts, 10000);
	assert_int_equal(l->max_mime_depth, 100);
	assert_int_equal(l->extract_timeout, 60);
	assert_int_equal(l->worker_memory, (size_t)1 << 30);
	const struct call_config *c = &cfg->calls[0];
	assert_string_equal(c->title, "c1");
	assert_false(c->has_opens);
	assert_int_equal(c->grace, 0);
	assert_int_equal(c->word_limit, 0);
	assert_int_equal(c->late, LATE_FLAG);
	assert_int_equal(c->require_auth, REQUIRE_AUTH_NONE);
	assert_true(c->ack_unknown);
	assert_int_equal(c->ack_per_sender_per_day, 5);
	assert_int_equal(c->n_reminders, 0);
	assert_int_equal(c->remind, REMIND_MISSING);
	assert_int_equal(c->digest_minute, -1);
	assert_string_equal(c->language, "en");
	assert_null(c->ack_template);
	assert_int_equal(c->n_extensions, 0);
	config_free(&cfg);
}

/* Lines 1-7 of every error row; the call begins on line 8. */
#define BASE                                              \
	"[mailbox]\n"                                     \
	"url = imaps://127.0.0.1:10993/INBOX\n"           \
	"user = intake@example.org\n"                     \
	"password_file = imap.secret\n"                   \
	"[smtp]\n"                                        \
	"url = smtp://127.0.0.1:10587\n"                  \
	"from = Inputs <inputs@example.org>\n"
#define CALL                                              \
	"[call imrf-2022]\n"                              \
	"match_to = inputs+imrf@example.org\n"            \
	"deadline = 2022-03-29 18:00 America/New_York\n"  \
	"roster = roster.csv\n"

/* BASE with another [smtp] url (line 6); keys added from line 8. */
#define SMTP_URL(u)                                       \
	"[mailbox]\n"                                     \
	"url = imaps://127.0.0.1:10993/INBOX\n"           \
	"user = intake@example.org\n"                     \
	"password_file = imap.secret\n"                   \
	"[smtp]\n"                                        \
	"url = " u "\n"                                   \
	"from = Inputs <inputs@example.org>\n"

/* CONF and DIR in want stand for the paths of this run. */
struct bad_row {
	const char *text, *want;
};

static const struct bad_row bad_rows[] = {
	{ "", "CONF: the [mailbox] section is required" },
	{ BASE, "CONF: no [call NAME] section: nothing to collect" },
	/* Without our server's name any sender could write his own verdict. */
	{ BASE CALL "require_auth = dmarc\n", "CONF:12: [call imrf-2022] require_auth: dmarc "
	  "needs [mailbox] authserv_id" },
	{ "[smtp]\nurl = smtp://x.org\nfrom = a@x.org\n" CALL, "CONF: the [mailbox] section is required" },
	{ "url = imaps://x.org\n" BASE CALL, "CONF:1: url: key outside any section" },
	{ BASE CALL "[mail]\nx = 1\n", "CONF:12: unknown section [mail] (known: [mailbox], [smtp], "
	  "[spool], [limits], [log], [call NAME])" },
	{ BASE CALL "[mailbox]\n", "CONF:12: [mailbox] appears twice (first on line 1)" },
	{ BASE CALL CALL, "CONF:12: [call imrf-2022] appears twice (first on line 8)" },
	{ BASE CALL "[call  imrf-2022]\n", "CONF:12: [call  imrf-2022]: call 'imrf-2022' is defined "
	  "twice (first on line 8)" },
	{ BASE "[call IMRF 2022]\n", "CONF:8: [call IMRF 2022]: a call name must be 1-40" },
	{ BASE "[call ../etc]\n", "CONF:8: [call ../etc]: a call name must be" },
	{ BASE "[call]\n", "CONF:8: unknown section [call]" },
	{ BASE "[call x\n", "CONF:8: section header without ']'" },
	{ BASE "[call x] junk\n", "CONF:8: text after the section header" },
	{ BASE CALL "this line is wrong\n", "CONF:12: expected 'key = value' or '[section]'" },
	{ BASE CALL "colour = blue\n", "CONF:12: [call imrf-2022] colour: unknown key" },
	{ BASE CALL "grace = 15m\ngrace = 20m\n", "CONF:13: [call imrf-2022] grace: given twice "
	  "(first on line 12)" },
	{ BASE CALL "title =\n", "CONF:12: [call imrf-2022] title: empty value" },
	{ BASE CALL " title = indented is fine\n  cont\n", "CONF:13: expected 'key = value'" },
	/* [mailbox] */
	{ "[mailbox]\nurl = pop3://x.org\n", "CONF:2: [mailbox] url: 'pop3://x.org' is not an "
	  "imaps:// or imap:// URL" },
	{ "[mailbox]\nurl = imaps://user@x.org/\n", "CONF:2: [mailbox] url: no user name in the URL" },
	{ "[mailbox]\nurl = imaps://x.org:99999/\n", "CONF:2: [mailbox] url: bad port in URL" },
	{ BASE "poll_interval = soon\n", "CONF:8: [smtp] poll_interval: unknown key" },
	{ "[mailbox]\npoll_interval = soon\n", "CONF:2: [mailbox] poll_interval: 'soon' is not a "
	  "duration (like 30s, 15m, 3h, 7d)" },
	{ "[mailbox]\npoll_interval = 2d\n", "CONF:2: [mailbox] poll_interval: '2d' is out of "
	  "range (1s .. 1d)" },
	{ "[mailbox]\nidle = maybe\n", "CONF:2: [mailbox] idle: 'maybe' is not yes or no" },
	{ "[mailbox]\nafter_filing = delete\n", "CONF:2: [mailbox] after_filing: 'delete' is not "
	  "'flag' or 'move:FOLDER'" },
	{ "[mailbox]\nafter_filing = move:INBOX\nurl = imaps://x.org/INBOX\nuser = a@x.org\n"
	  "password_file = imap.secret\n[smtp]\nurl = smtp://x.org\nfrom = a@x.org\n" CALL,
	  "CONF:2: [mailbox] after_filing: 'INBOX' is a watched folder" },
	{ "[mailbox]\npassword_file = open.secret\n", "CONF:2: [mailbox] password_file: "
	  "DIR/open.secret is readable by group or others (chmod 600)" },
	{ "[mailbox]\npassword_file = missing.secret\n", "CONF:2: [mailbox] password_file: "
	  "cannot open DIR/missing.secret: No such file or directory" },
	{ "[mailbox]\npassword_file = /\n", "CONF:2: [mailbox] password_file: / is not a regular "
	  "file" },
	{ "[mailbox]\nca_file = nowhere.pem\n", "CONF:2: [mailbox] ca_file: cannot open "
	  "DIR/nowhere.pem" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\n[smtp]\n" CALL,
	  "CONF:1: [mailbox]: password_file is required" },
	{ "[mailbox]\nurl = imaps://x.org\npassword_file = imap.secret\n[smtp]\n" CALL,
	  "CONF:1: [mailbox]: user is required" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
	  "client_id = intaked\nrefresh_token_file = token.secret\n[smtp]\n" CALL,
	  "CONF:1: [mailbox]: token_url is required" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
	  "password_file = imap.secret\n[smtp]\n" CALL,
	  "CONF:5: [mailbox] password_file: not used with auth = xoauth2" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\npassword_file = imap.secret\n"
	  "client_id = x\n[smtp]\n" CALL, "CONF:5: [mailbox] client_id: only used with auth = xoauth2 or oauthbearer" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = oauthbearer\n"
	  "password_file = imap.secret\n[smtp]\n" CALL,
	  "CONF:5: [mailbox] password_file: not used with auth = oauthbearer" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\npassword_file = imap.secret\n"
	  "token_ca_file = imap.secret\n[smtp]\n" CALL,
	  "CONF:5: [mailbox] token_ca_file: only used with auth = xoauth2 or oauthbearer" },
	{ "[mailbox]\nauth = kerberos\n", "CONF:2: [mailbox] auth: 'kerberos' is not one of: "
	  "password, xoauth2, oauthbearer" },
	{ "[mailbox]\ntoken_url = http://auth.example.org/token\n",
	  "CONF:2: [mailbox] token_url: 'http://auth.example.org/token' must be an https:// URL" },
	{ "[mailbox]\nrefresh_token_file = open.secret\n", "CONF:2: [mailbox] refresh_token_file: "
	  "DIR/open.secret is readable by group or others" },
	/* grants (issue 13) */
	{ "[mailbox]\ngrant = password\n", "CONF:2: [mailbox] grant: 'password' is not one of: "
	  "refresh_token, client_credentials" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
	  "grant = client_credentials\ntoken_url = https://idp.example.org/token\n"
	  "client_id = intaked\n[smtp]\n" CALL,
	  "CONF:1: [mailbox]: grant = client_credentials needs client_secret_file or "
	  "client_certificate_file and client_key_file" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
	  "grant = client_credentials\ntoken_url = https://idp.example.org/token\n"
	  "client_id = intaked\nclient_secret_file = imap.secret\n"
	  "refresh_token_file = token.secret\n[smtp]\n" CALL,
	  "CONF:9: [mailbox] refresh_token_file: not used with grant = client_credentials" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
	  "token_url = https://idp.example.org/token\nclient_id = intaked\n"
	  "refresh_token_file = token.secret\nclient_key_file = imap.secret\n[smtp]\n" CALL,
	  "CONF:1: [mailbox]: client_certificate_file and client_key_file go together" },
	{ "[mailbox]\ndevice_auth_url = http://idp.example.org/devicecode\n",
	  "CONF:2: [mailbox] device_auth_url: 'http://idp.example.org/devicecode' must be an "
	  "https:// URL" },
	{ BASE "auth = xoauth2\n" CALL, "CONF:8: [smtp] auth: token_url is required (or "
	  "[mailbox] auth = xoauth2 or oauthbearer, whose settings are used)" },
	/* [smtp] */
	{ BASE "url = smtp://a.org\n", "CONF:8: [smtp] url: given twice (first on line 6)" },
	{ "[smtp]\nurl = http://x.org\n", "CONF:2: [smtp] url: 'http://x.org' is not an smtp:// "
	  "or smtps:// URL" },
	{ "[smtp]\nurl = smtp://x.org/helo\n", "CONF:2: [smtp] url: 'smtp://x.org/helo': an SMTP "
	  "URL has no path" },
	{ "[smtp]\nfrom = GCM Inputs\n", "CONF:2: [smtp] from: 'GCM Inputs' holds no valid address" },
	{ "[smtp]\noperators = ops@example.org, ops\n", "CONF:2: [smtp] operators: 'ops' is not "
	  "an address (user@domain)" },
	{ "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\npassword_file = imap.secret\n"
	  "[smtp]\nurl = smtp://x.org\n" CALL, "CONF:5: [smtp]: from is required" },
	{ BASE "password_file = smtp.secret\n" CALL, "CONF:8: [smtp] password_file: given without "
	  "'user'" },
	{ BASE "user = intake@example.org\n" CALL, "CONF:5: [smtp]: password_file is required" },
	/* [smtp] local submission: plain text only to loopback, never with
	 * credentials; sendmail: takes none of the SMTP keys. */
	{ SMTP_URL("smtp://192.0.2.7:25") "tls = none\n" CALL, "CONF:8: [smtp] tls: 'none' "
	  "(no TLS) is only for a loopback server (127.0.0.0/8, ::1, localhost), not 192.0.2.7" },
	{ SMTP_URL("smtp://127.0.0.1.example.org:25") "tls = none\n" CALL, "CONF:8: [smtp] tls: "
	  "'none' (no TLS) is only for a loopback server (127.0.0.0/8, ::1, localhost), "
	  "not 127.0.0.1.example.org" },
	{ SMTP_URL("smtp://[2001:db8::1]:25") "tls = none\n" CALL, "CONF:8: [smtp] tls: 'none' "
	  "(no TLS) is only for a loopback server" },
	{ SMTP_URL("smtps://127.0.0.1") "tls = none\n" CALL, "CONF:8: [smtp] tls: 'none' is "
	  "not possible with smtps://" },
	{ SMTP_URL("smtp://127.0.0.1:25") "tls = none\nuser = intake@example.org\n"
	  "password_file = smtp.secret\n" CALL, "CONF:9: [smtp] user: not used with tls = none "
	  "(the credentials would travel in clear)" },
	{ SMTP_URL("smtp://127.0.0.1:25") "tls = none\nca_file = ack.txt\n" CALL,
	  "CONF:9: [smtp] ca_file: not used with tls = none" },
	{ SMTP_URL("smtp://127.0.0.1:25") "tls = maybe\n" CALL, "CONF:8: [smtp] tls: 'maybe' is "
	  "not one of: required, none" },
	{ SMTP_URL("sendmail:") "user = intake@example.org\npassword_file = smtp.secret\n" CALL,
	  "CONF:8: [smtp] user: not used with url = sendmail:" },
	{ SMTP_URL("sendmail:") "tls = none\n" CALL, "CONF:8: [smtp] tls: not used with "
	  "url = sendmail:" },
	{ SMTP_URL("smtp://127.0.0.1:25") "sendmail = sendmail.sh\n" CALL, "CONF:8: [smtp] "
	  "sendmail: only used with url = sendmail:" },
	{ SMTP_URL("sendmail:") "sendmail = notexec.sh\n" CALL, "CONF:8: [smtp] sendmail: "
	  "DIR/notexec.sh is not an executable file" },
	{ SMTP_URL("sendmail:") "sendmail = missing.sh\n" CALL, "CONF:8: [smtp] sendmail: "
	  "DIR/missing.sh is not an executable file" },
	{ SMTP_URL("sendmail:/usr/lib/sendmail") CALL, "CONF:6: [smtp] url: "
	  "'sendmail:/usr/lib/sendmail': write url = sendmail: and sendmail = PATH" },
	/* [limits], [log] */
	{ "[limits]\nmax_message_size = lots\n", "CONF:2: [limits] max_message_size: 'lots' is not "
	  "a size (like 512K, 64M, 1G)" },
	{ "[limits]\nmax_mime_depth = 0\n", "CONF:2: [limits] max_mime_depth: '0' is out of range "
	  "(1 .. 1000)" },
	{ "[log]\ntarget = file\n", "CONF:2: [log] target: 'file' is not one of: stderr, syslog" },
	/* [call] */
	{ BASE "[call imrf-2022]\nmatch_to = inputs@example.org\n",
	  "CONF:8: [call imrf-2022]: deadline is required" },
	{ BASE "[call imrf-2022]\ndeadline = 2022-03-29 18:00 UTC\n",
	  "CONF:8: [call imrf-2022]: match_to or match_subject is required" },
	{ BASE "[call c]\ndeadline = 2022-03-29 18:00\n", "CONF:9: [call c] deadline: "
	  "'2022-03-29 18:00' is not \"YYYY-MM-DD HH:MM ZONE\" (the zone is required)" },
	{ BASE "[call c]\ndeadline = 2022-03-29 18:00 EDT\n", "CONF:9: [call c] deadline: 'EDT' is "
	  "not a time zone" },
	{ BASE "[call c]\ndeadline = 2022-03-13 02:30 America/New_York\n", "CONF:9: [call c] "
	  "deadline: '2022-03-13 02:30' is not a valid date and time in America/New_York" },
	{ BASE CALL "opens = 2022-04-01 00:00 UTC\n", "CONF:12: [call imrf-2022] opens: not before "
	  "the deadline" },
	{ BASE CALL "late = maybe\n", "CONF:12: [call imrf-2022] late: 'maybe' is not one of: "
	  "accept, flag, reject" },
	{ BASE CALL "language = de\n", "CONF:12: [call imrf-2022] language: 'de' is not one of: "
	  "en, fr, es" },
	{ BASE CALL "word_limit = -5\n", "CONF:12: [call imrf-2022] word_limit: '-5' is not a "
	  "whole number" },
	{ BASE CALL "digest_at = 8am\n", "CONF:12: [call imrf-2022] digest_at: '8am' is not a time "
	  "of day" },
	{ BASE CALL "reminders = 7d, later\n", "CONF:12: [call imrf-2022] reminders: 'later' is "
	  "not a duration" },
	{ BASE CALL "coordinators = expert\n", "CONF:12: [call imrf-2022] coordinators: 'expert' is "
	  "not an address" },
	{ BASE CALL "ack_template = none.txt\n", "CONF:12: [call imrf-2022] ack_template: cannot "
	  "open DIR/none.txt" },
	{ BASE CALL "require_auth = spf\n", "CONF:12: [call imrf-2022] require_auth: 'spf' is not "
	  "one of: none, dmarc" },
	{ BASE CALL "extend = Atlantis 2022-03-31 18:00\n", "CONF:12: [call imrf-2022] extend: no "
	  "member named 'Atlantis' in DIR/roster.csv" },
	{ BASE CALL "extend = Bangladesh 2022-03-28 18:00\n", "CONF:12: [call imrf-2022] extend: "
	  "2022-03-28 18:00 is not after the deadline" },
	{ BASE CALL "extend = Bangladesh 2022-03-31 18:00\nextend = BANGLADESH 2022-04-02 18:00\n",
	  "CONF:13: [call imrf-2022] extend: 'Bangladesh' is extended twice" },
	{ BASE CALL "extend = Bangladesh 2022-03-31\n", "CONF:12: [call imrf-2022] extend: "
	  "'Bangladesh 2022-03-31' is not \"MEMBER YYYY-MM-DD HH:MM [ZONE]\"" },
	{ BASE "[call c]\nmatch_to = a@x.org\ndeadline = 2022-03-29 18:00 UTC\n"
	  "extend = Bangladesh 2022-03-31 18:00\n", "CONF:11: [call c] extend: needs a roster" },
	{ BASE CALL "extend = Bangladesh 2022-03-31 18:00 Mars/Base\n", "CONF:12: [call imrf-2022] "
	  "extend: 'Mars/Base' is not a time zone" },
	{ BASE "[call imrf-2022]\nmatch_to = inputs@example.org\n"
	  "deadline = 2022-03-29 18:00 UTC\nroster = missing.csv\n",
	  "CONF:11: [call imrf-2022] roster: cannot open roster DIR/missing.csv: No such file" },
	{ BASE "[call imrf-2022]\nmatch_to = inputs@example.org\n"
	  "deadline = 2022-03-29 18:00 UTC\nroster = bad-roster.csv\n",
	  "CONF:11: [call imrf-2022] roster: DIR/bad-roster.csv:3: 'oops' is neither an address "
	  "nor an @domain" },
};

/* s with CONF and DIR replaced. Caller frees. */
static char *expand(const char *s)
{
	struct buf b;
	buf_init(&b, 4096);
	for (const char *p = s; *p;) {
		if (strncmp(p, "CONF", 4) == 0) {
			buf_puts(&b, conf);
			p += 4;
		} else if (strncmp(p, "DIR", 3) == 0) {
			buf_puts(&b, dir);
			p += 3;
		} else {
			buf_append(&b, p++, 1);
		}
	}
	return buf_steal(&b);
}

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct config *cfg = NULL;
		struct err e = { 0 };
		write_file("intaked.conf", bad_rows[i].text, 0644);
		int rc = config_load(conf, &cfg, &e);
		char *want = expand(bad_rows[i].want);
		if (rc != -1 || cfg != NULL)
			fail_msg("row %zu accepted", i);
		if (e.cls != ERR_CONFIG || strncmp(e.msg, want, strlen(want)) != 0)
			fail_msg("row %zu:\n got  %s\n want %s...", i, e.msg, want);
		free(want);
	}
}

/* Local submission: sendmail(8), or smtp:// without TLS to loopback with
 * an explicit tls = none; without it smtp:// still means STARTTLS. */
static void test_local_submission(void **state)
{
	(void)state;
	struct config *cfg = load_ok(SMTP_URL("sendmail:") CALL);
	assert_string_equal(cfg->smtp.url, "sendmail:");
	assert_string_equal(cfg->smtp.sendmail, "/usr/sbin/sendmail");
	assert_false(cfg->smtp.plaintext);
	config_free(&cfg);

	cfg = load_ok(SMTP_URL("SendMail:") "sendmail = sendmail.sh\ntimeout = 20s\n" CALL);
	char *want = expand("DIR/sendmail.sh");
	assert_string_equal(cfg->smtp.sendmail, want);
	assert_int_equal(cfg->smtp.timeout, 20);
	free(want);
	config_free(&cfg);

	static const char *const loopback[] = {
		"smtp://127.0.0.1:25", "smtp://127.8.9.10", "smtp://[::1]:25", "smtp://LocalHost:25",
	};
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		char *text = xasprintf("[mailbox]\nurl = imaps://127.0.0.1:10993/INBOX\n"
				 "user = intake@example.org\npassword_file = imap.secret\n"
				 "[smtp]\nurl = %s\nfrom = a@example.org\ntls = none\n" CALL,
				 loopback[i]);
		cfg = load_ok(text);
		assert_true(cfg->smtp.plaintext);
		assert_null(cfg->smtp.sendmail);
		assert_null(cfg->smtp.user);
		config_free(&cfg);
		free(text);
	}

	cfg = load_ok(SMTP_URL("smtp://127.0.0.1:25") "tls = required\n" CALL);
	assert_false(cfg->smtp.plaintext); /* STARTTLS, as without the key */
	config_free(&cfg);
	cfg = load_ok(SMTP_URL("smtp://127.0.0.1:25") CALL);
	assert_false(cfg->smtp.plaintext);
	assert_null(cfg->smtp.sendmail);
	config_free(&cfg);
}

static void test_long_line(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1 << 20);
	buf_puts(&b, BASE CALL "title = ");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "x");
	buf_puts(&b, "\ncolour = red\n");
	struct config *cfg = NULL;
	struct err e = { 0 };
	write_file("intaked.conf", b.data, 0644);
	buf_free(&b);
	assert_int_equal(config_load(conf, &cfg, &e), -1);
	char *want = expand("CONF:12: line longer than 4096 bytes");
	assert_string_equal(e.msg, want);
	free(want);
	/* Long but within the limit: kept whole (inih alone would cut at 200). */
	buf_init(&b, 1 << 20);
	buf_puts(&b, BASE CALL "title = ");
	for (int i = 0; i < 3000; i++)
		buf_puts(&b, "y");
	buf_puts(&b, "\n");
	cfg = load_ok(b.data);
	buf_free(&b);
	assert_int_equal(strlen(cfg->calls[0].title), 3000);
	config_free(&cfg);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct config *cfg = NULL;
	struct err e = { 0 };
	assert_int_equal(config_load("/nonexistent/intaked.conf", &cfg, &e), -1);
	assert_int_equal(e.cls, ERR_CONFIG);
	assert_string_equal(e.msg, "/nonexistent/intaked.conf: cannot open: No such file or "
		"directory");
	assert_int_equal(config_load(dir, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
}

static void test_bom_and_crlf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1 << 16);
	buf_puts(&b, "\xEF\xBB\xBF");
	for (const char *p = minimal; *p; p++) {
		if (*p == '\n')
			buf_puts(&b, "\r");
		buf_append(&b, p, 1);
	}
	struct config *cfg = load_ok(b.data);
	buf_free(&b);
	assert_string_equal(cfg->mailbox.user, "intake@example.org");
	assert_string_equal(cfg->calls[0].zone, "UTC");
	config_free(&cfg);
}

static void test_read_secret(void **state)
{
	(void)state;
	static const struct { const char *content; mode_t mode; const char *want, *err; } rows[] = {
		{ "pw\n", 0600, "pw", NULL },
		{ "pw", 0400, "pw", NULL },
		{ "p w ;x\r\n", 0600, "p w ;x", NULL },
		{ "pw\n", 0640, NULL, "is readable by group or others (chmod 600)" },
		{ "pw\n", 0604, NULL, "is readable by group or others (chmod 600)" },
		{ "pw\n", 0620, NULL, "is writable by group or others (chmod 600)" },
		{ "", 0600, NULL, "must hold the secret on one line" },
		{ "\n", 0600, NULL, "must hold the secret on one line" },
		{ "pw\nsecond\n", 0600, NULL, "must hold the secret on one line" },
	};
	char path[256];
	snprintf(path, sizeof(path), "%s/t.secret", dir);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *secret = NULL;
		struct err e = { 0 };
		write_file("t.secret", rows[i].content, rows[i].mode);
		int rc = config_read_secret(path, &secret, &e);
		if (rows[i].want) {
			if (rc != 0)
				fail_msg("row %zu: %s", i, e.msg);
			assert_string_equal(secret, rows[i].want);
			config_wipe_secret(&secret);
			assert_null(secret);
		} else {
			assert_int_equal(rc, -1);
			assert_null(secret);
			if (strstr(e.msg, rows[i].err) == NULL || strncmp(e.msg, path, strlen(path)) != 0)
				fail_msg("row %zu: %s", i, e.msg);
		}
	}
	unlink(path);
	char *secret = NULL;
	struct err e = { 0 };
	assert_int_equal(config_read_secret(dir, &secret, &e), -1);
	assert_non_null(strstr(e.msg, "is not a regular file"));
}

static void test_summary(void **state)
{
	(void)state;
	struct config *cfg = load_ok(full);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	config_print_summary(cfg, f);
	fclose(f);
	static const char *const want[] = {
		"[call imrf-2022] Progress Declaration, IMRF 2022",
		"deadline:     2022-03-29 18:00 EDT (America/New_York) = 2022-03-29T22:00:00Z",
		"grace:        15m",
		"word limit:   5000 words",
		"late:         reject",
		"roster.csv (3 members)",
		"to inputs+imrf@example.org; subject contains \"[IMRF]\"; subject contains \"IMRF 2022\"",
		"Bangladesh until 2022-03-31 18:00 EDT = 2022-03-31T22:00:00Z",
		"7d, 1d, 3h before the deadline, to all members",
		"daily at 08:00 America/New_York",
		"[call gcm-2023] gcm-2023",
		"deadline:     2023-01-15 12:00 CET (Europe/Paris) = 2023-01-15T11:00:00Z",
		"word limit:   none",
		"none (digest_at not set)",
		"smtp:    smtp://smtp.example.org:587",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("summary lacks '%s':\n%s", want[i], text);
	/* Never a secret. */
	assert_null(strstr(text, "secret-intake"));
	assert_null(strstr(text, "smtp-pass"));
	free(text);
	config_free(&cfg);
}

/* contrib/intaked.conf and contrib/roster.csv (run from the source tree,
 * as "make unit" does) load, once their /etc paths point here. */
static void test_contrib_sample(void **state)
{
	(void)state;
	char *text = NULL, *roster = NULL;
	size_t len = 0;
	struct err e = { 0 };
	if (fsio_read_file("contrib/intaked.conf", 1 << 20, &text, &len, &e) < 0 ||
	    fsio_read_file("contrib/roster.csv", 1 << 20, &roster, &len, &e) < 0)
		fail_msg("run from the source tree: %s", e.msg);
	write_file("roster.csv", roster, 0644);
	struct buf b;
	buf_init(&b, 1 << 20);
	for (const char *p = text; *p;) {
		if (strncmp(p, "/etc/intaked/", 13) == 0) {
			buf_puts(&b, dir);
			buf_puts(&b, "/");
			p += 13;
		} else if (strncmp(p, "/var/lib/intaked", 16) == 0) {
			buf_puts(&b, "spool");
			p += 16;
		} else {
			buf_append(&b, p++, 1);
		}
	}
	struct config *cfg = load_ok(b.data);
	assert_int_equal(cfg->ncalls, 1);
	assert_int_equal(cfg->calls[0].n_extensions, 2);
	assert_true(cfg->calls[0].roster->n >= 8);
	const struct roster_member *m = roster_find(cfg->calls[0].roster, "Bangladesh");
	assert_non_null(m);
	assert_true(strlist_contains_ci(&m->domains, "mofa.gov.bd"));
	assert_true(strlist_contains_ci(&m->addresses, "bangladesh@un.int"));
	assert_int_equal(cfg->calls[0].deadline, at("2022-03-29T22:00:00Z"));
	config_free(&cfg);
	buf_free(&b);
	free(text);
	free(roster);
	write_roster(); /* the usual one back */
}

/* [smtp] auth = xoauth2 with no token keys of its own: the mailbox's
 * token settings, and its user. */
static void test_smtp_shares_mailbox_oauth(void **state)
{
	(void)state;
	struct config *cfg = load_ok(
		"[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
		"token_url = https://idp.example.org/token\nclient_id = intaked\n"
		"scope = https://outlook.office365.com/.default\ngrant = client_credentials\n"
		"client_secret_file = imap.secret\n"
		"[smtp]\nurl = smtp://x.org\nfrom = a@x.org\nauth = oauthbearer\n" CALL);
	const struct smtp_config *sc = &cfg->smtp;
	assert_true(sc->oauth_shared);
	assert_int_equal(sc->oauth.grant, GRANT_CLIENT_CREDENTIALS);
	assert_string_equal(sc->oauth.token_url, "https://idp.example.org/token");
	assert_string_equal(sc->oauth.scope, "https://outlook.office365.com/.default");
	assert_string_equal(sc->oauth.client_secret, "secret-intake");
	assert_string_equal(sc->user, "a@x.org");
	assert_null(sc->oauth.refresh_token_file);
	config_free(&cfg);
}

/* intakectl oauth login loads a configuration whose refresh token file
 * it is about to write; nothing else does. */
static void test_missing_token_file_for_login(void **state)
{
	(void)state;
	const char *text = "[mailbox]\nurl = imaps://x.org\nuser = a@x.org\nauth = xoauth2\n"
			   "token_url = https://idp.example.org/token\nclient_id = intaked\n"
			   "device_auth_url = https://idp.example.org/devicecode\n"
			   "refresh_token_file = not-yet.token\n"
			   "[smtp]\nurl = smtp://x.org\nfrom = a@x.org\n" CALL;
	write_file("intaked.conf", text, 0644);
	struct config *cfg = NULL;
	struct err e = { 0 };
	assert_int_equal(config_load(conf, &cfg, &e), -1);
	assert_non_null(strstr(e.msg, "not-yet.token"));
	config_allow_missing_token_file(true);
	int rc = config_load(conf, &cfg, &e);
	config_allow_missing_token_file(false);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(cfg->mailbox.oauth.refresh_token_file, "/not-yet.token"));
	assert_string_equal(cfg->mailbox.oauth.device_auth_url,
			    "https://idp.example.org/devicecode");
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_shares_mailbox_oauth),
		cmocka_unit_test(test_missing_token_file_for_login),
		cmocka_unit_test(test_full),         cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),       cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_missing_file), cmocka_unit_test(test_bom_and_crlf),
		cmocka_unit_test(test_read_secret),  cmocka_unit_test(test_summary),
		cmocka_unit_test(test_contrib_sample), cmocka_unit_test(test_local_submission),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
