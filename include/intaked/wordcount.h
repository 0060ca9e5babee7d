/* wordcount.h — SPEC §4's word rule. Pure. */
#ifndef INTAKED_WORDCOUNT_H
#define INTAKED_WORDCOUNT_H

#include <stddef.h>

/* Words in UTF-8 text: tokens split on Unicode White_Space (only: not
 * U+200B, which is not White_Space);
 * a token counts if it holds a letter or digit; each CJK ideograph,
 * Hiragana and Katakana character is one word, and each run of other
 * letters/digits in the token one more. Invalid UTF-8 bytes are spaces. */
long wordcount_text(const char *utf8, size_t len);
/* The part of a mail body that counts: lines starting with '>' removed,
 * everything from a "-- " signature line on removed. Caller frees. */
char *wordcount_body_filter(const char *body);
/* wordcount_text(wordcount_body_filter(body)). */
long wordcount_body(const char *body);

#endif
