/* test_digest.c — the digest rules: slots at digest_at in the call's zone
 * across DST (tables), which days want one, one per local day and one
 * catch-up after downtime through digest_run on a real spool; the text
 * (totals, since the last digest, missing, flagged, mailbox counts); the
 * CSV (RFC 4180, formula guard); the built-in texts in fr and es. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "intaked/digest.h"
#include "digest_impl.h"
#include "template.h"
#include "sched_fixture.h"

#define NY "America/New_York"

/* ---- slots ---- */

static void test_slot_table(void **state)
{
	(void)state;
	const struct {
		const char *zone;
		int minute;
		const char *now, *want, *day;
	} rows[] = {
		/* spring forward in New York on 2022-03-13 */
		{ NY, 480, "2022-03-13T11:59:00Z", "2022-03-12T13:00:00Z", "2022-03-12" },
		{ NY, 480, "2022-03-13T12:00:00Z", "2022-03-13T12:00:00Z", "2022-03-13" },
		{ NY, 480, "2022-03-14T03:59:00Z", "2022-03-13T12:00:00Z", "2022-03-13" },
		/* fall back on 2022-11-06 */
		{ NY, 480, "2022-11-06T12:30:00Z", "2022-11-05T12:00:00Z", "2022-11-05" },
		{ NY, 480, "2022-11-06T13:00:00Z", "2022-11-06T13:00:00Z", "2022-11-06" },
		/* 02:30 does not exist on 2022-03-13: moved to 03:30 EDT */
		{ NY, 150, "2022-03-13T08:00:00Z", "2022-03-13T07:30:00Z", "2022-03-13" },
		/* local midnight, and the day before it */
		{ NY, 0, "2022-03-29T03:59:59Z", "2022-03-28T04:00:00Z", "2022-03-28" },
		{ NY, 0, "2022-03-29T04:00:00Z", "2022-03-29T04:00:00Z", "2022-03-29" },
		/* east of UTC: 08:00 in Kolkata is 02:30 UTC */
		{ "Asia/Kolkata", 480, "2022-03-29T02:00:00Z", "2022-03-28T02:30:00Z", "2022-03-28" },
		{ "Europe/Paris", 480, "2022-03-27T06:00:00Z", "2022-03-27T06:00:00Z", "2022-03-27" },
		{ "Europe/Paris", 480, "2022-03-27T05:59:00Z", "2022-03-26T07:00:00Z", "2022-03-26" },
		/* late evening in Los Angeles is the next day in UTC */
		{ "America/Los_Angeles", 1410, "2022-03-30T06:00:00Z", "2022-03-29T06:30:00Z",
		  "2022-03-28" },
		{ "UTC", 480, "2022-03-29T08:00:00Z", "2022-03-29T08:00:00Z", "2022-03-29" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char day[11];
		time_t got = digest_slot(fx_utc(rows[i].now), rows[i].zone, rows[i].minute, day);
		char s[32];
		tztime_format_utc(got, s, sizeof(s));
		if (strcmp(s, rows[i].want) != 0 || strcmp(day, rows[i].day) != 0)
			fail_msg("row %zu: got %s %s, want %s %s", i, s, day, rows[i].want,
				 rows[i].day);
	}
}

static void test_next_slot_table(void **state)
{
	(void)state;
	const struct {
		const char *zone;
		int minute;
		const char *now, *want;
	} rows[] = {
		{ NY, 480, "2022-03-12T13:00:00Z", "2022-03-13T12:00:00Z" }, /* a 23-hour day */
		{ NY, 480, "2022-11-05T12:00:00Z", "2022-11-06T13:00:00Z" }, /* a 25-hour day */
		{ NY, 480, "2022-03-29T11:59:59Z", "2022-03-29T12:00:00Z" },
		{ NY, 150, "2022-03-12T12:00:00Z", "2022-03-13T07:30:00Z" },
		{ "Asia/Kolkata", 480, "2022-03-28T02:30:00Z", "2022-03-29T02:30:00Z" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char s[32];
		tztime_format_utc(digest_next_slot(fx_utc(rows[i].now), rows[i].zone,
						   rows[i].minute), s, sizeof(s));
		if (strcmp(s, rows[i].want) != 0)
			fail_msg("row %zu: got %s, want %s", i, s, rows[i].want);
	}
}

/* ---- which days want a digest ---- */

static void test_wanted_table(void **state)
{
	(void)state;
	struct fx *f = fx_new("digest");
	struct call_config *c = fx_call(f, "c", "2022-03-29 18:00", NY, "name,addresses\n");
	c->digest_minute = 480;
	c->grace = 900;
	c->has_opens = true;
	c->opens = fx_local("2022-03-20 00:00", NY);
	fx_extend(c, "Somebody", fx_local("2022-03-31 18:00", NY));
	/* The last deadline + grace is 03-31 18:15: the final slot is 04-01 08:00. */
#define AT(s) fx_local(s, NY)
	const struct {
		const char *slot, *now, *last;
		bool news, want;
	} rows[] = {
		{ "2022-03-19 08:00", "2022-03-19 08:05", NULL, false, false },  /* not open */
		{ "2022-03-19 08:00", "2022-03-19 08:05", NULL, true, true },     /* early input */
		{ "2022-03-20 08:00", "2022-03-20 08:05", NULL, false, true },
		{ "2022-03-20 08:00", "2022-03-21 07:00", NULL, true, false },   /* first: today's */
		{ "2022-03-20 08:00", "2022-03-21 07:00", "2022-03-19 08:05", false, true },
		{ "2022-03-25 08:00", "2022-03-25 08:05", "2022-03-24 08:05", false, true },
		{ "2022-04-01 08:00", "2022-04-01 08:05", "2022-03-31 08:05", false, true },
		{ "2022-04-02 08:00", "2022-04-02 08:05", "2022-04-01 08:05", false, false },
		{ "2022-04-02 08:00", "2022-04-02 08:05", "2022-04-01 08:05", true, true },
		{ "2022-04-05 08:00", "2022-04-05 09:00", "2022-03-30 08:05", false, true },
		{ "2022-04-05 08:00", "2022-04-05 09:00", "2022-04-01 08:00", false, false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		time_t last = rows[i].last ? AT(rows[i].last) : 0;
		bool got = digest_wanted(c, AT(rows[i].slot), AT(rows[i].now), last, rows[i].news);
		if (got != rows[i].want)
			fail_msg("row %zu: got %d", i, got);
	}
	/* Without opens, any day before the end wants one. */
	c->has_opens = false;
	assert_true(digest_wanted(c, AT("2022-01-02 08:00"), AT("2022-01-02 09:00"), 0, false));
#undef AT
	fx_free(&f);
}

/* ---- digest_run on a spool ---- */

static const char roster_csv[] =
	"name,addresses\n"
	"Bangladesh,\"@mofa.gov.bd;bangladesh@un.int\"\n"
	"France,france@diplomatie.gouv.fr\n"
	"Mexico,@sre.gob.mx\n";

struct dfx {
	struct fx *f;
	struct call_config *c;
};

static int setup(void **state)
{
	struct dfx *d = xcalloc(1, sizeof(*d));
	d->f = fx_new("digest");
	d->c = fx_call(d->f, "imrf-2022", "2022-03-29 18:00", NY, roster_csv);
	d->c->digest_minute = 480;
	strlist_push(&d->c->coordinators, "coord@example.org");
	strlist_push(&d->c->coordinators, "expert2@example.org");
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dfx *d = *state;
	fx_free(&d->f);
	free(d);
	return 0;
}

static int run_at(struct dfx *d, const char *local)
{
	struct err err = { 0 };
	int n = digest_run(d->f->cfg, d->f->sp, NULL, fx_local(local, NY), false, true, NULL, &err);
	if (n < 0)
		fail_msg("digest_run: %s", err.msg);
	return n;
}

static void test_one_per_day_and_catch_up(void **state)
{
	struct dfx *d = *state;
	assert_int_equal(run_at(d, "2022-03-20 07:00"), 0); /* the first waits for today's */
	assert_int_equal(run_at(d, "2022-03-20 08:05"), 1);
	assert_int_equal(fx_queued(d->f), 2);                /* one per coordinator */
	assert_int_equal(fx_queued_with(d->f, "To: coord@example.org",
					"Subject: Daily digest: Title of imrf-2022, 2022-03-20",
					"Auto-Submitted: auto-generated",
					"Content-Type: text/csv; charset=utf-8",
					"imrf-2022-2022-03-20.csv", "multipart/mixed",
					"multipart/alternative", "Content-Type: text/plain",
					"Content-Type: text/html", "multipart/related",
					"Content-ID: <chart@intaked>", NULL), 1);
	assert_int_equal(run_at(d, "2022-03-20 08:05"), 0);
	assert_int_equal(run_at(d, "2022-03-20 23:59"), 0);
	assert_int_equal(run_at(d, "2022-03-21 07:59"), 0);
	assert_int_equal(run_at(d, "2022-03-21 08:00"), 1);
	/* Down from the 21st to the 25th: one digest, for the 25th. */
	assert_int_equal(run_at(d, "2022-03-25 10:00"), 1);
	assert_int_equal(run_at(d, "2022-03-25 11:00"), 0);
	assert_int_equal(fx_queued(d->f), 6);
	assert_int_equal(fx_queued_with(d->f, "imrf-2022-2022-03-25.csv", NULL), 2);
	assert_int_equal(fx_queued_with(d->f, "2022-03-2", "2022-03-24.csv", NULL), 0);
	/* A coordinator added during the day gets that day's digest. */
	strlist_push(&d->c->coordinators, "late@example.org");
	assert_int_equal(run_at(d, "2022-03-25 12:00"), 1);
	assert_int_equal(fx_queued(d->f), 7);
	assert_int_equal(run_at(d, "2022-03-25 13:00"), 0);
}

static void test_quiet_after_the_call(void **state)
{
	struct dfx *d = *state;
	assert_int_equal(run_at(d, "2022-03-29 08:05"), 1);
	assert_int_equal(run_at(d, "2022-03-30 08:05"), 1); /* the final one */
	assert_int_equal(run_at(d, "2022-03-31 08:05"), 0);
	struct metadata *md = fx_md(d->c, "france", "France", 1, fx_local("2022-03-31 09:00", NY));
	free(md->status);
	md->status = xstrdup("late");
	fx_submit(d->f, d->c, md);
	assert_int_equal(run_at(d, "2022-04-01 08:05"), 1); /* something new */
	assert_int_equal(run_at(d, "2022-04-02 08:05"), 0);
	assert_int_equal(digest_next_due(d->f->cfg, d->f->sp, fx_local("2022-04-02 08:05", NY)),
			 fx_local("2022-04-03 08:00", NY));
}

static char *text_at(struct dfx *d, const char *local, bool force)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct err err = { 0 };
	int n = digest_run(d->f->cfg, d->f->sp, d->c, fx_local(local, NY), force, false, out, &err);
	fclose(out);
	if (n != 1)
		fail_msg("digest_run: %d %s", n, err.msg);
	return text;
}

static void test_text_sections(void **state)
{
	struct dfx *d = *state;
	struct call_config *c = d->c;
	struct metadata *md = fx_md(c, "france", "France", 1, fx_local("2022-03-20 10:00", NY));
	md->over_limit = true;
	md->word_count = 6000;
	fx_submit(d->f, c, md);
	assert_int_equal(run_at(d, "2022-03-21 08:05"), 1);
	/* After that digest: France v2, an unknown sender, and mailbox noise. */
	md = fx_md(c, "france", "France", 2, fx_local("2022-03-22 10:00", NY));
	md->language = xstrdup("fr");
	fx_submit(d->f, c, md);
	md = fx_md(c, "unknown-0123456789", NULL, 1, fx_local("2022-03-22 11:00", NY));
	free(md->from_name);
	md->from_name = xstrdup("A. Stranger");
	free(md->ack.state);
	md->ack.state = xstrdup("failed");
	md->ndocuments = 1;
	md->documents = xcalloc(1, sizeof(*md->documents));
	md->documents[0].name = xstrdup("scan.pdf");
	md->documents[0].error = xstrdup("no_text");
	md->documents[0].words = -1;
	md->language = xstrdup("de-not-ours"); /* read from disk: counts as other */
	fx_submit(d->f, c, md);
	for (int i = 0; i < 3; i++) {
		struct metadata *n = metadata_new();
		n->id = xasprintf("20220322T1%d0000Z-00000000000%d", i, i);
		n->kind = xstrdup(i < 2 ? "auto-reply" : "unmatched");
		n->call = i < 2 ? xstrdup(c->name) : NULL; /* routed to this call */
		n->received_at = fx_local("2022-03-22 06:00", NY) + i;
		n->filed_at = n->received_at;
		char *rel = spool_dated_path(i < 2 ? "ignored" : "unmatched", n->received_at, n->id);
		fx_commit(d->f, rel, n);
		free(rel);
	}
	/* And one ignored before the last digest: not counted. */
	struct metadata *old = metadata_new();
	old->id = xstrdup("20220320T100000Z-000000000009");
	old->kind = xstrdup("bounce");
	old->call = xstrdup(c->name);
	old->filed_at = old->received_at = fx_local("2022-03-20 06:00", NY);
	char *rel = spool_dated_path("ignored", old->received_at, old->id);
	fx_commit(d->f, rel, old);
	free(rel);

	char *text = text_at(d, "2022-03-23 08:05", false);
	const char *want[] = {
		"Subject: Daily digest: Title of imrf-2022, 2022-03-23\n",
		"  Inputs received:            2 (3 versions)\n",
		"  On time:                    2\n",
		"  Over the word limit:        0\n", /* v2, the current one, is not */
		"  From unknown senders:       1\n",
		"  With unreadable documents:  1\n"
		"Languages: French: 1 input, 200 words; Other: 1 input, 100 words\n",
		"Received since the last digest (2022-03-21 08:05 EDT):\n"
		"- France, version 2, 2022-03-22 10:00 EDT: 200 words, on time\n"
		"- A. Stranger (unknown-0123456789@example.net), version 1, 2022-03-22 11:00 EDT: "
		"100 words, on time\n\n",
		"Not yet received (2 of 3 roster members):\n- Bangladesh\n- Mexico\n",
		"From senders not in the roster:\n- A. Stranger (unknown-0123456789@example.net): "
		"\"Input of unknown-0123456789\", 2022-03-22 11:00 EDT\n",
		"Documents that could not be read:\n- A. Stranger (unknown-0123456789@example.net): "
		"scan.pdf (no text layer, perhaps a scanned document)\n",
		"Mail that could not be delivered:\n- Acknowledgement to "
		"unknown-0123456789@example.net (A. Stranger (unknown-0123456789@example.net), "
		"version 1)\n",
		"Also received since the last digest: 2 automatic replies, bounces or\n"
		"list messages addressed to this call (kept, not recorded as inputs).",
		"[attachment imrf-2022-2022-03-23.csv: 3 rows,",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("missing %s in\n%s", want[i], text);
	assert_null(strstr(text, "version 1, 2022-03-20")); /* already in the last digest */
	assert_null(strstr(text, "Late, rejected or over")); /* nothing flagged now */
	free(text);
	/* Printing records nothing: the scheduled digest still goes out. */
	assert_int_equal(run_at(d, "2022-03-23 08:05"), 1);
	/* A forced digest, sent, counts as the last one but not as the day's. */
	struct err err = { 0 };
	assert_int_equal(digest_run(d->f->cfg, d->f->sp, c, fx_local("2022-03-23 12:00", NY), true,
				    true, NULL, &err), 1);
	assert_int_equal(fx_queued_with(d->f, "2022-03-23.csv", NULL), 4);
	text = text_at(d, "2022-03-24 08:05", false);
	assert_non_null(strstr(text, "Received since the last digest (2022-03-23 12:00 EDT):\n- none"));
	assert_null(strstr(text, "Also received"));
	free(text);
	/* Without coordinators a forced send is a configuration error. */
	strlist_free(&c->coordinators);
	assert_int_equal(digest_run(d->f->cfg, d->f->sp, c, fx_local("2022-03-24 12:00", NY), true,
				    true, NULL, &err), -1);
	assert_int_equal(err.cls, ERR_CONFIG);
}

static void test_flagged_and_french(void **state)
{
	struct dfx *d = *state;
	free(d->c->language);
	d->c->language = xstrdup("fr");
	struct metadata *md = fx_md(d->c, "bangladesh", "Bangladesh", 1,
				    fx_local("2022-03-29 19:00", NY));
	free(md->status);
	md->status = xstrdup("late");
	md->word_count = 7000;
	md->over_limit = true;
	md->language = xstrdup("es");
	fx_submit(d->f, d->c, md);
	fx_extend(d->c, "Mexico", fx_local("2022-03-31 18:00", NY));
	char *text = text_at(d, "2022-03-30 09:00", true);
	const char *want[] = {
		"Subject: Récapitulatif quotidien : Title of imrf-2022, 2022-03-30\n",
		"  En retard :                       1\n",
		"Langues : espagnol : 1 contribution, 7000 mots\n",
		"Reçues à ce jour :\n- Bangladesh, version 1, 2022-03-29 19:00 EDT : 7000 mots, "
		"en retard, au-delà de la limite de 5000 mots\n",
		"Pas encore reçues (2 sur 3 membres de la liste) :\n- France\n"
		"- Mexico (délai prolongé au 2022-03-31 18:00 EDT, dans 1 jour)\n",
		"En retard, refusées ou au-delà de la limite de mots :\n- Bangladesh",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("missing %s in\n%s", want[i], text);
	free(text);
}

/* ---- plural forms, time left, per-call mailbox counts (issue 16) ---- */

static void put_ignored(struct dfx *d, int i, const char *call, const char *area)
{
	struct metadata *n = metadata_new();
	n->id = xasprintf("20220326T1%d0000Z-00000000000%d", i, i);
	n->kind = xstrdup(strcmp(area, "ignored") == 0 ? "auto-reply" : "unmatched");
	n->call = call ? xstrdup(call) : NULL;
	n->received_at = fx_local("2022-03-26 06:00", NY) + i;
	n->filed_at = n->received_at;
	char *rel = spool_dated_path(area, n->received_at, n->id);
	fx_commit(d->f, rel, n);
	free(rel);
}

static void test_plural_time_left_per_call(void **state)
{
	struct dfx *d = *state;
	fx_submit(d->f, d->c, fx_md(d->c, "france", "France", 1, fx_local("2022-03-26 10:00", NY)));
	fx_extend(d->c, "Mexico", fx_local("2022-03-31 18:00", NY));
	put_ignored(d, 1, "imrf-2022", "ignored");  /* this call's */
	put_ignored(d, 2, "other-call", "ignored"); /* another call's: not here */
	put_ignored(d, 3, NULL, "ignored");         /* no call's: in no digest */
	put_ignored(d, 4, NULL, "unmatched");       /* no call's: in no digest */
	char *text = text_at(d, "2022-03-27 08:05", true);
	const char *want[] = {
		"Deadline in 2 days (2022-03-29 18:00 EDT).\n",
		"Extended: Mexico to 2022-03-31 18:00 EDT, in 4 days.\n",
		"  Inputs received:            1 (1 version)\n",
		"- Mexico (extended to 2022-03-31 18:00 EDT, in 4 days)\n",
		"Also received since the last digest: 1 automatic reply, bounce or list\n"
		"message addressed to this call (kept, not recorded as an input).",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("missing %s in\n%s", want[i], text);
	assert_null(strstr(text, "1 versions"));
	assert_non_null(strstr(text, "Not yet received (2 of 3 roster members):"));
	assert_null(strstr(text, "messages for no known"));
	free(text);
	/* After the deadline; French, where 0 and 1 are singular. */
	free(d->c->language);
	d->c->language = xstrdup("fr");
	text = text_at(d, "2022-03-31 09:00", true);
	const char *want_fr[] = {
		"Date limite dépassée depuis 1 jour (2022-03-29 18:00 EDT).\n",
		"  Contributions reçues :            1 (1 version)\n",
		"Prolongation : Mexico jusqu'au 2022-03-31 18:00 EDT, dans 9 heures.\n",
	};
	for (size_t i = 0; i < sizeof(want_fr) / sizeof(want_fr[0]); i++)
		if (strstr(text, want_fr[i]) == NULL)
			fail_msg("missing %s in\n%s", want_fr[i], text);
	free(text);
	/* A roster of one: "member", singular (last: fx_call moves d->c). */
	struct call_config *solo = fx_call(d->f, "solo", "2022-03-29 18:00", NY,
					   "name,addresses\nSolo,solo@example.org\n");
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct err err = { 0 };
	assert_int_equal(digest_run(d->f->cfg, d->f->sp, solo, fx_local("2022-03-27 08:05", NY),
				    true, false, out, &err), 1);
	fclose(out);
	assert_non_null(strstr(text, "Not yet received (1 of 1 roster member):\n- Solo"));
	assert_non_null(strstr(text, "  Inputs received:            0 (0 versions)\n"));
	assert_null(strstr(text, "automatic repl")); /* imrf-2022's auto-reply is not solo's */
	free(text);
}

/* The catalogues' plural rules: French n > 1, Spanish and English n != 1;
 * an unknown language is English; a negative count reads as its size. */
static void test_plural_rules(void **state)
{
	(void)state;
	static const struct { const char *lang; long n; const char *want; } rows[] = {
		{ "en", 0, "{versions} versions" }, { "en", 1, "{versions} version" },
		{ "en", 2, "{versions} versions" }, { "fr", 0, "{versions} version" },
		{ "fr", 1, "{versions} version" }, { "fr", 2, "{versions} versions" },
		{ "es", 0, "{versions} versiones" }, { "es", 1, "{versions} versión" },
		{ "es", 5, "{versions} versiones" }, { "xx", 1, "{versions} version" },
		{ "fr", -1, "{versions} version" }, { "es", -2, "{versions} versiones" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_string_equal(template_builtin_n("digest_versions", rows[i].lang, rows[i].n),
				    rows[i].want);
}

/* A digest line's count of words takes the plural form (issue 15):
 * "1 word" in English, "0 mot" and "1 mot" in French. */
static void test_plural_words(void **state)
{
	struct dfx *d = *state;
	struct metadata *md = fx_md(d->c, "bangladesh", "Bangladesh", 1,
				    fx_local("2022-03-27 10:00", NY));
	md->word_count = 1;
	fx_submit(d->f, d->c, md);
	md = fx_md(d->c, "france", "France", 1, fx_local("2022-03-27 11:00", NY));
	md->word_count = 0;
	fx_submit(d->f, d->c, md);
	char *text = text_at(d, "2022-03-28 08:05", true);
	if (strstr(text, "- Bangladesh, version 1, 2022-03-27 10:00 EDT: 1 word, on time\n") == NULL)
		fail_msg("no \"1 word\" in\n%s", text);
	assert_non_null(strstr(text, "2022-03-27 11:00 EDT: 0 words, on time\n"));
	free(text);
	free(d->c->language);
	d->c->language = xstrdup("fr");
	text = text_at(d, "2022-03-28 08:05", true);
	if (strstr(text, "2022-03-27 10:00 EDT : 1 mot, dans les délais\n") == NULL ||
	    strstr(text, "2022-03-27 11:00 EDT : 0 mot, dans les délais\n") == NULL)
		fail_msg("no \"1 mot\" and \"0 mot\" in\n%s", text);
	free(text);
}

/* ---- the HTML alternative (issue 16) ---- */

static void test_html(void **state)
{
	struct dfx *d = *state;
	struct metadata *md = fx_md(d->c, "france", "France", 1, fx_local("2022-03-26 10:00", NY));
	md->word_count = 6000;
	md->over_limit = true;
	fx_submit(d->f, d->c, md);
	md = fx_md(d->c, "mexico", "Mexico", 1, fx_local("2022-03-29 18:05", NY));
	free(md->timeliness);
	md->timeliness = xstrdup("within_grace");
	fx_submit(d->f, d->c, md);
	md = fx_md(d->c, "unknown-x", NULL, 1, fx_local("2022-03-26 11:00", NY));
	free(md->from_name);
	md->from_name = xstrdup("A. <b>Stranger</b> & \"co\"");
	free(md->ack.state);
	md->ack.state = xstrdup("failed");
	fx_submit(d->f, d->c, md);
	struct err err = { 0 };
	struct digest dg = { .cfg = d->f->cfg, .sp = d->f->sp, .call = d->c, .lang = "en",
			     .now = fx_local("2022-03-27 08:05", NY) };
	assert_int_equal(digest_rows_load(d->f->sp, d->c, &dg.rows, &err), 0);
	dg.subject = xstrdup("Digest <of> imrf");
	char *html = digest_html(&dg, "Deadline in 2 days.\nExtended: <x>");
	const char *want[] = {
		"<h2 style=\"margin:0 0 8px 0\">Digest &lt;of&gt; imrf</h2>",
		"Deadline in 2 days.<br>Extended: &lt;x&gt;",
		">Bangladesh</td>", ">France</td>", ">Mexico</td>",
		">over the limit</span>", ">missing</span>", ">within grace</span>",
		"6000 / 5000<div", "width:100%", /* the bar, capped */
		"<li>France, v1, 2022-03-26 10:00 EDT</li>\n<li>A. &lt;b&gt;Stranger&lt;/b&gt; &amp; "
		"&quot;co&quot; (unknown-x@example.net), v1, 2022-03-26 11:00 EDT</li>",
		"<li>unknown-x@example.net (A. &lt;b&gt;Stranger", /* its acknowledgement failed */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(html, want[i]) == NULL)
			fail_msg("missing %s in\n%s", want[i], html);
	assert_null(strstr(html, "<b>Stranger"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src=\"http"));
	/* Three roster rows and the header row. */
	size_t rows = 0;
	for (const char *p = html; (p = strstr(p, "<tr")) != NULL; p++)
		rows++;
	assert_int_equal(rows, 4);
	assert_null(strstr(html, "cid:")); /* no chart given */
	free(html);
	/* The chart: a 600x160 PNG, shown by cid:. */
	dg.chart = digest_chart_png(&dg, &dg.chart_len);
	assert_non_null(dg.chart);
	assert_true(dg.chart_len > 100);
	assert_memory_equal(dg.chart, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(dg.chart + 16, "\0\0\x02\x58\0\0\0\xa0", 8);
	html = digest_html(&dg, "x");
	assert_non_null(strstr(html, "<img src=\"cid:chart@intaked\""));
	free(html);
	free(dg.chart);
	free(dg.subject);
	digest_rows_free(&dg.rows);
}

/* ---- CSV ---- */

static void test_csv(void **state)
{
	struct dfx *d = *state;
	struct err err = { 0 };
	size_t len;
	char *csv = digest_csv(d->f->sp, d->c, &len, &err);
	/* A UTF-8 byte order mark first, so that Excel reads UTF-8. */
	assert_string_equal(csv, "\xef\xbb\xbfsubmitter,slug,verified,version,current,received_at,"
				 "received_local,status,timeliness,words,word_limit,over_limit,"
				 "documents,unreadable_documents,ack_state,from,subject,id,path,"
				 "deadline_at,deadline_local,extension,language\r\n");
	free(csv);
	struct metadata *md = fx_md(d->c, "france", "France", 1, fx_utc("2022-03-20T14:00:00Z"));
	fx_submit(d->f, d->c, md);
	md = fx_md(d->c, "france", "France", 2, fx_utc("2022-03-21T14:00:00Z"));
	free(md->subject);
	md->subject = xstrdup("Révision, \"finale\"\nligne 2");
	md->word_count = -1;
	md->ndocuments = 2;
	md->documents = xcalloc(2, sizeof(*md->documents));
	md->documents[0].name = xstrdup("a.docx");
	md->documents[0].words = 10;
	md->documents[1].name = xstrdup("b.pdf");
	md->documents[1].error = xstrdup("encrypted");
	md->documents[1].words = -1;
	md->language = xstrdup("fr");
	md->extended = true;
	md->deadline = fx_utc("2022-03-31T22:00:00Z");
	fx_submit(d->f, d->c, md);
	md = fx_md(d->c, "unknown-x", NULL, 1, fx_utc("2022-03-22T14:00:00Z"));
	free(md->subject);
	md->subject = xstrdup("=cmd|' /C calc'!A0");
	md->language = xstrdup("zh");
	free(md->from);
	md->from = xstrdup("@evil.example");
	fx_submit(d->f, d->c, md);
	csv = digest_csv(d->f->sp, d->c, &len, &err);
	assert_int_equal(len, strlen(csv));
	const char *rows = strstr(csv, "\r\n") + 2;
	assert_string_equal(rows,
		"France,france,true,1,false,2022-03-20T14:00:00Z,2022-03-20 10:00 EDT,accepted,"
		"on_time,100,5000,false,,,sent,france@example.net,Input of France,"
		"20220320T140000Z-4494940845c2,calls/imrf-2022/france/v1,2022-03-29T22:00:00Z,2022-03-29 18:00 EDT,no,\r\n"
		"France,france,true,2,true,2022-03-21T14:00:00Z,2022-03-21 10:00 EDT,accepted,"
		"on_time,,5000,false,a.docx; b.pdf,b.pdf (encrypted),sent,france@example.net,"
		"\"Révision, \"\"finale\"\"\nligne 2\",20220321T140000Z-3cc5138e9417,"
		"calls/imrf-2022/france/v2,2022-03-31T22:00:00Z,2022-03-31 18:00 EDT,yes,fr\r\n"
		"\"'@evil.example\",unknown-x,false,1,true,2022-03-22T14:00:00Z,2022-03-22 10:00 EDT,"
		"accepted,on_time,100,5000,false,,,sent,\"'@evil.example\",\"'=cmd|' /C calc'!A0\","
		"20220322T140000Z-fa8365651340,calls/imrf-2022/unknown-x/v1,2022-03-29T22:00:00Z,2022-03-29 18:00 EDT,no,zh\r\n");
	free(csv);
}

/* ---- texts ---- */

/* The names this module adds to template.c: each in fr and es, with the
 * same placeholders as in en. */
static void test_builtin_texts(void **state)
{
	(void)state;
	static const char *const names[] = {
		"reminder_limit", "reminder_no_limit", "digest_totals", "digest_new",
		"digest_new_first", "digest_missing", "digest_flagged",
		"digest_unknown",
		"digest_unreadable", "digest_undelivered", "digest_none", "digest_line",
		"digest_missing_line", "digest_missing_extended", "digest_unknown_line",
		"digest_unreadable_line", "digest_undelivered_ack", "digest_undelivered_reminder",
		"digest_undelivered_digest", "digest_mailbox", "digest_versions", "digest_left",
		"digest_passed", "digest_in", "digest_ago", "digest_extension", "digest_on_time",
		"digest_within_grace", "digest_late", "digest_rejected", "digest_early",
		"digest_over_limit", "reminder", "digest", "digest_languages",
		"digest_language_part", "digest_left_hours", "digest_passed_hours", "digest_in_hours",
		"digest_ago_hours",
	};
	for (size_t i = 0; i < sizeof(names) * 2 / sizeof(names[0]); i++) {
		long count = (long)(i & 1); /* each in its form for 0 and for 1 */
		const char *name = names[i / 2];
		const char *en = template_builtin_n(name, "en", count);
		if (en == NULL)
			fail_msg("no en text for %s", name);
		for (const char *const *lang = (const char *const[]){ "fr", "es", NULL }; *lang;
		     lang++) {
			const char *t = template_builtin_n(name, *lang, count);
			/* The catalogue's own string: the English one means none. */
			if (t == en)
				fail_msg("%s: no %s text", name, *lang);
			for (const char *p = en; (p = strchr(p, '{')) != NULL; p++) {
				size_t n = strcspn(p, "}") + 1;
				char *ph = xstrndup(p, n);
				if (strstr(t, ph) == NULL)
					fail_msg("%s/%s lacks %s", name, *lang, ph);
				free(ph);
			}
		}
	}
	assert_null(strstr(template_builtin("reminder", "en"), "{word_limit}"));
	assert_non_null(strstr(template_builtin("reminder", "es"), "{limit}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_table),
		cmocka_unit_test(test_next_slot_table),
		cmocka_unit_test(test_wanted_table),
		cmocka_unit_test_setup_teardown(test_one_per_day_and_catch_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_after_the_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flagged_and_french, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plural_time_left_per_call, setup, teardown),
		cmocka_unit_test(test_plural_rules),
		cmocka_unit_test_setup_teardown(test_plural_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_html, setup, teardown),
		cmocka_unit_test(test_builtin_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
