/* imap_impl.h — shared by imap.c (session, select, search, wait) and
 * imap_fetch.c (fetch, spill to disk, mark); nothing else includes it.
 * libetpan types appear here, so it stays inside the IMAP module. */
#ifndef INTAKED_IMAP_IMPL_H
#define INTAKED_IMAP_IMPL_H

#include <stdbool.h>
#include <libetpan/libetpan.h>
#include "intaked/err.h"

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

#endif
