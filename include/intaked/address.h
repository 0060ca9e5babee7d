/* address.h — a sender's address as mail clients read it, in the one form
 * the daemon compares (RFC 5321 local part as written, domain as a lower-case
 * IDNA A-label), and in the form people read (domain in Unicode). */
#ifndef INTAKED_ADDRESS_H
#define INTAKED_ADDRESS_H

#include <stdbool.h>

/* "local@domain" with the domain as a lower-case A-label ("xn--..."), the
 * local part unchanged. A domain that IDNA refuses is kept lower-cased
 * (such an address is never usable for mail, see ack.c). NULL for NULL or
 * text without '@', an empty local part or an empty domain. Caller frees. */
char *address_canonical(const char *addr);

/* The canonical address with its domain in Unicode ("x@münchen.test"),
 * for display; addr itself when that is not possible. Caller frees. */
char *address_display(const char *addr);

/* The canonical address without a "+tag" and ASCII-lower-cased: the key of
 * per-sender counts, so stranger+1@x and stranger+2@x are one sender.
 * Caller frees. */
char *address_sender_key(const char *addr);

/* The sender of a From (or Reply-To, Sender) header value as mail clients
 * read it: the first angle-addr wins, unquoted specials in the display
 * name (brackets, commas, semicolons) are tolerated; without an angle-addr,
 * the first mailbox that has a domain. Returns the canonical address, or
 * NULL when there is none; *name_r (if not NULL) gets the display name as
 * written (undecoded, may be ""), caller frees both. */
char *address_from_header(const char *value, char **name_r);

/* addr equals want, or is want's local part plus "+tag" (or want has the
 * tag and addr is identical). Case-insensitive. */
int address_matches(const char *addr, const char *want);

#endif
