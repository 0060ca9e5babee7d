/* confval.c — one configuration value at a time. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/confval.h"
#include "intaked/tztime.h"

#define URL_MAX 2048

int confval_bool(const char *s, bool *v_r, struct err *err)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_ieq(s, yes[i])) {
			*v_r = true;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*v_r = false;
			return 0;
		}
	}
	err_set(err, ERR_CONFIG, "'%s' is not yes or no", s);
	return -1;
}

int confval_duration(const char *s, long min, long max, long *v_r, struct err *err)
{
	long v;
	if (parse_duration(s, &v) < 0) {
		err_set(err, ERR_CONFIG, "'%s' is not a duration (like 30s, 15m, 3h, 7d)", s);
		return -1;
	}
	if (v < min || v > max) {
		char a[32], b[32];
		err_set(err, ERR_CONFIG, "'%s' is out of range (%s .. %s)", s,
			confval_format_duration(min, a, sizeof(a)),
			confval_format_duration(max, b, sizeof(b)));
		return -1;
	}
	*v_r = v;
	return 0;
}

int confval_size(const char *s, size_t max, size_t *v_r, struct err *err)
{
	char num[32];
	size_t n = strlen(s), mult = 1;
	unsigned long v;
	if (n == 0 || n >= sizeof(num))
		goto bad;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'K': case 'k': mult = (size_t)1 << 10; break;
	case 'M': case 'm': mult = (size_t)1 << 20; break;
	case 'G': case 'g': mult = (size_t)1 << 30; break;
	default: break;
	}
	if (mult != 1)
		num[--n] = '\0';
	if (parse_ulong(num, ULONG_MAX, &v) < 0)
		goto bad;
	if (v == 0 || v > max / mult) {
		err_set(err, ERR_CONFIG, "'%s' is out of range (1 .. %zu bytes)", s, max);
		return -1;
	}
	*v_r = (size_t)v * mult;
	return 0;
bad:
	err_set(err, ERR_CONFIG, "'%s' is not a size (like 512K, 64M, 1G)", s);
	return -1;
}

int confval_uint(const char *s, unsigned long min, unsigned long max,
		 unsigned long *v_r, struct err *err)
{
	unsigned long v;
	if (parse_ulong(s, ULONG_MAX, &v) < 0) {
		err_set(err, ERR_CONFIG, "'%s' is not a whole number", s);
		return -1;
	}
	if (v < min || v > max) {
		err_set(err, ERR_CONFIG, "'%s' is out of range (%lu .. %lu)", s, min, max);
		return -1;
	}
	*v_r = v;
	return 0;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool confval_is_domain(const char *s)
{
	size_t label = 0;
	if (s == NULL || *s == '\0' || strlen(s) > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(*p) || (*p == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && s[strlen(s) - 1] != '-';
}

bool confval_is_address(const char *s)
{
	if (s == NULL)
		return false;
	const char *at = strrchr(s, '@');
	if (at == NULL || at == s || (size_t)(at - s) > 64 || !confval_is_domain(at + 1))
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || strchr("<>(),;:\"[]\\@", c) != NULL)
			return false;
	}
	return s[0] != '.' && at[-1] != '.';
}

int confval_address_list(const char *s, struct strlist *out, struct err *err)
{
	struct strlist items = { 0 };
	strlist_split(&items, s, ',');
	if (items.n == 0) {
		strlist_free(&items);
		err_set(err, ERR_CONFIG, "no address given");
		return -1;
	}
	for (size_t i = 0; i < items.n; i++) {
		if (!confval_is_address(items.v[i])) {
			err_set(err, ERR_CONFIG, "'%s' is not an address (user@domain)", items.v[i]);
			strlist_free(&items);
			return -1;
		}
		str_lower(items.v[i]);
		if (!strlist_contains_ci(out, items.v[i]))
			strlist_push(out, items.v[i]);
	}
	strlist_free(&items);
	return 0;
}

int confval_from(const char *s, char **addr_r, struct err *err)
{
	const char *lt = strrchr(s, '<');
	char *addr;
	if (lt != NULL) {
		size_t n = strlen(lt);
		if (n < 2 || lt[n - 1] != '>') {
			err_set(err, ERR_CONFIG, "'%s' is not \"Name <user@domain>\"", s);
			return -1;
		}
		addr = xstrndup(lt + 1, n - 2);
	} else {
		addr = xstrdup(s);
	}
	char *a = str_trim(addr);
	if (!confval_is_address(a)) {
		err_set(err, ERR_CONFIG, "'%s' holds no valid address", s);
		free(addr);
		return -1;
	}
	*addr_r = xstrdup(a);
	str_lower(*addr_r);
	free(addr);
	return 0;
}

/* libcurl's URL parser (CURLU) reads the URL; what it refuses, or what
 * we do not want in one (a user name, a query), gets the message a
 * configuration error has always printed after file:line. */
static const char *url_error_text(CURLUcode rc)
{
	switch (rc) {
	case CURLUE_BAD_PORT_NUMBER:
		return "bad port in URL";
	case CURLUE_BAD_LOGIN:
	case CURLUE_BAD_USER:
	case CURLUE_BAD_PASSWORD:
		return "no user name in the URL, please: use 'user ='";
	case CURLUE_BAD_QUERY:
	case CURLUE_BAD_FRAGMENT:
		return "no query or fragment in the URL, please";
	default:
		return "bad host in URL";
	}
}

/* True if CURLU holds that part (a user name, a query...), even empty. */
static bool url_has(CURLU *h, CURLUPart part)
{
	char *v = NULL;
	CURLUcode rc = curl_url_get(h, part, &v, 0);
	curl_free(v);
	return rc == CURLUE_OK;
}

/* The host as we keep it: an IPv6 literal without its brackets (and
 * without a zone id), a name that must be a plain domain. */
static int url_host(CURLU *h, struct confval_url *u)
{
	char *host = NULL;
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0')
		goto bad;
	size_t n = strlen(host);
	if (host[0] == '[') {
		struct in6_addr a6;
		u->host = xstrndup(host + 1, n - 2);
		if (host[n - 1] != ']' || inet_pton(AF_INET6, u->host, &a6) != 1 ||
		    url_has(h, CURLUPART_ZONEID))
			goto bad;
	} else {
		u->host = xstrdup(host);
		if (!confval_is_domain(u->host))
			goto bad;
	}
	curl_free(host);
	return 0;
bad:
	curl_free(host);
	return -1;
}

/* Port 0 (or none written, "host:") is refused, as a port no server has. */
static int url_port(CURLU *h, const char *s, struct confval_url *u)
{
	char *port = NULL;
	CURLUcode rc = curl_url_get(h, CURLUPART_PORT, &port, 0);
	if (rc == CURLUE_NO_PORT) {
		const char *auth = strstr(s, "://") + 3;
		size_t n = strcspn(auth, "/");
		return n > 0 && auth[n - 1] == ':' ? -1 : 0;
	}
	unsigned long v = 0;
	int ok = rc == CURLUE_OK && parse_ulong(port, 65535, &v) == 0 && v > 0;
	curl_free(port);
	u->port = (int)v;
	return ok ? 0 : -1;
}

/* Every '%' starts an escape of two hex digits, and none decodes to NUL
 * (CURLU itself leaves a stray '%' as it is). */
static bool escapes_ok(const char *path)
{
	for (const char *p = strchr(path, '%'); p != NULL; p = strchr(p + 1, '%'))
		if (hex_value(p[1]) < 0 || hex_value(p[2]) < 0 || (p[1] == '0' && p[2] == '0'))
			return false;
	return true;
}

static int url_path(CURLU *h, struct confval_url *u)
{
	char *raw = NULL, *decoded = NULL;
	int rc = -1;
	if (curl_url_get(h, CURLUPART_PATH, &raw, 0) == CURLUE_OK && escapes_ok(raw) &&
	    curl_url_get(h, CURLUPART_PATH, &decoded, CURLU_URLDECODE) == CURLUE_OK) {
		u->path = xstrdup(decoded[0] == '/' ? decoded + 1 : decoded);
		rc = 0;
	}
	curl_free(raw);
	curl_free(decoded);
	return rc;
}

/* The parts of a URL CURLU has read, checked one by one. */
static int url_parts(CURLU *h, const char *s, struct confval_url *u, struct err *err)
{
	char *scheme = NULL;
	if (url_has(h, CURLUPART_USER) || url_has(h, CURLUPART_PASSWORD) ||
	    url_has(h, CURLUPART_OPTIONS) || strchr(s, '@') != NULL) {
		err_set(err, ERR_CONFIG, "%s", url_error_text(CURLUE_BAD_USER));
		return -1;
	}
	if (url_has(h, CURLUPART_QUERY) || url_has(h, CURLUPART_FRAGMENT) || strpbrk(s, "?#")) {
		err_set(err, ERR_CONFIG, "%s", url_error_text(CURLUE_BAD_QUERY));
		return -1;
	}
	/* CURLU reads "imaps:///INBOX" as the host INBOX: no authority. */
	if (strstr(s, "://")[3] == '/' || url_host(h, u) < 0) {
		err_set(err, ERR_CONFIG, "bad host in URL");
		return -1;
	}
	if (url_port(h, s, u) < 0) {
		err_set(err, ERR_CONFIG, "bad port in URL");
		return -1;
	}
	if (url_path(h, u) < 0) {
		err_set(err, ERR_CONFIG, "bad %%-escape in the URL path");
		return -1;
	}
	curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	u->scheme = xstrdup(scheme ? scheme : "");
	str_lower(u->scheme);
	curl_free(scheme);
	return 0;
}

int confval_url(const char *s, struct confval_url *u, struct err *err)
{
	memset(u, 0, sizeof(*u));
	const char *sep = strstr(s, "://");
	if (sep == NULL || sep == s || strlen(s) > URL_MAX) {
		err_set(err, ERR_CONFIG, "'%s' is not a URL (scheme://host[:port])", s);
		return -1;
	}
	CURLU *h = curl_url();
	if (h == NULL)
		abort(); /* out of memory, as xmalloc */
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
	int ret = 0;
	const char *rb = strchr(s, ']');
	if (rc == CURLUE_BAD_PORT_NUMBER && rb != NULL && rb[1] != ':')
		rc = CURLUE_BAD_IPV6; /* "[::1]x": CURLU reads x as the port */
	if (rc != CURLUE_OK) {
		err_set(err, ERR_CONFIG, "%s", url_error_text(rc));
		ret = -1;
	} else {
		ret = url_parts(h, s, u, err);
	}
	curl_url_cleanup(h);
	if (ret < 0)
		confval_url_clear(u);
	return ret;
}

void confval_url_clear(struct confval_url *u)
{
	xfree(&u->scheme);
	xfree(&u->host);
	xfree(&u->path);
	u->port = 0;
}

int confval_minute_of_day(const char *s, int *minute_r, struct err *err)
{
	unsigned long h, m;
	char hh[3] = { 0 }, mm[3] = { 0 };
	if (strlen(s) != 5 || s[2] != ':')
		goto bad;
	memcpy(hh, s, 2);
	memcpy(mm, s + 3, 2);
	if (parse_ulong(hh, 23, &h) < 0 || parse_ulong(mm, 59, &m) < 0)
		goto bad;
	*minute_r = (int)(h * 60 + m);
	return 0;
bad:
	err_set(err, ERR_CONFIG, "'%s' is not a time of day (HH:MM, 00:00 .. 23:59)", s);
	return -1;
}

static int cmp_desc(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

int confval_reminders(const char *s, long **v_r, size_t *n_r, struct err *err)
{
	struct strlist items = { 0 };
	strlist_split(&items, s, ',');
	long *v = xcalloc(items.n ? items.n : 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < items.n; i++) {
		long d;
		if (confval_duration(items.v[i], 60, 366L * 86400, &d, err) < 0) {
			free(v);
			strlist_free(&items);
			return -1;
		}
		v[n++] = d;
	}
	strlist_free(&items);
	if (n == 0) {
		free(v);
		err_set(err, ERR_CONFIG, "no reminder offset given");
		return -1;
	}
	qsort(v, n, sizeof(*v), cmp_desc);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[k - 1])
			v[k++] = v[i];
	*v_r = v;
	*n_r = k;
	return 0;
}

/* The date/time part "YYYY-MM-DD HH:MM" must parse in zone. */
static int local_instant(const char *when, const char *zone, time_t *t_r, struct err *err)
{
	if (!tztime_zone_valid(zone)) {
		err_set(err, ERR_CONFIG, "'%s' is not a time zone (use an IANA name such as "
			"America/New_York)", zone);
		return -1;
	}
	if (tztime_parse_local(when, zone, t_r) < 0) {
		err_set(err, ERR_CONFIG, "'%s' is not a valid date and time in %s "
			"(YYYY-MM-DD HH:MM; a time skipped by a DST change does not exist)",
			when, zone);
		return -1;
	}
	return 0;
}

/* Split s at its last blank: *head_r and *tail_r point into copy. */
static int split_last(char *copy, char **head_r, char **tail_r)
{
	char *sp = strrchr(copy, ' ');
	char *tab = strrchr(copy, '\t');
	if (tab > sp)
		sp = tab;
	if (sp == NULL)
		return -1;
	*sp = '\0';
	*head_r = str_trim(copy);
	*tail_r = sp + 1;
	return 0;
}

int confval_datetime_zone(const char *s, time_t *t_r, char **zone_r, struct err *err)
{
	char *copy = xstrdup(s), *when, *zone;
	if (split_last(str_trim(copy), &when, &zone) < 0 || strchr(zone, ':') != NULL) {
		err_set(err, ERR_CONFIG, "'%s' is not \"YYYY-MM-DD HH:MM ZONE\" (the zone is "
			"required)", s);
		free(copy);
		return -1;
	}
	int rc = local_instant(when, zone, t_r, err);
	if (rc == 0)
		*zone_r = xstrdup(zone);
	free(copy);
	return rc;
}

static bool looks_like_hhmm(const char *s)
{
	int m;
	return confval_minute_of_day(s, &m, NULL) == 0;
}

int confval_extend(const char *s, char **name_r, char **when_r, char **zone_r,
		   struct err *err)
{
	char *copy = xstrdup(s), *rest, *last, *time_part, *date_part, *name;
	char *zone = NULL;
	if (split_last(str_trim(copy), &rest, &last) < 0)
		goto bad;
	if (looks_like_hhmm(last)) {
		time_part = last;
	} else {
		zone = last;
		if (split_last(rest, &rest, &time_part) < 0 || !looks_like_hhmm(time_part))
			goto bad;
	}
	if (split_last(rest, &name, &date_part) < 0 || *name == '\0' || strlen(date_part) != 10)
		goto bad;
	*name_r = xstrdup(name);
	*when_r = xasprintf("%s %s", date_part, time_part);
	*zone_r = xstrdup(zone);
	free(copy);
	return 0;
bad:
	err_set(err, ERR_CONFIG, "'%s' is not \"MEMBER YYYY-MM-DD HH:MM [ZONE]\"", s);
	free(copy);
	return -1;
}

bool confval_is_slug(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || strstr(s, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '.' || c == '_' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

char *confval_format_duration(long seconds, char *out, size_t n)
{
	static const struct { long mult; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t len = 0;
	if (n == 0)
		return out;
	out[0] = '\0';
	if (seconds <= 0) {
		snprintf(out, n, "%lds", seconds < 0 ? seconds : 0);
		return out;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && len < n; i++) {
		long k = seconds / units[i].mult;
		if (k == 0)
			continue;
		int w = snprintf(out + len, n - len, "%ld%c", k, units[i].unit);
		if (w < 0)
			break;
		len += (size_t)w;
		seconds %= units[i].mult;
	}
	return out;
}

bool confval_loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (str_ieq(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}
