/* tztime.c — instants and IANA zones with GLib's GTimeZone/GDateTime: a
 * zone is an object passed to each conversion, so the process-wide TZ is
 * never touched (no setenv/tzset: other threads may be using it). */
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "intaked/tztime.h"
#include "intaked/util.h"

#define ZONE_NAME_MAX 128

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

/* A TZif file under TZDIR: GLib would also take a POSIX rule ("EST5EDT4")
 * for a zone, and the configuration wants IANA names only. */
static bool zone_file_exists(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char *path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return false;
	/* A directory such as "America" opens too: insist on a TZif file. */
	struct stat st;
	char magic[4];
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		  memcmp(magic, "TZif", 4) == 0;
	close(fd);
	return ok;
}

/* Zones already loaded, by name, for the life of the process: GLib drops
 * a zone with its last reference, and reading and parsing the tzdata file
 * again costs 2 ms a conversion (a digest makes thousands). */
static GMutex zones_lock;
static GHashTable *zones;

/* The zone, or NULL when zone names none (caller unrefs). */
static GTimeZone *zone_open(const char *zone)
{
	GTimeZone *tz = NULL;
	g_mutex_lock(&zones_lock);
	if (zones == NULL)
		zones = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)g_time_zone_unref);
	if (zone != NULL)
		tz = g_hash_table_lookup(zones, zone);
	if (tz == NULL && zone != NULL && zone_name_safe(zone) && zone_file_exists(zone)) {
		tz = g_time_zone_new_identifier(zone);
		if (tz != NULL)
			g_hash_table_insert(zones, g_strdup(zone), tz);
	}
	if (tz != NULL)
		g_time_zone_ref(tz);
	g_mutex_unlock(&zones_lock);
	return tz;
}

/* An unknown zone where a void function has no way to fail: UTC, which
 * the configuration never lets happen (every zone is checked there). */
static GTimeZone *zone_open_or_utc(const char *zone)
{
	GTimeZone *tz = zone_open(zone);
	return tz ? tz : g_time_zone_new_utc();
}

bool tztime_zone_valid(const char *zone)
{
	GTimeZone *tz = zone_open(zone);
	if (tz == NULL)
		return false;
	g_time_zone_unref(tz);
	return true;
}

/* "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS", digits where d stands:
 * only the shape is checked here, the values by GDateTime. */
static bool local_shape_ok(const char *s)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	size_t n = strlen(s);
	if (n != 16 && n != 19)
		return false;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

/* Seconds east of UTC in force in tz at instant t. */
static long offset_at(GTimeZone *tz, gint64 t)
{
	gint interval = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, t);
	return interval < 0 ? 0 : (long)g_time_zone_get_offset(tz, interval);
}

/* The wall time of instant t in tz, as if it were UTC ("local seconds"). */
static gint64 local_seconds(GTimeZone *tz, gint64 t)
{
	return t + offset_at(tz, t);
}

/* A wall time (local seconds w) is the instant w - offset for the offset
 * in force a day before or a day after it (no zone changes twice in a
 * day): keep the candidates that give w back, the earlier one first (the
 * autumn fold). None does in the spring gap: -1, and *gap_r is w read
 * with the offset before the gap (02:30 -> 03:30). */
static int wall_to_instant(GTimeZone *tz, gint64 w, time_t *t_r, time_t *gap_r)
{
	gint64 before = w - offset_at(tz, w - 86400), after = w - offset_at(tz, w + 86400);
	bool ok_before = local_seconds(tz, before) == w, ok_after = local_seconds(tz, after) == w;
	if (gap_r)
		*gap_r = (time_t)before;
	if (!ok_before && !ok_after)
		return -1;
	*t_r = (time_t)(ok_before && (!ok_after || before < after) ? before : after);
	return 0;
}

/* Local seconds of a calendar date and time, -1 if it is not one. */
static int wall_seconds(int y, int mo, int d, int h, int mi, int s, gint64 *w_r)
{
	if (y < 1970 || !g_date_valid_dmy((GDateDay)d, (GDateMonth)mo, (GDateYear)y) || h > 23 ||
	    mi > 59 || s > 59)
		return -1;
	GDateTime *dt = g_date_time_new_utc(y, mo, d, h, mi, s);
	if (dt == NULL)
		return -1;
	*w_r = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

int tztime_parse_local(const char *s, const char *zone, time_t *t_r)
{
	int y, mo, d, h, mi, sec = 0;
	if (s == NULL || !local_shape_ok(s))
		return -1;
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) < 5)
		return -1;
	gint64 w;
	GTimeZone *tz = zone_open(zone);
	if (tz == NULL)
		return -1;
	int rc = wall_seconds(y, mo, d, h, mi, sec, &w) < 0 ? -1 : wall_to_instant(tz, w, t_r, NULL);
	g_time_zone_unref(tz);
	return rc;
}

/* What RFC 3339 allows and GLib refuses: a lower-case 't' or 'z', and
 * (ISO 8601) no seconds, "2022-03-29T21:59Z". Caller frees. */
static char *iso8601_for_glib(const char *s)
{
	size_t n = strlen(s);
	bool no_seconds = n > 16 && s[13] == ':' && s[16] != ':' && s[16] != '.';
	char *c = no_seconds ? xasprintf("%.16s:00%s", s, s + 16) : xstrdup(s);
	size_t m = strlen(c);
	if (m > 10 && c[10] == 't')
		c[10] = 'T';
	if (m > 0 && c[m - 1] == 'z')
		c[m - 1] = 'Z';
	return c;
}

int tztime_parse_iso8601(const char *s, time_t *t_r)
{
	if (s == NULL)
		return -1;
	char *c = iso8601_for_glib(s);
	/* No default zone: a time without an offset is refused. */
	GDateTime *dt = g_date_time_new_from_iso8601(c, NULL);
	free(c);
	if (dt == NULL)
		return -1;
	GTimeSpan off = g_date_time_get_utc_offset(dt);
	if (off >= G_TIME_SPAN_DAY || off <= -G_TIME_SPAN_DAY) {
		g_date_time_unref(dt); /* "+24:00": GLib takes it, RFC 3339 not */
		return -1;
	}
	*t_r = (time_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
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

/* t in zone (UTC for an unknown zone), or NULL if out of GLib's range. */
static GDateTime *instant_in(time_t t, const char *zone)
{
	GTimeZone *tz = zone_open_or_utc(zone);
	GDateTime *utc = g_date_time_new_from_unix_utc((gint64)t);
	GDateTime *dt = utc ? g_date_time_to_timezone(utc, tz) : NULL;
	if (utc)
		g_date_time_unref(utc);
	g_time_zone_unref(tz);
	return dt;
}

void tztime_local(time_t t, const char *zone, struct tm *tm_r)
{
	memset(tm_r, 0, sizeof(*tm_r));
	GDateTime *dt = instant_in(t, zone);
	if (dt == NULL)
		return;
	tm_r->tm_year = g_date_time_get_year(dt) - 1900;
	tm_r->tm_mon = g_date_time_get_month(dt) - 1;
	tm_r->tm_mday = g_date_time_get_day_of_month(dt);
	tm_r->tm_hour = g_date_time_get_hour(dt);
	tm_r->tm_min = g_date_time_get_minute(dt);
	tm_r->tm_sec = g_date_time_get_second(dt);
	tm_r->tm_wday = g_date_time_get_day_of_week(dt) % 7; /* GLib: 7 = Sunday */
	tm_r->tm_yday = g_date_time_get_day_of_year(dt) - 1;
	tm_r->tm_isdst = g_date_time_is_daylight_savings(dt);
	tm_r->tm_gmtoff = (long)(g_date_time_get_utc_offset(dt) / G_TIME_SPAN_SECOND);
	g_date_time_unref(dt);
}

void tztime_format_local(time_t t, const char *zone, char *out, size_t n)
{
	if (n == 0)
		return;
	out[0] = '\0';
	GDateTime *dt = instant_in(t, zone);
	char *s = dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M %Z") : NULL;
	if (s != NULL && strlen(s) < n)
		memcpy(out, s, strlen(s) + 1);
	g_free(s);
	if (dt)
		g_date_time_unref(dt);
}

time_t tztime_at_local_minute(time_t t, const char *zone, int minute_of_day)
{
	GTimeZone *tz = zone_open_or_utc(zone);
	gint64 local = local_seconds(tz, (gint64)t);
	gint64 w = local - ((local % 86400) + 86400) % 86400 + minute_of_day * 60LL;
	time_t r, gap;
	if (wall_to_instant(tz, w, &r, &gap) < 0)
		r = gap; /* in the spring gap: moved forward by its length */
	g_time_zone_unref(tz);
	return r;
}
