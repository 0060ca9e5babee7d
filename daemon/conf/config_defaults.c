/* config_defaults.c — a struct config's life: the defaults it starts
 * with before the file is read, and freeing it. */
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "intaked/roster.h"

#define KIB 1024L
#define MIB (1024L * KIB)
#define GIB (1024L * MIB)
#define DAY 86400L

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
	cfg->smtp.session_max = 100;
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
