/* config_set.c — how one value of a known type is checked and stored;
 * files named by the configuration must be readable, and a secret's
 * directory writable by nobody else. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_impl.h"
#include "intaked/confval.h"

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
