/* config.h — intaked.conf (INI, parsed with inih) and everything it names:
 * secrets, rosters, zones. A loaded config is complete and valid, or not
 * loaded at all. */
#ifndef INTAKED_CONFIG_H
#define INTAKED_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "intaked/err.h"
#include "intaked/util.h"

struct roster;

enum after_filing { AFTER_FLAG, AFTER_MOVE };
enum late_policy { LATE_ACCEPT, LATE_FLAG, LATE_REJECT };
enum remind_mode { REMIND_MISSING, REMIND_ALL };
enum require_auth { REQUIRE_AUTH_NONE, REQUIRE_AUTH_DMARC };
/* OAuth2 bearer tokens go out as SASL XOAUTH2 (Google's, also Microsoft's)
 * or OAUTHBEARER (RFC 7628); both use the [oauth_config] keys. */
enum auth_method { AUTH_PASSWORD, AUTH_XOAUTH2, AUTH_OAUTHBEARER };

static inline bool auth_is_oauth(enum auth_method a)
{
	return a == AUTH_XOAUTH2 || a == AUTH_OAUTHBEARER;
}

/* "password", "xoauth2" or "oauthbearer", as written in intaked.conf. */
const char *auth_method_name(enum auth_method a);

/* How intaked gets its access tokens: with a refresh token a person
 * obtained once (intakectl oauth login), or as the application itself
 * (client credentials: Microsoft 365 app-only access). */
enum oauth_grant_type { GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS };
/* "refresh_token" or "client_credentials", as written in intaked.conf. */
const char *oauth_grant_name(enum oauth_grant_type g);

/* OAuth2 client settings, shared by [mailbox] and [smtp]. */
struct oauth_config {
	enum oauth_grant_type grant;
	char *token_url;
	char *device_auth_url;    /* RFC 8628 endpoint, for intakectl oauth login */
	char *auth_url;           /* authorization endpoint, for oauth login --loopback */
	char *scope;              /* space-separated; NULL: not sent */
	char *client_id;
	char *client_secret;      /* read from client_secret_file */
	char *client_cert_file;   /* with client_key_file: private_key_jwt */
	char *client_key_file;
	char *refresh_token_file; /* rewritten atomically when rotated */
	char *token_ca_file;      /* CAs for token_url; NULL: system store */
};

struct mailbox_config {
	char *url;                /* as written */
	char *host;
	int port;
	bool implicit_tls;        /* imaps:// ; imap:// means STARTTLS required */
	struct strlist folders;   /* from the URL path and/or "folders =" */
	char *user;
	char *password;           /* secret, wiped on free; NULL with OAuth */
	enum auth_method auth;
	struct oauth_config oauth;
	char *ca_file;            /* NULL: system store */
	bool idle;
	long poll_interval;       /* seconds */
	enum after_filing after_filing;
	char *move_to;            /* with AFTER_MOVE */
	long alarm_after;         /* seconds */
	bool ack_unmatched;
	long timeout;             /* per read/write, seconds (default 60) */
	struct strlist authserv_id; /* receiving servers whose Authentication-
				     * Results count (RFC 8601), lower-case */
};

#define SMTP_SENDMAIL_DEFAULT "/usr/sbin/sendmail"

struct smtp_config {
	char *url;                /* normalised, port spelled out (libcurl would
				   * take 25 for smtp://): "smtp://host:587",
				   * "smtps://[::1]:465"; or "sendmail:" */
	char *host;               /* NULL for sendmail: */
	int port;                 /* default 587 (smtp), 465 (smtps) */
	bool implicit_tls;        /* smtps:// ; smtp:// means STARTTLS required */
	bool plaintext;           /* tls = none: smtp:// to loopback, no TLS, no AUTH */
	char *sendmail;           /* url = sendmail: the program (absolute path,
				   * default /usr/sbin/sendmail); else NULL */
	char *user;
	char *password;           /* secret */
	enum auth_method auth;
	struct oauth_config oauth;
	bool oauth_shared;        /* oauth copied from [mailbox]: one token set */
	char *ca_file;
	char *from;               /* header value as written: "Name <addr>" */
	char *from_addr;          /* bare, lower-case */
	struct strlist operators; /* alarm recipients */
	long timeout;
	unsigned session_max;     /* messages per SMTP session, then a fresh one */
};

/* Hard limits for parsing and extraction; every one has a safe default. */
/* [limits] workers: analysis children at most (worker_pool.h). */
#define CONFIG_WORKERS_MAX 16

struct limits_config {
	size_t max_message_size;     /* bigger messages are quarantined */
	size_t max_attachment_size;  /* bigger documents: error "too_large" */
	size_t max_unpacked_size;    /* total bytes decompressed per document */
	unsigned max_unpack_ratio;   /* decompressed/compressed */
	unsigned max_zip_entries;
	unsigned max_xml_depth;
	unsigned max_mime_parts;
	unsigned max_mime_depth;
	long extract_timeout;        /* seconds per message (whole worker) */
	size_t worker_memory;        /* RLIMIT_AS of the worker, bytes */
	unsigned workers;            /* analysis children; 0: one per core */
};

struct extension {
	char *member;             /* the roster's spelling of the member's name */
	time_t deadline;
};

struct call_config {
	char *name;               /* [call NAME]; also the spool directory */
	char *title;
	struct strlist match_to;  /* lower-case addresses */
	struct strlist match_subject;
	bool has_opens;
	time_t opens;
	time_t deadline;
	char *zone;               /* IANA zone of the deadline line */
	long grace;               /* seconds */
	long word_limit;          /* 0: none */
	enum late_policy late;
	struct extension *extensions;
	size_t n_extensions;
	enum require_auth require_auth;
	bool ack_unknown;
	int ack_per_sender_per_day; /* 0: acknowledge nobody */
	int ack_unknown_per_hour;   /* call-wide, to senders the roster does not verify */
	char *roster_path;
	struct roster *roster;    /* loaded; never NULL (empty if no roster) */
	struct strlist coordinators;
	long *reminders;          /* seconds before the deadline, descending */
	size_t n_reminders;
	enum remind_mode remind;
	int digest_minute;        /* minutes after local midnight, -1: none */
	char *language;           /* "en" | "fr" | "es" */
	char *ack_template;       /* path or NULL */
	char *reminder_template;
	char *digest_template;
};

struct config {
	char *path;
	struct mailbox_config mailbox;
	struct smtp_config smtp;
	char *spool_dir;
	struct limits_config limits;
	struct call_config *calls;
	size_t ncalls;
	char *log_target;         /* "stderr" | "syslog" */
};

/* Load and validate path (and the secrets, rosters and templates it names;
 * relative paths are resolved against path's directory and stored
 * absolute). On error returns -1 with err->cls = ERR_CONFIG and one line:
 * "FILE:LINE: [section] key: problem", "FILE:LINE: [section]: key is
 * required" (LINE of the section header), "FILE:LINE: problem" (syntax) or
 * "FILE: problem" (whole file). *cfg_r is owned by the caller: config_free(). */
int config_load(const char *path, struct config **cfg_r, struct err *err);
void config_free(struct config **cfg);

const struct call_config *config_find_call(const struct config *cfg, const char *name);
/* The effective deadline for a roster member (an extension, or the call's). */
time_t config_deadline_for(const struct call_config *call, const char *member_name);
/* Human summary for --check-config. */
void config_print_summary(const struct config *cfg, FILE *out);

/* Read a secret file: refused if it is not a regular file or if group or
 * others may read it. Trailing newline stripped. Caller wipes and frees. */
int config_read_secret(const char *path, char **secret_r, struct err *err);
/* intakectl oauth login writes refresh_token_file: a configuration naming
 * one that does not exist yet loads when this is set (default: not). */
void config_allow_missing_token_file(bool allow);
/* explicit_bzero + free. */
void config_wipe_secret(char **secret);

#endif
