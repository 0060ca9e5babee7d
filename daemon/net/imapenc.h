/* imapenc.h — IMAP's own encodings, pure functions (no I/O, no libetpan):
 * used by imap.c, tested on their own. */
#ifndef INTAKED_IMAPENC_H
#define INTAKED_IMAPENC_H

#include <time.h>

/* An INTERNALDATE's fields, zone as written (+-HHMM read as a number:
 * "-0400" is -400), to the instant it names: servers report it in their
 * own zone, so only the instant may be compared. -1 if a field is out of
 * range (year 1900..9999, day valid for the month, second <= 60). */
int imapenc_date_to_time(int year, int month, int day, int hour, int min, int sec,
			 int zone, time_t *t_r);

/* A UTF-8 folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), e.g.
 * "Envoyé" -> "Envoy&AOk-", "R&D" -> "R&-D". NULL if name is not valid
 * UTF-8 (overlong, surrogate, truncated), has control characters, or is
 * longer than 1024 bytes. Caller frees. */
char *imapenc_mutf7(const char *name);

#endif
