/* test_entry.c — entry_build: one row per kind of entry and per field
 * that depends on the verdict, the version or the analysis. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "intaked/entry.h"
#include "intaked/identity.h"
#include "intaked/policy.h"
#include "intaked/route.h"

#define NOW ((time_t)1700000500)
#define RECEIVED ((time_t)1700000000)

/* Calls: 0 imrf (words 5000), 1 gcm. */
static struct config *make_config(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	cfg->ncalls = 2;
	cfg->calls = xcalloc(cfg->ncalls, sizeof(*cfg->calls));
	cfg->calls[0] = (struct call_config){ .name = "imrf", .title = "IMRF review",
					      .zone = "Europe/Paris", .word_limit = 5000 };
	cfg->calls[1] = (struct call_config){ .name = "gcm", .title = "GCM" };
	return cfg;
}

/* analysis_new gives "" for the strings it always has. */
static void set(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/* From a@b.org, a report.pdf of 120 words; unknown: one part unexamined. */
static struct analysis *make_analysis(bool unknown)
{
	struct analysis *a = analysis_new();
	set(&a->from_addr, "a@b.org");
	set(&a->from_name, "Ann");
	set(&a->subject, "Inputs");
	set(&a->message_id, "<m1@b.org>");
	set(&a->reply_to_addr, "r@b.org");
	a->headers = xcalloc(1, sizeof(*a->headers));
	a->headers[0] = (struct header){ xstrdup("Authentication-Results"),
					 xstrdup("mx; dmarc=pass") };
	a->nheaders = 1;
	a->docs = xcalloc(1, sizeof(*a->docs));
	a->docs[0] = (struct document){ .name = xstrdup("report.pdf"),
					.file = xstrdup("files/report.pdf"),
					.content_type = xstrdup("application/pdf"),
					.type = xstrdup("pdf"), .size = 900, .is_document = true,
					.words = 120 };
	a->ndocs = 1;
	a->word_count = 120;
	a->counted = "documents";
	strcpy(a->language, "en");
	a->language_confidence = 0.75;
	analysis_add_link(a, "https://drive.example/x", "google_drive");
	if (unknown)
		analysis_add_unexamined(a, "1.4", "big.docx", "size");
	return a;
}

struct row {
	const char *name;
	enum entry_fate fate;
	const char *kind, *reason;  /* the verdict's (ignored, malformed) */
	bool analysed, unknown;     /* analysis there; a part unexamined */
	int route_call, version;
	bool held, verified;
	/* expected */
	const char *want_kind, *want_reason, *want_call, *want_title, *want_supersedes;
	long want_words;
	size_t want_docs;
	bool want_unknown;
};

static const struct row rows[] = {
	{ "too big, not analysed", ENTRY_MALFORMED, NULL, "message too big", false, false, -1, 0,
	  false, false, "malformed", "message too big", NULL, NULL, NULL, -1, 0, false },
	{ "no sender", ENTRY_MALFORMED, NULL, "no From", true, false, -1, 0, false, false,
	  "malformed", "no From", NULL, NULL, NULL, -1, 0, false },
	{ "auto-reply to a call", ENTRY_IGNORED, "auto-reply", "Auto-Submitted", true, false, 0,
	  0, false, false, "auto-reply", "Auto-Submitted", "imrf", NULL, NULL, -1, 0, false },
	{ "bounce to no call", ENTRY_IGNORED, "bounce", "DSN", true, false, -1, 0, false, false,
	  "bounce", "DSN", NULL, NULL, NULL, -1, 0, false },
	{ "unmatched", ENTRY_UNMATCHED, NULL, NULL, true, false, -1, 0, false, false,
	  "unmatched", NULL, NULL, NULL, NULL, 120, 1, false },
	{ "first version", ENTRY_SUBMISSION, NULL, NULL, true, false, 0, 1, false, true,
	  "submission", NULL, "imrf", "IMRF review", NULL, 120, 1, false },
	{ "third version", ENTRY_SUBMISSION, NULL, NULL, true, false, 0, 3, false, true,
	  "submission", NULL, "imrf", "IMRF review", "v2", 120, 1, false },
	{ "held, words unknown", ENTRY_SUBMISSION, NULL, NULL, true, true, 1, 2, true, false,
	  "submission", NULL, "gcm", "GCM", "v1", 120, 1, true },
};

static void check_common(const struct row *r, const struct metadata *md)
{
	assert_string_equal(md->id, "20231114T221320Z-abcdef012345");
	assert_string_equal(md->raw_sha256, "abcdef0123456789");
	assert_int_equal(md->raw_size, 4321);
	assert_int_equal(md->received_at, RECEIVED);
	assert_int_equal(md->filed_at, NOW);
	assert_string_equal(md->imap.mailbox, "INBOX");
	assert_int_equal(md->imap.uidvalidity, 7);
	assert_int_equal(md->imap.uid, 42);
	assert_string_equal(md->ack.state, "suppressed");
	if (r->analysed) {
		assert_string_equal(md->from, "a@b.org");
		assert_string_equal(md->reply_to, "r@b.org");
		assert_string_equal(md->message_id, "<m1@b.org>");
	} else {
		assert_null(md->from);
		assert_null(md->subject);
	}
}

static void check_fields(const struct row *r, const struct metadata *md)
{
	const char *s;
#define STR_EQ(got, want)                                                                  \
	do {                                                                               \
		s = (got);                                                                 \
		if ((want) == NULL ? s != NULL : s == NULL || strcmp(s, (want)) != 0)      \
			fail_msg("%s: %s is %s, want %s", r->name, #got, s ? s : "NULL",   \
				 (want) ? (want) : "NULL");                                \
	} while (0)
	STR_EQ(md->kind, r->want_kind);
	STR_EQ(md->reason, r->want_reason);
	STR_EQ(md->call, r->want_call);
	STR_EQ(md->call_title, r->want_title);
	STR_EQ(md->supersedes, r->want_supersedes);
#undef STR_EQ
	assert_int_equal(md->word_count, r->want_words);
	assert_int_equal(md->ndocuments, r->want_docs);
	assert_int_equal(md->over_limit_unknown, r->want_unknown);
}

static void check_submission(const struct row *r, const struct metadata *md)
{
	if (r->fate != ENTRY_SUBMISSION) {
		assert_int_equal(md->version, 0);
		assert_null(md->submitter.slug);
		assert_null(md->status);
		return;
	}
	assert_int_equal(md->version, r->version);
	assert_int_equal(md->held, r->held);
	assert_int_equal(md->submitter.verified, r->verified);
	assert_string_equal(md->submitter.slug, "bangladesh");
	assert_string_equal(md->submitter.name, "Bangladesh");
	assert_string_equal(md->submitter.matched_by, "address");
	assert_string_equal(md->status, "late");
	assert_string_equal(md->timeliness, "within_grace");
	assert_int_equal(md->deadline, RECEIVED - 60);
	assert_string_equal(md->auth.raw, "mx; dmarc=pass");
	assert_string_equal(md->auth.dmarc, "pass");
	assert_null(md->auth.spf);
	assert_string_equal(md->documents[0].file, "files/report.pdf");
	assert_int_equal(md->documents[0].words, 120);
	assert_string_equal(md->counted, "documents");
	assert_string_equal(md->language, "en");
	assert_int_equal(md->nlinked, 1);
	assert_int_equal(md->nunexamined, r->unknown ? 1 : 0);
	assert_string_equal(md->route.matched_by, "to");
	assert_int_equal(md->route.also.n, r->route_call == 0 ? 1 : 0);
	assert_int_equal(md->word_limit, r->route_call == 0 ? 5000 : 0);
}

static struct metadata *build_row(const struct row *r, const struct config *cfg)
{
	static const struct roster_member member = { .name = "Bangladesh", .slug = "bangladesh" };
	struct analysis *a = r->analysed ? make_analysis(r->unknown) : NULL;
	struct route_result rr = { .call = r->route_call, .matched_by = "to" };
	if (r->route_call == 0)
		rr.also[rr.n_also++] = 1;
	struct identity who = { .member = &member, .matched_by = ROSTER_ADDRESS,
				.slug = "bangladesh", .verified = r->verified };
	strcpy(who.auth.dmarc, "pass");
	struct policy_verdict pv = { .timeliness = TIME_WITHIN_GRACE, .status = STATUS_LATE,
				     .deadline = RECEIVED - 60 };
	const struct entry_message m = { .id = "20231114T221320Z-abcdef012345",
					 .raw_sha256 = "abcdef0123456789", .mailbox = "INBOX",
					 .raw_size = 4321, .received_at = RECEIVED,
					 .uidvalidity = 7, .uid = 42 };
	const struct entry_verdict v = { .fate = r->fate, .kind = r->kind, .reason = r->reason,
					 .cfg = cfg, .route = r->fate == ENTRY_MALFORMED ? NULL : &rr,
					 .who = &who, .policy = &pv, .held = r->held };
	struct metadata *md = entry_build(a, &m, &v, r->version, NOW);
	analysis_free(&a);
	return md;
}

static void test_entry_rows(void **state)
{
	(void)state;
	struct config *cfg = make_config();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct metadata *md = build_row(&rows[i], cfg);
		check_common(&rows[i], md);
		check_fields(&rows[i], md);
		check_submission(&rows[i], md);
		metadata_free(&md);
	}
	free(cfg->calls);
	free(cfg);
}

/* Pure: the same inputs twice give the same metadata.json. */
static void test_entry_deterministic(void **state)
{
	(void)state;
	struct config *cfg = make_config();
	struct metadata *a = build_row(&rows[5], cfg), *b = build_row(&rows[5], cfg);
	char *ja = metadata_to_json(a), *jb = metadata_to_json(b);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	metadata_free(&a);
	metadata_free(&b);
	free(cfg->calls);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_rows),
		cmocka_unit_test(test_entry_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
