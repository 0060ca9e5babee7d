/* plural.h — which plural form a count takes in a language (issue 16):
 * built-in texts that depend on a count come as NAME_one and NAME_other
 * (template.c). The rules of the three languages the daemon ships are in
 * code (CLDR): English and Spanish use "one" for 1 only, French for 0 and
 * 1. A full gettext catalogue is not needed for two forms. */
#ifndef INTAKED_PLURAL_H
#define INTAKED_PLURAL_H

/* "_one" or "_other"; unknown languages follow English. */
const char *plural_suffix(const char *lang, long n);

#endif
