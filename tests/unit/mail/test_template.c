/* test_template.c — placeholder rendering, the built-in texts in every
 * language (complete, same placeholders), the sample files in
 * contrib/templates, override files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <unistr.h>

#include "intaked/fsio.h"
#include "template.h"
#include "intaked/util.h"

static const struct template_var vars[] = {
	{ "call_title", "Progress Declaration, IMRF 2022" },
	{ "n", "42" },
	{ "empty", NULL },
	{ "brace", "{n}" },
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static const struct {
	const char *in, *want;
} renders[] = {
	{ "", "" },
	{ "no placeholders", "no placeholders" },
	{ "{call_title}", "Progress Declaration, IMRF 2022" },
	{ "a {n} b {n}", "a 42 b 42" },
	{ "[{empty}]", "[]" },
	{ "{unknown} stays", "{unknown} stays" },
	{ "{{n}} is literal", "{n}} is literal" },
	{ "{{", "{" },
	{ "{", "{" },
	{ "end {n", "end {n" },
	{ "{N} is case-sensitive", "{N} is case-sensitive" },
	{ "{ n }", "{ n }" },
	{ "{brace} not expanded twice", "{n} not expanded twice" },
	{ "{{{n}", "{42" },
	{ "{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
	  "{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}" },
	{ "é{n}ü", "é42ü" },
};

static void test_render(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(renders) / sizeof(renders[0]); i++) {
		char *out = template_render(renders[i].in, vars, NVARS);
		if (strcmp(out, renders[i].want) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, out, renders[i].want);
		free(out);
	}
	char *out = template_render(NULL, vars, NVARS);
	assert_string_equal(out, "");
	free(out);
	out = template_render("{n}", NULL, 0);
	assert_string_equal(out, "{n}");
	free(out);
}

/* Every name template.h documents. */
static const char *const names[] = {
	"ack_subject", "ack", "outcome_on_time", "outcome_within_grace",
	"outcome_late_accepted", "outcome_late_flagged", "outcome_rejected", "outcome_early",
	"outcome_over_limit", "outcome_unreadable", "outcome_new_version", "doc_line",
	"doc_error", "body_line", "no_limit", "reason_too_large", "reason_encrypted",
	"reason_corrupt", "reason_unsupported", "reason_timeout", "reason_no_text",
	"reason_tnef", "unmatched_subject", "unmatched", "unmatched_by_address",
	"unmatched_by_subject", "reminder_subject", "reminder", "reminder_status_missing",
	"reminder_status_received", "digest_subject", "digest",
	"unexamined_line", "unexamined_part", "unexamined_more", "skip_parts", "skip_depth",
	"skip_size", "skip_time", "link_line", "word_count_unknown", "outcome_limit_unknown",
	"outcome_linked", "outcome_linked_counted", "digest_hidden", "digest_unexamined_line",
	"digest_unexamined_part", "digest_unexamined_more", "digest_link_line",
	"digest_limit_unknown", "limit_unknown",
};

/* The sorted, de-duplicated placeholders of text as "a,b,c". */
static char *placeholders(const char *text)
{
	struct strlist l = { 0 };
	for (const char *p = text; (p = strchr(p, '{')) != NULL; p++) {
		size_t n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (n > 0 && p[1 + n] == '}') {
			char *name = xstrndup(p + 1, n);
			if (!strlist_contains_ci(&l, name))
				strlist_push(&l, name);
			free(name);
		}
	}
	for (size_t i = 0; i < l.n; i++)
		for (size_t j = i + 1; j < l.n; j++)
			if (strcmp(l.v[j], l.v[i]) < 0) {
				char *t = l.v[i];
				l.v[i] = l.v[j];
				l.v[j] = t;
			}
	struct buf b;
	buf_init(&b, 4096);
	for (size_t i = 0; i < l.n; i++)
		buf_printf(&b, "%s%s", i ? "," : "", l.v[i]);
	strlist_free(&l);
	return buf_steal(&b);
}

static void test_builtins_complete(void **state)
{
	(void)state;
	static const char *const langs[] = { "fr", "es" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *en = template_builtin(names[i], "en");
		if (en == NULL)
			fail_msg("no en text for %s", names[i]);
		assert_null(u8_check((const uint8_t *)en, strlen(en)));
		char *want = placeholders(en);
		for (size_t k = 0; k < 2; k++) {
			const char *t = template_builtin(names[i], langs[k]);
			assert_non_null(t);
			if (t == en)
				fail_msg("%s: no %s translation", names[i], langs[k]);
			assert_null(u8_check((const uint8_t *)t, strlen(t)));
			char *got = placeholders(t);
			if (strcmp(got, want) != 0)
				fail_msg("%s/%s placeholders %s, en has %s", names[i], langs[k], got, want);
			free(got);
			/* Subjects are one line; bodies end with a newline or are
			 * paragraphs without one, never with blank lines. */
			if (strstr(names[i], "subject"))
				assert_null(strchr(t, '\n'));
			assert_null(strstr(t, "\n\n\n"));
			assert_null(strchr(t, '\r'));
			assert_null(strchr(t, '\t'));
		}
		free(want);
		/* Upper case, unknown or NULL languages fall back sensibly. */
		assert_ptr_equal(template_builtin(names[i], "de"), en);
		assert_ptr_equal(template_builtin(names[i], NULL), en);
		assert_ptr_equal(template_builtin(names[i], "FR"), template_builtin(names[i], "fr"));
	}
	assert_null(template_builtin("no_such_template", "en"));
	assert_null(template_builtin(NULL, "en"));
}

static void test_ack_wording(void **state)
{
	(void)state;
	assert_non_null(strstr(template_builtin("ack", "en"),
			       "We acknowledge receipt of your written input to {call_title}."));
	assert_non_null(strstr(template_builtin("ack", "fr"),
			       "Nous accusons réception de votre contribution écrite à {call_title}."));
	assert_non_null(strstr(template_builtin("ack", "es"),
			       "Acusamos recibo de su contribución escrita a {call_title}."));
	static const char *const need[] = { "{call_title}", "{received_local}", "{received_utc}",
					    "{documents}", "{word_count}", "{word_limit}",
					    "{outcome}", "{id}" };
	static const char *const langs[] = { "en", "fr", "es" };
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			assert_non_null(strstr(template_builtin("ack", langs[l]), need[i]));
}

/* contrib/templates/ack.LANG.txt are the built-ins, as a file would be
 * written to override them. Run from the top of the tree (make unit). */
static void test_contrib_files(void **state)
{
	(void)state;
	static const char *const langs[] = { "en", "fr", "es" };
	for (size_t l = 0; l < 3; l++) {
		char *path = xasprintf("contrib/templates/ack.%s.txt", langs[l]);
		char *text;
		struct err e = { 0 };
		if (template_load(path, &text, &e) < 0)
			fail_msg("%s: %s", path, e.msg);
		char *want = xasprintf("Subject: %s\n\n%s", template_builtin("ack_subject", langs[l]),
				       template_builtin("ack", langs[l]));
		assert_string_equal(text, want);
		char *subject, *body;
		template_split(text, &subject, &body);
		assert_string_equal(subject, template_builtin("ack_subject", langs[l]));
		assert_string_equal(body, template_builtin("ack", langs[l]));
		free(subject);
		free(body);
		free(want);
		free(text);
		free(path);
	}
}

static const struct {
	const char *in, *subject, *body;
} splits[] = {
	{ "Subject: Hello {subject}\n\nBody\n", "Hello {subject}", "Body\n" },
	{ "subject:Hi\nBody right after\n", "Hi", "Body right after\n" },
	{ "Subject:   spaced   \r\n\r\nCRLF body\r\n", "spaced", "CRLF body\r\n" },
	{ "Subject: only", "only", "" },
	{ "No subject line\nSubject: not first\n", NULL, "No subject line\nSubject: not first\n" },
	{ "", NULL, "" },
};

static void test_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		char *subject, *body;
		template_split(splits[i].in, &subject, &body);
		if (splits[i].subject == NULL)
			assert_null(subject);
		else
			assert_string_equal(subject, splits[i].subject);
		assert_string_equal(body, splits[i].body);
		free(subject);
		free(body);
	}
}

static void test_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_template.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *good = xasprintf("%s/good.txt", dir);
	char *bad = xasprintf("%s/bad.txt", dir);
	char *big = xasprintf("%s/big.txt", dir);
	char *missing = xasprintf("%s/missing.txt", dir);
	struct err e = { 0 };
	const char *good_text = "Subject: S\n\nTexte réel {call_title}\n";
	assert_int_equal(fsio_replace(good, good_text, strlen(good_text), 0600, &e), 0);
	assert_int_equal(fsio_replace(bad, "Latin-1 \xe9t\xe9\n", 12, 0600, &e), 0);
	char *nul = xasprintf("%s/nul.txt", dir);
	assert_int_equal(fsio_replace(nul, "a\0b\n", 4, 0600, &e), 0);
	char *huge = xmalloc(70000);
	memset(huge, 'a', 70000);
	assert_int_equal(fsio_replace(big, huge, 70000, 0600, &e), 0);
	free(huge);

	char *text = NULL;
	assert_int_equal(template_load(good, &text, &e), 0);
	assert_string_equal(text, good_text);
	free(text);
	const char *fails[] = { bad, big, missing, nul };
	for (size_t i = 0; i < 4; i++) {
		memset(&e, 0, sizeof(e));
		text = NULL;
		assert_int_equal(template_load(fails[i], &text, &e), -1);
		assert_int_equal(e.cls, ERR_CONFIG);
		assert_null(text);
		assert_true(e.msg[0] != '\0');
	}
	assert_int_equal(template_load(missing, &text, NULL), -1);
	unlink(good);
	unlink(bad);
	unlink(big);
	unlink(nul);
	free(nul);
	rmdir(dir);
	free(good);
	free(bad);
	free(big);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_builtins_complete),
		cmocka_unit_test(test_ack_wording),
		cmocka_unit_test(test_contrib_files),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
