/* main.c — intaked: options, configuration, then the loop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intaked/config.h"
#include "intaked/log.h"
#include "loop.h"
#include "intaked/mime.h"
#include "intaked/text.h"
#include "intaked/tztime.h"

#define INTAKED_VERSION "0.1.0"
#define DEFAULT_CONFIG "/etc/intaked/intaked.conf"
#define EX_USAGE 64
#define EX_CONFIG 78

static void usage(FILE *out)
{
	fprintf(out,
		"usage: intaked [-c FILE] [--foreground] [--once] [--check-config]\n"
		"               [--now TIME] [-v] [--version]\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"  -f, --foreground    stay in the foreground, log to stderr\n"
		"      --once          process what is pending, send what is due, exit\n"
		"      --check-config  validate the configuration and print the calls\n"
		"      --now TIME      scheduling clock starts at TIME (ISO 8601)\n"
		"  -v, --verbose       debug logging\n"
		"      --version       print the version\n");
}

struct options {
	const char *config;
	bool foreground, once, check, version;
	int verbose;
	time_t now;
};

/* Returns 0, or EX_USAGE after printing why. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_ONCE = 256, OPT_CHECK, OPT_NOW, OPT_VERSION };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'f': o->foreground = true; break;
		case 'v': o->verbose++; break;
		case OPT_ONCE: o->once = true; break;
		case OPT_CHECK: o->check = true; break;
		case OPT_VERSION: o->version = true; break;
		case OPT_NOW:
			if (tztime_parse_iso8601(optarg, &o->now) < 0) {
				fprintf(stderr, "intaked: --now: not an ISO 8601 time: %s\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	return 0;
}

/* Under systemd (or with --foreground / --once) stay attached and log to
 * stderr; otherwise detach like a classic daemon and log to syslog. */
static bool stays_attached(const struct options *o)
{
	return o->foreground || o->once || getenv("NOTIFY_SOCKET") || getenv("JOURNAL_STREAM");
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct config *cfg = NULL;
	struct err err = { 0 };
	int rc;

	if ((rc = parse_options(argc, argv, &o)) != 0)
		return rc;
	if (o.version) {
		printf("intaked %s\n", INTAKED_VERSION);
		return 0;
	}
	log_init("intaked", false, o.verbose);
	if (config_load(o.config, &cfg, &err) < 0) {
		fprintf(stderr, "intaked: %s\n", err.msg);
		return EX_CONFIG;
	}
	if (o.check) {
		config_print_summary(cfg, stdout);
		config_free(&cfg);
		return 0;
	}
	bool attached = stays_attached(&o);
	bool to_syslog = !attached || (cfg->log_target && strcmp(cfg->log_target, "syslog") == 0);
	if (!attached && daemon(0, 0) < 0) {
		perror("intaked: daemon");
		config_free(&cfg);
		return 71;
	}
	log_init("intaked", to_syslog, o.verbose);
	text_init(); /* before the threads: it edits the environment */
	mime_init();
	struct loop_options lo = { .config_path = o.config, .once = o.once, .now = o.now };
	rc = loop_run(&cfg, &lo);
	mime_deinit();
	return rc;
}
