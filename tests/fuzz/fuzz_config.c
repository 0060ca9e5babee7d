/* libFuzzer: config text through config_load, from a file as in
 * production. The scratch directory holds the files a config may name
 * (0600 secrets, a roster, a template), so inputs that name them reach
 * the deeper checks. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intaked/config.h"

static char scratch[64];
static char conf[96];

static void put(const char *name, const char *text, mode_t mode)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(scratch, sizeof(scratch), "/tmp/fuzz_config.XXXXXX");
	if (mkdtemp(scratch) == NULL)
		abort();
	snprintf(conf, sizeof(conf), "%s/intaked.conf", scratch);
	put("imap.secret", "secret-intake\n", 0600);
	put("smtp.secret", "secret-intake\n", 0600);
	put("open.secret", "secret-intake\n", 0644);
	put("roster.csv", "name,addresses\nBangladesh,\"@mofa.gov.bd;bangladesh@un.int\"\n"
	    "France,france@diplomatie.gouv.fr\n", 0644);
	put("ack.txt", "Dear {{submitter}},\nwe received {{subject}}.\n", 0644);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct err err = { 0 };
	int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	if (config_load(conf, &cfg, &err) == 0) {
		FILE *devnull = fopen("/dev/null", "w");
		config_print_summary(cfg, devnull);
		fclose(devnull);
		for (size_t i = 0; i < cfg->ncalls; i++)
			(void)config_deadline_for(&cfg->calls[i], "Bangladesh");
		config_free(&cfg);
	} else if (err.cls != ERR_CONFIG || err.msg[0] == '\0') {
		abort(); /* every refusal is a config error with a message */
	}
	return 0;
}
