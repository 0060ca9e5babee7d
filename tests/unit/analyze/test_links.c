/* test_links.c — documents shared as links: which URLs are file services,
 * and finding them in plain text and HTML source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "links.h"
#include "intaked/util.h"

static void test_services(void **state)
{
	(void)state;
	static const struct { const char *url, *want; } rows[] = {
		{ "https://1drv.ms/w/s!AkB2cD", "onedrive" },
		{ "https://onedrive.live.com/redir?resid=1", "onedrive" },
		{ "https://mofa-my.sharepoint.com/:w:/g/personal/x/EaB?e=1", "onedrive" },
		{ "https://mofa.sharepoint.com/sites/un/Shared%20Documents/x.docx", "sharepoint" },
		{ "https://MOFA.SharePoint.com/:b:/s/x", "sharepoint" },
		{ "https://drive.google.com/file/d/1x/view", "google_drive" },
		{ "https://docs.google.com/document/d/1x/edit", "google_docs" },
		{ "https://www.dropbox.com/s/abc/input.docx?dl=0", "dropbox" },
		{ "https://we.tl/t-AbCd", "wetransfer" },
		{ "https://mission.wetransfer.com/downloads/1", "wetransfer" },
		{ "https://app.box.com/s/xyz", "box" },
		{ "https://www.icloud.com/iclouddrive/0ab#input", "icloud_drive" },
		{ "https://www.icloud.com/photos/", NULL },
		{ "https://user:pw@mofa-my.sharepoint.com/x", "onedrive" },
		{ "https://my.sharepoint.com.evil.example/x", NULL },
		{ "https://notsharepoint.com/x", NULL },
		{ "https://evilbox.com/x", NULL },
		{ "https://www.un.org/en/", NULL },
		{ "ftp://we.tl/x", NULL },
		{ "https://sharepoint.com:443/x", "sharepoint" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = links_service(rows[i].url);
		if ((got == NULL) != (rows[i].want == NULL) ||
		    (got != NULL && strcmp(got, rows[i].want) != 0))
			fail_msg("%s: %s, want %s", rows[i].url, got ? got : "NULL",
				 rows[i].want ? rows[i].want : "NULL");
	}
}

static void collect(const char *url, const char *service, void *arg)
{
	struct strlist *l = arg;
	char *s = xasprintf("%s %s", service, url);
	strlist_push(l, s);
	free(s);
}

static void test_scan_text_and_html(void **state)
{
	(void)state;
	const char *text =
		"Dear colleagues, our input: https://1drv.ms/w/s!AkB2cD.\n"
		"(see https://www.un.org/x) and <a href=\"https://x-my.sharepoint.com/:w:/p?a=1&amp;b=2\">"
		"here</a>, again https://1drv.ms/w/s!AkB2cD and HTTPS://WE.TL/t-Ab)";
	struct strlist l = { 0 };
	assert_int_equal(links_scan(text, strlen(text), collect, &l), 3);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "onedrive https://1drv.ms/w/s!AkB2cD");
	assert_string_equal(l.v[1], "onedrive https://x-my.sharepoint.com/:w:/p?a=1&b=2");
	assert_string_equal(l.v[2], "wetransfer HTTPS://WE.TL/t-Ab");
	strlist_free(&l);
}

static void test_scan_is_bounded(void **state)
{
	(void)state;
	struct buf b;
	struct strlist l = { 0 };
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "https://we.tl/t-%d ", i);
	/* A URL longer than LINKS_URL_MAX is not recorded; the text is not
	 * NUL-terminated at len. */
	buf_puts(&b, "https://we.tl/");
	for (int i = 0; i < LINKS_URL_MAX; i++)
		buf_puts(&b, "a");
	assert_int_equal(links_scan(b.data, b.len, collect, &l), LINKS_MAX);
	strlist_free(&l);
	const char *tail = "x https://we.tl/t-1 https://1drv.ms/w/s!AkB2cD";
	assert_int_equal(links_scan(tail, strlen(tail) - 6, collect, &l), 2);
	assert_string_equal(l.v[1], "onedrive https://1drv.ms/w/s");
	strlist_free(&l);
	assert_int_equal(links_scan("https://", 8, collect, &l), 0);
	assert_int_equal(links_scan("", 0, collect, &l), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_scan_text_and_html),
		cmocka_unit_test(test_scan_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
