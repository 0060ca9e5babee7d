/* entry.c — the analysis → metadata mapping of a new entry (entry.h).
 * Pure: what intake judged is copied, nothing is looked up or decided
 * here, so a table of inputs and expected fields tests it whole. */
#include <stdlib.h>
#include <string.h>

#include "intaked/analysis.h"
#include "intaked/entry.h"
#include "intaked/identity.h"
#include "intaked/policy.h"
#include "intaked/roster.h"
#include "intaked/route.h"
#include "intaked/util.h"

/* The fields every entry has, whatever its kind. */
static struct metadata *base_metadata(const struct analysis *a, const struct entry_message *m,
				      time_t now)
{
	struct metadata *md = metadata_new();
	md->id = xstrdup(m->id);
	md->raw_sha256 = xstrdup(m->raw_sha256);
	md->raw_size = m->raw_size;
	md->received_at = m->received_at;
	md->filed_at = now;
	md->imap.mailbox = xstrdup(m->mailbox);
	md->imap.uidvalidity = m->uidvalidity;
	md->imap.uid = m->uid;
	md->word_count = -1;
	md->ack.state = xstrdup("suppressed");
	if (a) {
		md->from = a->from_addr && *a->from_addr ? xstrdup(a->from_addr) : NULL;
		md->from_name = xstrdup(a->from_name);
		md->subject = xstrdup(a->subject);
		md->message_id = xstrdup(a->message_id);
		md->date_header = xstrdup(a->date_header);
		md->in_reply_to = xstrdup(a->in_reply_to);
		md->references = xstrdup(a->references);
		md->reply_to = xstrdup(a->reply_to_addr);
	}
	return md;
}

static void copy_unexamined_and_links(struct metadata *md, const struct analysis *a)
{
	md->unexamined = xcalloc(a->nunexamined + 1, sizeof(*md->unexamined));
	md->nunexamined = a->nunexamined;
	for (size_t i = 0; i < a->nunexamined; i++) {
		md->unexamined[i].part = xstrdup(a->unexamined[i].part);
		md->unexamined[i].name = xstrdup(a->unexamined[i].name);
		md->unexamined[i].reason = xstrdup(a->unexamined[i].reason);
	}
	md->linked = xcalloc(a->nlinks + 1, sizeof(*md->linked));
	md->nlinked = a->nlinks;
	for (size_t i = 0; i < a->nlinks; i++) {
		md->linked[i].url = xstrdup(a->links[i].url);
		md->linked[i].service = xstrdup(a->links[i].service);
	}
}

/* The documents, the words counted and their language. */
static void copy_documents(struct metadata *md, const struct analysis *a)
{
	md->documents = xcalloc(a->ndocs, sizeof(*md->documents));
	md->ndocuments = a->ndocs;
	for (size_t i = 0; i < a->ndocs; i++) {
		const struct document *d = &a->docs[i];
		struct md_document *o = &md->documents[i];
		o->name = xstrdup(d->name);
		o->file = xstrdup(d->file);
		o->content_type = xstrdup(d->content_type);
		o->type = xstrdup(d->type);
		o->size = d->size;
		o->sha256 = xstrdup(d->sha256);
		o->words = d->words;
		o->error = xstrdup(d->error);
	}
	md->word_count = a->word_count;
	md->counted = xstrdup(a->counted);
	if (a->language[0] != '\0') {
		md->language = xstrdup(a->language);
		md->language_confidence = a->language_confidence;
	}
	copy_unexamined_and_links(md, a);
}

/* The call an ignored message was addressed to, so that only that
 * call's digest counts it (none when the routing found none). */
static void copy_routed_call(struct metadata *md, const struct entry_verdict *v)
{
	if (v->route == NULL || v->route->call < 0)
		return;
	md->call = xstrdup(v->cfg->calls[v->route->call].name);
	md->route.matched_by = xstrdup(v->route->matched_by);
}

static void copy_call(struct metadata *md, const struct entry_verdict *v)
{
	const struct call_config *call = &v->cfg->calls[v->route->call];
	md->call = xstrdup(call->name);
	md->call_title = xstrdup(call->title);
	md->zone = xstrdup(call->zone);
	md->route.matched_by = xstrdup(v->route->matched_by);
	for (size_t i = 0; i < v->route->n_also; i++)
		strlist_push(&md->route.also, v->cfg->calls[v->route->also[i]].name);
	md->word_limit = call->word_limit;
}

static void copy_identity(struct metadata *md, const struct analysis *a,
			  const struct identity *who)
{
	md->submitter.name = xstrdup(who->member ? who->member->name : NULL);
	md->submitter.slug = xstrdup(who->slug);
	md->submitter.matched_by = xstrdup(roster_match_name(who->matched_by));
	md->submitter.verified = who->verified;
	md->auth.raw = xstrdup(analysis_header(a, "Authentication-Results"));
	md->auth.spf = who->auth.spf[0] ? xstrdup(who->auth.spf) : NULL;
	md->auth.dkim = who->auth.dkim[0] ? xstrdup(who->auth.dkim) : NULL;
	md->auth.dmarc = who->auth.dmarc[0] ? xstrdup(who->auth.dmarc) : NULL;
}

static void copy_policy(struct metadata *md, const struct analysis *a,
			const struct policy_verdict *p)
{
	md->status = xstrdup(policy_status_name(p->status));
	md->timeliness = xstrdup(policy_timeliness_name(p->timeliness));
	md->deadline = p->deadline;
	md->extended = p->extended;
	md->over_limit = p->over_limit;
	/* Words not all known: "within the limit" cannot be said. */
	md->over_limit_unknown = !p->over_limit && analysis_words_unknown(a);
}

static void fill_submission(struct metadata *md, const struct analysis *a,
			    const struct entry_verdict *v, int version)
{
	md->kind = xstrdup("submission");
	copy_call(md, v);
	copy_documents(md, a);
	copy_identity(md, a, v->who);
	copy_policy(md, a, v->policy);
	md->version = version;
	md->held = v->held;
	if (version > 1)
		md->supersedes = xasprintf("v%d", version - 1);
}

struct metadata *entry_build(const struct analysis *a, const struct entry_message *m,
			     const struct entry_verdict *v, int version, time_t now)
{
	struct metadata *md = base_metadata(a, m, now);
	switch (v->fate) {
	case ENTRY_MALFORMED:
		md->kind = xstrdup("malformed");
		md->reason = xstrdup(v->reason);
		break;
	case ENTRY_IGNORED:
		md->kind = xstrdup(v->kind);
		md->reason = xstrdup(v->reason);
		copy_routed_call(md, v);
		break;
	case ENTRY_UNMATCHED:
		md->kind = xstrdup("unmatched");
		copy_documents(md, a);
		break;
	case ENTRY_SUBMISSION:
		fill_submission(md, a, v, version);
		break;
	}
	return md;
}
