/* intakectl.c — the operator's and coordinator's tool (man/intakectl.1):
 * options, the command table, help, exit status. The commands are in
 * ctl*.c and publish*.c, on top of the daemon's modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intaked/config.h"
#include "ctl.h"
#include "intaked/log.h"
#include "intaked/text.h"
#include "intaked/tztime.h"

#define DEFAULT_CONFIG "/etc/intaked/intaked.conf"

/* Options a command may take. */
enum {
	F_JSON = 1 << 0,
	F_FORMAT = 1 << 1,
	F_SEND = 1 << 2,
	F_DRY_RUN = 1 << 3,
	F_PUBLISH = 1 << 4,       /* --no-late --no-rejected --include-unverified */
	F_FILTER = 1 << 5,        /* --current --late --over-limit --unverified --unreadable --since */
	F_OPTARG = 1 << 6,        /* one more positional argument may follow */
	F_LOOPBACK = 1 << 7,      /* --loopback */
	F_OUTPUT = 1 << 8,        /* -o FILE, --output FILE, --no-bom (export) */
	F_DIFF = 1 << 9,          /* --html -o FILE */
	F_COMPILE = 1 << 10,      /* --order name|received --include-late */
};

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	size_t npos;              /* positional arguments (F_OPTARG: one more may follow) */
	unsigned flags;
	int (*run)(struct ctl *c, const struct ctl_args *a);
};

static const struct command commands[] = {
	{ "status", "status",
	  "How the service is doing: whether intaked runs on the spool, the last\n"
	  "entry filed, what the spool holds, the outbox (queued, being retried,\n"
	  "failed), and each call's deadline, next reminder and next digest.\n",
	  0, 0, ctl_cmd_status },
	{ "calls", "calls",
	  "The configured calls: name, title, deadline, submitters (of the roster)\n"
	  "and submissions filed so far.\n",
	  0, 0, ctl_cmd_calls },
	{ "list", "list CALL [--current] [--late] [--over-limit] [--unverified] [--unreadable]\n"
		  "       [--since DATE] [--json]",
	  "The submissions to CALL, one line per submitter and version: id (its\n"
	  "first 21 characters; show takes any unambiguous prefix), submitter,\n"
	  "version (superseded ones marked old), when received in the call's zone,\n"
	  "status, words against the limit (! a document could not be read) and\n"
	  "the acknowledgement. Filters keep the versions that match all of them:\n"
	  "  --current      the latest version of each submitter\n"
	  "  --late         received after the deadline (and grace, extension)\n"
	  "  --over-limit   over the word limit\n"
	  "  --unverified   senders the roster does not verify\n"
	  "  --unreadable   with a document that could not be read\n"
	  "  --since DATE   received at or after DATE: 2022-03-28 (midnight in the\n"
	  "                 call's zone), \"2022-03-28 09:00\", or ISO 8601 with a zone\n"
	  "  --json         the same as a JSON array\n",
	  1, F_JSON | F_FILTER, ctl_cmd_list },
	{ "show", "show ID",
	  "Everything about one entry of the spool (a submission, or unmatched,\n"
	  "ignored or quarantined mail), found by the id in its metadata.json:\n"
	  "metadata, documents and word counts, errors, the acknowledgement, and\n"
	  "the paths in the spool.\n",
	  1, 0, ctl_cmd_show },
	{ "diff", "diff ID [--html] [-o FILE]",
	  "What changed between version ID (an id, an unambiguous prefix of one,\n"
	  "or calls/CALL/SLUG/vN) and the version it supersedes, word by word,\n"
	  "compared by their counted text (text.txt; body.txt for entries filed\n"
	  "before it was kept). Changed paragraphs are shown whole, unchanged ones\n"
	  "as \"…\"; removed words [-like this-], added {+like this+} (coloured on a\n"
	  "terminal). Past 200000 words or 2000 changes, paragraphs are compared\n"
	  "whole instead.\n"
	  "  --html      an HTML page with <del> and <ins> instead\n"
	  "  -o FILE     write to FILE (replaced atomically) instead of standard output\n",
	  1, F_DIFF, ctl_cmd_diff },
	{ "missing", "missing CALL",
	  "The roster members of CALL who have not submitted anything yet, with\n"
	  "their addresses and deadline (an extension included).\n",
	  1, 0, ctl_cmd_missing },
	{ "export", "export CALL --format csv|json|xlsx [-o FILE] [--no-bom]",
	  "Every submission to CALL, one record per version, on standard output\n"
	  "or in FILE (replaced atomically).\n"
	  "  --format csv    RFC 4180 with a header line, the CSV of the digest;\n"
	  "                  UTF-8 with a byte order mark (for Excel)\n"
	  "  --format json   an array of the entries' metadata.json records\n"
	  "  --format xlsx   an Excel workbook (-o required): Submissions, Missing\n"
	  "                  and Unreadable sheets, dates in the call's zone\n"
	  "  -o, --output FILE   write FILE instead of standard output\n"
	  "  --no-bom        the CSV without the byte order mark\n",
	  1, F_FORMAT | F_OUTPUT, ctl_cmd_export },
	{ "digest", "digest CALL [--send]",
	  "Print the digest of CALL as it would be sent now.\n"
	  "  --send   also queue it for the call's coordinators\n",
	  1, F_SEND, ctl_cmd_digest },
	{ "remind", "remind CALL [--dry-run]",
	  "Queue the reminders of CALL that are due now (never after the deadline).\n"
	  "  --dry-run   only print who would be reminded\n",
	  1, F_DRY_RUN, ctl_cmd_remind },
	{ "resend-ack", "resend-ack ID",
	  "Queue the acknowledgement of entry ID again, to the original sender\n"
	  "(for example after a delivery failure); the daemon sends it on its next\n"
	  "pass and records the delivery in the entry's metadata.json.\n",
	  1, 0, ctl_cmd_resend_ack },
	{ "accept", "accept ID",
	  "Accept a submission held for a decision: one that failed sender\n"
	  "authentication (require_auth = dmarc) while its submitter has a verified\n"
	  "version. It becomes the current version; its metadata.json records when.\n",
	  1, 0, ctl_cmd_accept },
	{ "publish", "publish CALL OUTDIR [--columns LIST] [--intro FILE] [--template FILE]\n"
	  "        [--fragment] [--lang en,fr] [--originals] [--include-late] [--no-late]\n"
	  "        [--include-unverified]",
	  "Write a self-contained static site to OUTDIR/CALL: index.html listing the\n"
	  "current accepted version of each member (name, date received, documents\n"
	  "as PDF, language, words), the PDFs under files/, and submissions.json.\n"
	  "Documents are converted with LibreOffice (tracked changes accepted,\n"
	  "comments left out); a body-only input is published as text without\n"
	  "quoted lines and signature. OUTDIR/CALL is replaced atomically, and only\n"
	  "when every file in it is one publish wrote.\n"
	  "  --columns LIST    member,received,documents,language,words (the default),\n"
	  "                    any of them in any order\n"
	  "  --intro FILE      an introduction above the list (plain text, UTF-8;\n"
	  "                    blank lines part paragraphs)\n"
	  "  --template FILE   the site's own HTML page with placeholders {{list}},\n"
	  "                    {{title}}, {{heading}}, {{deadline}}, {{generated}},\n"
	  "                    {{lang}}, {{languages}}, {{css}} (man intakectl)\n"
	  "  --fragment        write only the list, fragment.html, for a CMS\n"
	  "  --lang LIST       one page per language (en, fr, es): index.LL.html\n"
	  "  --originals       also publish the original files\n"
	  "  --include-late    also list versions flagged late\n"
	  "  --no-late         leave out versions received after the deadline\n"
	  "  --no-rejected     (rejected versions are never listed; accepted)\n"
	  "  --include-unverified  also list senders the roster does not verify,\n"
	  "                    by address (never their display name), marked\n"
	  "                    \"unverified sender\"; without it they are left out\n"
	  "                    (--no-unverified, the old spelling of that, is accepted)\n"
	  "A member whose latest version is left out is shown with the latest\n"
	  "version that is not.\n",
	  2, F_PUBLISH, ctl_cmd_publish },
	{ "compile", "compile CALL OUT.pdf [--order name|received] [--include-late]",
	  "Write one PDF of the current accepted input of each member of CALL, as\n"
	  "co-facilitators circulate it: a cover (title, deadline, inputs received,\n"
	  "on time and late, date), a table of contents with page numbers, then\n"
	  "each input, opened by a band (member, received, words, language), with\n"
	  "a bookmark per member. Documents are included as PDF (.docx, .odt, .rtf\n"
	  "converted with LibreOffice); a message without documents is typeset from\n"
	  "its text. A document that cannot be read or converted gets a page that\n"
	  "says so. OUT.pdf is replaced atomically.\n"
	  "  --order name      English alphabetical order of the members (default)\n"
	  "  --order received  in the order the inputs were received\n"
	  "  --include-late    also inputs received after the deadline\n",
	  2, F_COMPILE, ctl_cmd_compile },
	{ "reindex", "reindex",
	  "Rebuild every calls/CALL/index.json from the spool entries alone.\n"
	  "Rebuilding an intact spool gives identical files.\n",
	  0, 0, ctl_cmd_reindex },
	{ "outbox", "outbox list | outbox retry ID | outbox drop ID",
	  "The outgoing mail waiting or failed, and an operator's hands on it.\n"
	  "  list       every queued, deferred and failed item: id, state, kind,\n"
	  "             recipient, attempts, age, next attempt, last error\n"
	  "  retry ID   make a queued or deferred item due now; a failed one goes\n"
	  "             back to the queue, due now\n"
	  "  drop ID    move a queued item to failed/ (\"dropped by operator\");\n"
	  "             nothing is deleted\n"
	  "Safe while intaked runs: a change waits for a flush under way.\n"
	  "Run it as the user intaked runs as.\n",
	  1, F_OPTARG, ctl_cmd_outbox },
	{ "oauth", "oauth login [--loopback]",
	  "Sign in once with the provider's device authorization grant (RFC 8628):\n"
	  "prints a URL and a code to enter there from any browser, waits for the\n"
	  "sign-in, and saves the refresh token to refresh_token_file (mode 0600).\n"
	  "Uses [mailbox]'s token settings (or [smtp]'s when only SMTP uses OAuth):\n"
	  "token_url, device_auth_url, client_id, scope. Run it as the user intaked\n"
	  "runs as.\n"
	  "  --loopback   the authorization-code flow instead (auth_url): open the\n"
	  "               URL printed in a browser that can reach this host's\n"
	  "               loopback (ssh -L PORT:127.0.0.1:PORT), for providers\n"
	  "               whose device flow refuses mail scopes (Gmail)\n",
	  1, F_LOOPBACK, ctl_cmd_oauth },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: intakectl [-c FILE] [-v] COMMAND [ARGUMENT ...]\n"
		     "       intakectl COMMAND --help\n"
		     "  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		     "  -v, --verbose       log to standard error (default: syslog)\n"
		     "      --now TIME      pretend the time is TIME (ISO 8601)\n"
		     "commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %s\n", commands[i].synopsis);
	fprintf(out, "exit status: 0 ok, 1 no such call or entry or failed, 64 usage,\n"
		     "74 spool or OUTDIR unreadable or unwritable, 78 configuration error\n");
}

static void command_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "usage: intakectl [-c FILE] %s\n\n%s", cmd->synopsis, cmd->help);
}

static int usage_error(const struct command *cmd, const char *fmt, const char *arg)
{
	fputs("intakectl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "usage: intakectl [-c FILE] %s\n", cmd->synopsis);
	else
		usage(stderr);
	return CTL_USAGE;
}

struct options {
	const char *config;
	int verbose;
	time_t now;
	bool help;
};

/* -c FILE, --config FILE, --config=FILE and the like: 1 if argv[*i] was a
 * global option (consumed, *i moved past its value), 0 if not, or
 * CTL_USAGE. */
static int global_option(int argc, char **argv, int *i, struct options *o)
{
	const char *arg = argv[*i], *val = NULL;
	bool config = strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0;
	bool now = strcmp(arg, "--now") == 0;
	if (strncmp(arg, "--config=", 9) == 0)
		val = arg + 9;
	else if (strncmp(arg, "--now=", 6) == 0)
		val = arg + 6;
	else if (strncmp(arg, "-c", 2) == 0 && arg[2] != '\0')
		val = arg + 2;
	if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
		o->verbose++;
		return 1;
	}
	if (val == NULL && !config && !now)
		return 0;
	if (val == NULL) {
		if (*i + 1 >= argc)
			return usage_error(NULL, "%s needs a value", arg);
		val = argv[++*i];
	}
	if (now || strncmp(arg, "--now", 5) == 0) {
		if (tztime_parse_iso8601(val, &o->now) < 0)
			return usage_error(NULL, "--now: not an ISO 8601 time: %s", val);
	} else {
		o->config = val;
	}
	return 1;
}

/* -o FILE, -oFILE, --output FILE, --output=FILE: 1 taken, 0 not it, or
 * CTL_USAGE. */
static int output_option(const struct command *cmd, int argc, char **argv, int *i,
			 struct ctl_args *a)
{
	const char *arg = argv[*i];
	if (strncmp(arg, "--output=", 9) == 0)
		a->output = arg + 9;
	else if (strncmp(arg, "-o", 2) == 0 && arg[2] != '\0' && arg[1] != '-')
		a->output = arg + 2;
	else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
		if (*i + 1 >= argc)
			return usage_error(cmd, "%s needs a file name", arg);
		a->output = argv[++*i];
	} else
		return 0;
	if (*a->output == '\0')
		return usage_error(cmd, "%s needs a file name", arg);
	return 1;
}

/* publish's options with a value: --columns --intro --template --lang,
 * as "--x VALUE" or "--x=VALUE". 1 taken, 0 not one, or CTL_USAGE. */
static int publish_option(const struct command *cmd, int argc, char **argv, int *i,
			  struct ctl_args *a)
{
	static const char *const names[] = { "--columns", "--intro", "--template", "--lang" };
	const char **targets[] = { &a->columns, &a->intro, &a->templ, &a->langs };
	const char *arg = argv[*i];
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t n = strlen(names[k]);
		if (strncmp(arg, names[k], n) != 0 || (arg[n] != '\0' && arg[n] != '='))
			continue;
		if (arg[n] == '\0' && *i + 1 >= argc)
			return usage_error(cmd, "%s needs a value", arg);
		const char *val = arg[n] == '=' ? arg + n + 1 : argv[++*i];
		if (*val == '\0')
			return usage_error(cmd, "%s needs a value", names[k]);
		*targets[k] = val;
		return 1;
	}
	return 0;
}

/* --order name|received, --order=...: 1 taken, or CTL_USAGE. */
static int order_option(const struct command *cmd, int argc, char **argv, int *i,
			struct ctl_args *a)
{
	const char *arg = argv[*i];
	if (arg[7] == '\0' && *i + 1 >= argc)
		return usage_error(cmd, "%s needs a value: name or received", arg);
	a->order = arg[7] == '=' ? arg + 8 : argv[++*i];
	if (strcmp(a->order, "name") != 0 && strcmp(a->order, "received") != 0)
		return usage_error(cmd, "--order: name or received, not \"%s\"", a->order);
	return 1;
}

/* A command's flag; 1 taken, 0 not a flag, or CTL_USAGE. */
static int command_flag(const struct command *cmd, int argc, char **argv, int *i,
			struct ctl_args *a)
{
	const char *arg = argv[*i];
	struct { const char *name; unsigned flag; bool *target; } bools[] = {
		{ "--json", F_JSON, &a->json },
		{ "--send", F_SEND, &a->send },
		{ "--dry-run", F_DRY_RUN, &a->dry_run },
		{ "--no-late", F_PUBLISH, &a->no_late },
		{ "--no-rejected", F_PUBLISH, &a->no_rejected },
		{ "--no-unverified", F_PUBLISH, &a->no_unverified },
		{ "--include-unverified", F_PUBLISH, &a->include_unverified },
		{ "--include-late", F_PUBLISH, &a->include_late },
		{ "--originals", F_PUBLISH, &a->originals },
		{ "--fragment", F_PUBLISH, &a->fragment },
		{ "--current", F_FILTER, &a->current },
		{ "--late", F_FILTER, &a->late },
		{ "--over-limit", F_FILTER, &a->over_limit },
		{ "--unverified", F_FILTER, &a->unverified },
		{ "--unreadable", F_FILTER, &a->unreadable },
		{ "--loopback", F_LOOPBACK, &a->loopback },
		{ "--no-bom", F_OUTPUT, &a->no_bom },
		{ "--html", F_DIFF, &a->html },
		{ "--include-late", F_COMPILE, &a->include_late },
	};
	for (size_t k = 0; k < sizeof(bools) / sizeof(bools[0]); k++)
		if ((cmd->flags & bools[k].flag) && strcmp(arg, bools[k].name) == 0) {
			*bools[k].target = true;
			return 1;
		}
	if ((cmd->flags & F_FILTER) && strncmp(arg, "--since", 7) == 0 &&
	    (arg[7] == '\0' || arg[7] == '=')) {
		if (arg[7] == '\0' && *i + 1 >= argc)
			return usage_error(cmd, "%s needs a date", arg);
		a->since = arg[7] == '=' ? arg + 8 : argv[++*i];
		return 1;
	}
	if ((cmd->flags & F_FORMAT) && strncmp(arg, "--format", 8) == 0 &&
	    (arg[8] == '\0' || arg[8] == '=')) {
		const char *val = arg[8] == '=' ? arg + 9 : NULL;
		if (val == NULL && *i + 1 >= argc)
			return usage_error(cmd, "%s needs a value: csv, json or xlsx", arg);
		if (val == NULL)
			val = argv[++*i];
		if (strcmp(val, "csv") != 0 && strcmp(val, "json") != 0 && strcmp(val, "xlsx") != 0)
			return usage_error(cmd, "--format: csv, json or xlsx, not \"%s\"", val);
		a->format = val;
		return 1;
	}
	if (cmd->flags & F_PUBLISH)
		return publish_option(cmd, argc, argv, i, a);
	if ((cmd->flags & F_COMPILE) && strncmp(arg, "--order", 7) == 0 &&
	    (arg[7] == '\0' || arg[7] == '='))
		return order_option(cmd, argc, argv, i, a);
	if (cmd->flags & (F_OUTPUT | F_DIFF))
		return output_option(cmd, argc, argv, i, a);
	return 0;
}

/* The arguments after the command name. */
static int parse_command_args(const struct command *cmd, int argc, char **argv, int first,
			      struct options *o, struct ctl_args *a)
{
	bool dashdash = false;
	for (int i = first; i < argc; i++) {
		const char *arg = argv[i];
		int rc;
		if (!dashdash && strcmp(arg, "--") == 0) {
			dashdash = true;
			continue;
		}
		if (!dashdash && (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)) {
			o->help = true;
			return 0;
		}
		if (!dashdash && arg[0] == '-' && arg[1] != '\0') {
			if ((rc = global_option(argc, argv, &i, o)) == 0)
				rc = command_flag(cmd, argc, argv, &i, a);
			if (rc == 0)
				return usage_error(cmd, "unknown option %s", arg);
			if (rc == CTL_USAGE)
				return rc;
			continue;
		}
		if (a->npos == cmd->npos + ((cmd->flags & F_OPTARG) ? 1 : 0))
			return usage_error(cmd, "unexpected argument \"%s\"", arg);
		a->pos[a->npos++] = arg;
	}
	if (a->npos < cmd->npos)
		return usage_error(cmd, "%s: missing argument", cmd->name);
	if ((cmd->flags & F_FORMAT) && a->format == NULL)
		return usage_error(cmd, "%s: --format csv, json or xlsx is required", cmd->name);
	/* A workbook is binary: never to a terminal or a pipe by accident. */
	if (a->format != NULL && strcmp(a->format, "xlsx") == 0 && a->output == NULL)
		return usage_error(cmd, "%s: --format xlsx needs -o FILE", cmd->name);
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int run(const struct command *cmd, const struct options *o, const struct ctl_args *a)
{
	struct config *cfg = NULL;
	struct err err = { 0 };
	/* oauth login writes the refresh token file: it need not exist yet. */
	config_allow_missing_token_file(cmd->run == ctl_cmd_oauth);
	if (config_load(o->config, &cfg, &err) < 0) {
		fprintf(stderr, "intakectl: %s\n", err.msg);
		return CTL_CONFIG;
	}
	struct ctl c = { .cfg = cfg, .now = o->now ? o->now : time(NULL), .out = stdout,
			 .err = stderr };
	int rc = cmd->run(&c, a);
	ctl_close(&c);
	config_free(&cfg);
	if (fflush(stdout) != 0 && rc == CTL_OK) {
		perror("intakectl: standard output");
		rc = CTL_IOERR;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = { .config = DEFAULT_CONFIG };
	struct ctl_args a = { 0 };
	int i = 1, rc;

	text_init(); /* the catalogues of digests and acks it renders */
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return CTL_OK;
		}
		if ((rc = global_option(argc, argv, &i, &o)) == 0)
			return usage_error(NULL, "unknown option %s", argv[i]);
		if (rc == CTL_USAGE)
			return rc;
	}
	if (i >= argc)
		return usage_error(NULL, "%s", "no command given");
	const struct command *cmd = find_command(argv[i]);
	if (cmd == NULL)
		return usage_error(NULL, "unknown command \"%s\"", argv[i]);
	if ((rc = parse_command_args(cmd, argc, argv, i + 1, &o, &a)) != 0)
		return rc;
	if (o.help) {
		command_help(cmd, stdout);
		return CTL_OK;
	}
	/* Syslog by default: what intakectl queues or publishes shows in the
	 * journal beside the daemon's lines; its own messages go to stderr. */
	log_init("intakectl", o.verbose == 0, o.verbose > 1);
	return run(cmd, &o, &a);
}
