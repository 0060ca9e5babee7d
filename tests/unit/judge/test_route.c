/* test_route.c — which call a message is for: one row per precedence rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/address.h"
#include "intaked/route.h"

static void test_address_matches(void **state)
{
	(void)state;
	static const struct { const char *addr, *want; int match; } rows[] = {
		{ "inputs+imrf@example.org", "inputs+imrf@example.org", 1 },
		{ "Inputs+IMRF@Example.ORG", "inputs+imrf@example.org", 1 },
		{ "inputs@example.org", "inputs@example.org", 1 },
		/* A bare want takes any tag. */
		{ "inputs+anything@example.org", "inputs@example.org", 1 },
		{ "INPUTS+x@EXAMPLE.org", "inputs@example.org", 1 },
		/* A tagged want takes only itself. */
		{ "inputs@example.org", "inputs+imrf@example.org", 0 },
		{ "inputs+gcm@example.org", "inputs+imrf@example.org", 0 },
		{ "inputs+imrf+x@example.org", "inputs+imrf@example.org", 0 },
		{ "inputsx@example.org", "inputs@example.org", 0 },
		{ "input@example.org", "inputs@example.org", 0 },
		{ "inputs+@example.org", "inputs@example.org", 0 },
		{ "inputs+x@example.com", "inputs@example.org", 0 },
		{ "inputs+x@sub.example.org", "inputs@example.org", 0 },
		{ "", "inputs@example.org", 0 },
		{ "inputs@example.org", "", 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (address_matches(rows[i].addr, rows[i].want) != rows[i].match)
			fail_msg("row %zu: %s vs %s", i, rows[i].addr, rows[i].want);
	assert_int_equal(address_matches(NULL, "a@b.c"), 0);
}

/* Calls: 0 imrf (inputs+imrf@, [IMRF]), 1 gcm (inputs@, [GCM]),
 * 2 sdg (subject [SDG] only), 3 ffd (ffd@, also [IMRF]). */
static struct config *make_config(void)
{
	static const struct { const char *name, *to, *subject; } calls[] = {
		{ "imrf", "inputs+imrf@example.org", "[IMRF]" },
		{ "gcm", "inputs@example.org", "[GCM]" },
		{ "sdg", NULL, "[SDG]" },
		{ "ffd", "ffd@example.org", "[IMRF]" },
	};
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	cfg->ncalls = sizeof(calls) / sizeof(calls[0]);
	cfg->calls = xcalloc(cfg->ncalls, sizeof(*cfg->calls));
	for (size_t i = 0; i < cfg->ncalls; i++) {
		cfg->calls[i].name = (char *)calls[i].name;
		if (calls[i].to)
			strlist_push(&cfg->calls[i].match_to, calls[i].to);
		strlist_push(&cfg->calls[i].match_subject, calls[i].subject);
	}
	return cfg;
}

static void free_config(struct config *cfg)
{
	for (size_t i = 0; i < cfg->ncalls; i++) {
		strlist_free(&cfg->calls[i].match_to);
		strlist_free(&cfg->calls[i].match_subject);
	}
	free(cfg->calls);
	free(cfg);
}

struct row {
	const char *delivered_to, *original_to, *to, *cc, *subject;
	const char *want_call, *want_by, *want_also; /* also: names, comma-joined */
};

static void fill(struct strlist *l, const char *csv)
{
	if (csv)
		strlist_split(l, csv, ',');
}

static void test_route(void **state)
{
	(void)state;
	static const struct row rows[] = {
		{ NULL, NULL, "inputs+imrf@example.org", NULL, "Our input", "imrf", "to", "gcm" },
		{ NULL, NULL, "inputs@example.org", NULL, "Our input", "gcm", "to", "" },
		{ NULL, NULL, "inputs+other@example.org", NULL, "Input", "gcm", "to", "" },
		{ NULL, NULL, NULL, "inputs+imrf@example.org", "Input", "imrf", "cc", "gcm" },
		{ NULL, NULL, "someone@else.org", NULL, "Re: [sdg] input", "sdg", "subject", "" },
		{ NULL, NULL, "someone@else.org", NULL, "Input", NULL, NULL, "" },
		{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, "" },
		/* Delivered-To beats To: the envelope is what reached us. */
		{ "inputs+imrf@example.org", NULL, "inputs@example.org", NULL, "Input", "imrf",
		  "delivered-to", "gcm" },
		{ NULL, "ffd@example.org", "inputs+imrf@example.org", NULL, "Input", "ffd",
		  "x-original-to", "gcm,imrf" },
		/* To beats Cc. */
		{ NULL, NULL, "ffd@example.org", "inputs+imrf@example.org", "Input", "ffd", "to",
		  "gcm,imrf" },
		/* Any address level beats the subject. */
		{ NULL, NULL, "ffd@example.org", NULL, "[SDG] input", "ffd", "to", "sdg" },
		/* Same level: the call whose subject also matches wins... */
		{ NULL, NULL, "inputs@example.org, ffd@example.org", NULL, "[IMRF] input",
		  "ffd", "to", "imrf,gcm" },
		{ NULL, NULL, "ffd@example.org, inputs+other@example.org", NULL, "[gcm] input",
		  "gcm", "to", "ffd" },
		/* ...and without one, the call listed first. */
		{ NULL, NULL, "ffd@example.org, inputs+imrf@example.org", NULL, "input", "imrf",
		  "to", "gcm,ffd" },
		/* The subject beats exact-over-tag: inputs@ takes this one. */
		{ NULL, NULL, "inputs+imrf@example.org", NULL, "[GCM] input", "gcm", "to", "imrf" },
		/* Two calls tagged [IMRF], none addressed: the first. */
		{ NULL, NULL, "x@else.org", NULL, "[IMRF] input", "imrf", "subject", "ffd" },
		{ NULL, NULL, "inputs+imrf@example.org", NULL, "[SDG] input", "imrf", "to",
		  "gcm,sdg" },
	};
	struct config *cfg = make_config();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct analysis a;
		memset(&a, 0, sizeof(a));
		fill(&a.delivered_to, r->delivered_to);
		fill(&a.original_to, r->original_to);
		fill(&a.to, r->to);
		fill(&a.cc, r->cc);
		a.subject = (char *)r->subject;
		struct route_result res;
		route_message(cfg, &a, &res);
		const char *got = res.call >= 0 ? cfg->calls[res.call].name : NULL;
		char also[128] = "";
		size_t len = 0;
		for (size_t k = 0; k < res.n_also; k++)
			len += (size_t)snprintf(also + len, sizeof(also) - len, "%s%s", k ? "," : "",
						cfg->calls[res.also[k]].name);
		if ((got == NULL) != (r->want_call == NULL) ||
		    (got && strcmp(got, r->want_call) != 0) ||
		    (res.matched_by == NULL) != (r->want_by == NULL) ||
		    (res.matched_by && strcmp(res.matched_by, r->want_by) != 0) ||
		    strcmp(also, r->want_also) != 0)
			fail_msg("row %zu: got %s by %s also '%s'", i, got ? got : "none",
				 res.matched_by ? res.matched_by : "-", also);
		strlist_free(&a.delivered_to);
		strlist_free(&a.original_to);
		strlist_free(&a.to);
		strlist_free(&a.cc);
	}
	free_config(cfg);
}

/* The order of the calls does not let a catch-all steal a tagged address. */
static void test_exact_beats_tag(void **state)
{
	(void)state;
	struct config *cfg = make_config();
	struct call_config swap = cfg->calls[0];
	cfg->calls[0] = cfg->calls[1]; /* gcm (inputs@) first now */
	cfg->calls[1] = swap;
	struct analysis a;
	memset(&a, 0, sizeof(a));
	strlist_push(&a.to, "inputs+imrf@example.org");
	struct route_result res;
	route_message(cfg, &a, &res);
	assert_int_equal(res.call, 1);
	assert_string_equal(cfg->calls[res.call].name, "imrf");
	assert_int_equal(res.n_also, 1);
	assert_int_equal(res.also[0], 0);
	strlist_free(&a.to);
	free_config(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_matches),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_exact_beats_tag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
