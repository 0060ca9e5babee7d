/* tztime.c — instants and IANA zones on top of the C library's tzcode:
 * TZ is switched for the duration of one conversion and restored. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intaked/tztime.h"
#include "intaked/util.h"

#define ZONE_NAME_MAX 128

/* The TZ value in force before tz_enter(), to be put back by tz_leave(). */
struct tz_saved {
	char *old;
	bool had;
};

static void tz_enter(const char *zone, struct tz_saved *s)
{
	const char *cur = getenv("TZ");
	s->had = cur != NULL;
	s->old = cur ? xstrdup(cur) : NULL;
	char *spec = xasprintf(":%s", zone); /* ":" = a tzdata file, never a POSIX rule */
	setenv("TZ", spec, 1);
	free(spec);
	tzset();
}

static void tz_leave(struct tz_saved *s)
{
	if (s->had)
		setenv("TZ", s->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(s->old);
	s->old = NULL;
}

static bool zone_name_safe(const char *zone)
{
	size_t n = strlen(zone);
	if (n == 0 || n >= ZONE_NAME_MAX || zone[0] == '/' || strstr(zone, "..") != NULL)
		return false;
	for (const char *p = zone; *p; p++) {
		char c = *p;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '/' || c == '_' || c == '-' || c == '+'))
			return false;
	}
	return true;
}

bool tztime_zone_valid(const char *zone)
{
	if (zone == NULL || !zone_name_safe(zone))
		return false;
	const char *dir = getenv("TZDIR");
	char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return false;
	/* A directory such as "America" opens too: insist on a TZif file, or
	 * glibc would silently fall back to UTC. */
	struct stat st;
	char magic[4];
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		  memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* Exactly n decimal digits at *p, advancing it. */
static int take_digits(const char **p, int n, int *v_r)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*v_r = v;
	return 0;
}

static int take_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* "YYYY-MM-DD" then sep then "HH:MM[:SS]"; *p left after what was read. */
static int parse_date_time(const char **p, const char *seps, struct tm *tm)
{
	int y, mo, d, h, mi, s = 0;
	if (take_digits(p, 4, &y) < 0 || take_char(p, '-') < 0 || take_digits(p, 2, &mo) < 0 ||
	    take_char(p, '-') < 0 || take_digits(p, 2, &d) < 0)
		return -1;
	if (**p == '\0' || strchr(seps, **p) == NULL)
		return -1;
	(*p)++;
	if (take_digits(p, 2, &h) < 0 || take_char(p, ':') < 0 || take_digits(p, 2, &mi) < 0)
		return -1;
	if (**p == ':') {
		(*p)++;
		if (take_digits(p, 2, &s) < 0)
			return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = s;
	return 0;
}

static bool same_wall_time(const struct tm *a, const struct tm *b)
{
	return a->tm_year == b->tm_year && a->tm_mon == b->tm_mon && a->tm_mday == b->tm_mday &&
	       a->tm_hour == b->tm_hour && a->tm_min == b->tm_min && a->tm_sec == b->tm_sec;
}

/* With TZ already set: the earliest instant whose local time is *want.
 * mktime() normalises a time in the spring gap instead of failing, and in
 * the autumn fold its choice depends on tm_isdst: so try each hint and keep
 * the instants that round-trip. Returns -1 when none does (the gap). */
static int wall_to_instant(const struct tm *want, time_t *t_r)
{
	static const int hints[] = { -1, 0, 1 };
	bool found = false;
	time_t best = 0;
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		struct tm tm = *want, back;
		tm.tm_isdst = hints[i];
		time_t t = mktime(&tm);
		if (t == (time_t)-1 || localtime_r(&t, &back) == NULL || !same_wall_time(want, &back))
			continue;
		if (!found || t < best)
			best = t;
		found = true;
	}
	if (!found)
		return -1;
	*t_r = best;
	return 0;
}

int tztime_parse_local(const char *s, const char *zone, time_t *t_r)
{
	struct tm want;
	const char *p = s;
	if (s == NULL || !tztime_zone_valid(zone) || parse_date_time(&p, " ", &want) < 0 ||
	    *p != '\0')
		return -1;
	struct tz_saved saved;
	tz_enter(zone, &saved);
	int rc = wall_to_instant(&want, t_r);
	tz_leave(&saved);
	return rc;
}

/* "Z", "+HH:MM", "+HHMM", "+HH" (or '-'): seconds east of UTC. */
static int parse_offset(const char *p, long *off_r)
{
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		*off_r = 0;
		return 0;
	}
	if (p[0] != '+' && p[0] != '-')
		return -1;
	int sign = p[0] == '-' ? -1 : 1, h, m = 0;
	p++;
	if (take_digits(&p, 2, &h) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (*p != '\0' && take_digits(&p, 2, &m) < 0)
		return -1;
	if (*p != '\0' || h > 23 || m > 59)
		return -1;
	*off_r = sign * (h * 3600L + m * 60L);
	return 0;
}

int tztime_parse_iso8601(const char *s, time_t *t_r)
{
	struct tm tm;
	const char *p = s;
	long off;
	if (s == NULL || parse_date_time(&p, "Tt ", &tm) < 0)
		return -1;
	if (*p == '.' || *p == ',') { /* fractions of a second: dropped */
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (parse_offset(p, &off) < 0)
		return -1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*t_r = t - off;
	return 0;
}

void tztime_format_utc(time_t t, char *out, size_t n)
{
	struct tm tm;
	if (n == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

void tztime_local(time_t t, const char *zone, struct tm *tm_r)
{
	struct tz_saved saved;
	tz_enter(zone, &saved);
	if (localtime_r(&t, tm_r) == NULL)
		memset(tm_r, 0, sizeof(*tm_r));
	tz_leave(&saved);
}

void tztime_format_local(time_t t, const char *zone, char *out, size_t n)
{
	struct tz_saved saved;
	struct tm tm;
	if (n == 0)
		return;
	/* strftime's %Z reads the zone set when localtime_r ran: keep TZ set. */
	tz_enter(zone, &saved);
	if (localtime_r(&t, &tm) == NULL || strftime(out, n, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		out[0] = '\0';
	tz_leave(&saved);
}

time_t tztime_at_local_minute(time_t t, const char *zone, int minute_of_day)
{
	struct tz_saved saved;
	struct tm day, want;
	time_t r;
	tz_enter(zone, &saved);
	if (localtime_r(&t, &day) == NULL) {
		tz_leave(&saved);
		return t;
	}
	want = day;
	want.tm_hour = minute_of_day / 60;
	want.tm_min = minute_of_day % 60;
	want.tm_sec = 0;
	if (wall_to_instant(&want, &r) < 0) {
		/* In the spring gap: moved forward by the gap (02:30 -> 03:30). */
		want.tm_isdst = -1;
		r = mktime(&want);
	}
	tz_leave(&saved);
	return r;
}
