/* imap_spill.c — a big message streamed to a file in the spill directory
 * (SPOOL/tmp, by fd) as it arrives, hashed on the way, then mapped. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "imap_impl.h"
#include "intaked/imap.h"
#include "intaked/log.h"
#include "intaked/util.h"

/* A new file in dir for a streamed message: O_EXCL, 0640 (as spool files). */
static int spill_open(int dirfd, uint32_t uid, char **path_r, struct err *err)
{
	char rnd[17];
	random_hex(rnd, 8);
	char *path = xasprintf("fetch-%u-%s.eml", uid, rnd);
	int fd = openat(dirfd, path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		err_setsys(err, ERR_TEMP, "imap: cannot create %s", path);
		free(path);
		return -1;
	}
	*path_r = path;
	return fd;
}

/* Streaming to a new file in dirfd, hashed on the way; *keep_r is the
 * message's own fd on the directory, to unlink the file from later. */
int imap_spill_begin(int dirfd, uint32_t uid, struct body_sink *sink, char **path_r,
		     int *keep_r, struct err *err)
{
	if ((*keep_r = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) < 0) {
		err_setsys(err, ERR_TEMP, "imap: dup");
		return -1;
	}
	if ((sink->fd = spill_open(dirfd, uid, path_r, err)) < 0) {
		close(*keep_r);
		*keep_r = -1;
		return -1;
	}
	sink->md = EVP_MD_CTX_new();
	if (sink->md == NULL || EVP_DigestInit_ex(sink->md, EVP_sha256(), NULL) != 1)
		fatalx("imap: out of memory");
	return 0;
}

/* The streamed file is complete: on disk (fsync), hashed, and mapped for
 * the reader. The mapping is read-only: nobody changes a raw message. */
int imap_spill_finish(struct body_sink *sink, const char *path, struct imap_message *m,
		      struct err *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	static const char hex[] = "0123456789abcdef";

	if (sink->write_errno != 0) {
		errno = sink->write_errno;
		err_setsys(err, ERR_TEMP, "imap: cannot write %s", path);
		return -1;
	}
	if (fsync(sink->fd) < 0) {
		err_setsys(err, ERR_TEMP, "imap: fsync %s", path);
		return -1;
	}
	EVP_DigestFinal_ex(sink->md, digest, &dlen);
	for (unsigned int i = 0; i < dlen && 2 * i + 1 < sizeof(m->sha256); i++) {
		m->sha256[2 * i] = hex[digest[i] >> 4];
		m->sha256[2 * i + 1] = hex[digest[i] & 15];
	}
	m->sha256[2 * dlen] = '\0';
	if (sink->len == 0) {
		m->raw = xcalloc(1, 1); /* mmap cannot map nothing */
		return 0;
	}
	void *map = mmap(NULL, sink->len, PROT_READ, MAP_PRIVATE, sink->fd, 0);
	if (map == MAP_FAILED) {
		err_setsys(err, ERR_TEMP, "imap: mmap %s", path);
		return -1;
	}
	m->raw = map;
	return 0;
}
