/* printable.h — text from a sender made safe for a terminal. */
#ifndef INTAKED_PRINTABLE_H
#define INTAKED_PRINTABLE_H

/* Control characters, bidi overrides and other invisible formatting become
 * U+FFFD; a tab becomes a space. NULL reads as "". Caller frees. */
char *printable_copy(const char *s);

#endif
