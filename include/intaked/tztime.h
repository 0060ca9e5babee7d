/* tztime.h — instants and IANA zones. Pure apart from reading tzdata. */
#ifndef INTAKED_TZTIME_H
#define INTAKED_TZTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* True if zone names a tzdata file ("America/New_York", "UTC"). */
bool tztime_zone_valid(const char *zone);
/* "2022-03-29 18:00" (or "...:SS") as wall time in zone -> instant.
 * DST-correct; a wall time that does not exist (spring gap) is an error,
 * an ambiguous one (autumn fold) takes the earlier instant. */
int tztime_parse_local(const char *s, const char *zone, time_t *t_r);
/* ISO 8601: "2022-03-29T21:59:00Z", "...+02:00", "2022-03-29T21:59Z". */
int tztime_parse_iso8601(const char *s, time_t *t_r);
/* "2022-03-29T21:59:00Z" into out (>= 21 bytes). */
void tztime_format_utc(time_t t, char *out, size_t n);
/* "2022-03-29 17:59 EDT" — wall time in zone, with the zone abbreviation. */
void tztime_format_local(time_t t, const char *zone, char *out, size_t n);
/* Broken-down wall time of t in zone. */
void tztime_local(time_t t, const char *zone, struct tm *tm_r);
/* Instant of HH:MM on the wall-clock day containing t in zone. */
time_t tztime_at_local_minute(time_t t, const char *zone, int minute_of_day);

#endif
