/* err.h — error reports that carry a class, so the caller knows what to do. */
#ifndef INTAKED_ERR_H
#define INTAKED_ERR_H

enum err_class {
	ERR_NONE = 0,
	ERR_TEMP,    /* server down, disk full, timeout: retry later with backoff */
	ERR_MESSAGE, /* this message cannot be processed: quarantine it, go on */
	ERR_CONFIG,  /* configuration or secret is wrong: exit 78 */
	ERR_AUTH,    /* credentials refused: alarm, retry slowly */
	ERR_PROTOCOL, /* the server rejected a command as malformed (IMAP BAD):
		       * no retry cures it; alarm at once, retry slowly */
};

struct err {
	enum err_class cls;
	char msg[512];
};

/* Fill *e (if e is not NULL) with a class and a formatted message. */
void err_set(struct err *e, enum err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, appending ": strerror(errno)". */
void err_setsys(struct err *e, enum err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void err_clear(struct err *e);
const char *err_class_name(enum err_class cls);

#endif
