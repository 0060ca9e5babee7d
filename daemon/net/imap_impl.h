/* imap_impl.h — shared by imap.c (session, select, search, wait) and
 * imap_fetch.c (fetch, mark), imap_spill.c (spill to disk); nothing else
 * includes it.
 * libetpan types appear here, so it stays inside the IMAP module. */
#ifndef INTAKED_IMAP_IMPL_H
#define INTAKED_IMAP_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <libetpan/libetpan.h>
#include <openssl/evp.h>
#include "intaked/err.h"

struct imap_message;

#define FILED_KEYWORD "$Filed"

struct tls_conn;

struct imap_session {
	mailimap *imap;
	struct tls_conn *conn;    /* owned here; libetpan's stream borrows it */
	char *host;
	bool broken;              /* the stream failed: only imap_close() is left */
	bool selected;
	bool keywords;            /* the selected folder stores $Filed */
	bool use_idle;
	bool warned_expunge;
	char rx_line[64];         /* the start of the last line received: */
	size_t rx_len;            /* tells a tagged BAD from other failures */
	bool rx_done;             /* rx_line ended: the next byte starts one */
};

/* p, or fatalx: libetpan allocation failures. */
void *imap_must(void *p);
/* Report libetpan result r of step what (see imap.c). */
void imap_fail(struct imap_session *s, int r, const char *what, struct err *err);
int imap_check_usable(const struct imap_session *s, struct err *err);
int imap_check_selected(const struct imap_session *s, struct err *err);
bool imap_has_cap(const struct imap_session *s, const char *name);
/* The session's EXISTS/RECENT news, forgotten (imap_search_pending). */
void imap_forget_news(struct imap_session *s);
/* Modified UTF-7 of folder (caller frees), or NULL with ERR_CONFIG. */
char *imap_encode_folder(const char *folder, struct err *err);

/* Where BODY.PEEK[] goes as libetpan reads it: straight into our buffer,
 * sized from RFC822.SIZE, so the message is not held twice; or, for a big
 * one, into a file, hashed on the way. */
struct body_sink {
	unsigned char *data;
	size_t len, cap, max;
	int fd;                   /* >= 0: write here instead */
	EVP_MD_CTX *md;
	int write_errno;
	bool overflow;
	bool called;
};

/* Streaming to a new file in dirfd (imap_spill.c); *keep_r is the
 * message's own fd on the directory, to unlink the file from later. */
int imap_spill_begin(int dirfd, uint32_t uid, struct body_sink *sink, char **path_r,
		     int *keep_r, struct err *err);
/* The streamed file is complete: fsynced, hashed into m, mapped as m->raw. */
int imap_spill_finish(struct body_sink *sink, const char *path, struct imap_message *m,
		      struct err *err);

#endif
