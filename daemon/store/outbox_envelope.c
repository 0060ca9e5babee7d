/* outbox_envelope.c — envelope.json of an outbox item (see outbox_impl.h):
 * what outbox.c writes beside message.eml and reads back, and what
 * outbox_admin.c and intakectl show. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "intaked/fsio.h"
#include "intaked/json.h"
#include "intaked/util.h"
#include "outbox_impl.h"

char *outbox_envelope_json(const struct outbox_item *it, const char *state, time_t done_at)
{
	jnode *o = jn_object();
	jn_set_str(o, "id", it->id);
	jn_set_str(o, "state", state);
	jn_set_str(o, "kind", it->kind);
	jn_set_str(o, "ref", it->ref);
	jn_set_str(o, "from", it->from);
	jn_set_str(o, "rcpt", it->rcpt);
	jn_set_str(o, "message_id", it->message_id);
	jn_set_int(o, "attempts", it->attempts);
	jn_set_time(o, "created", it->created);
	jn_set_time(o, "next_attempt", it->next_attempt);
	/* server replies can hold anything: json.h makes it UTF-8 */
	jn_set_str(o, "last_error", it->last_error);
	jn_set_time(o, "done_at", done_at);
	char *s = jn_dump(o, JN_INDENT2);
	jn_free(o);
	char *out = xasprintf("%s\n", s);
	free(s);
	return out;
}

static void envelope_read(const struct jval *o, struct outbox_item *it, char **state_r)
{
	memset(it, 0, sizeof(*it));
	it->id = jr_str(o, "id");
	it->kind = jr_str(o, "kind");
	it->ref = jr_str(o, "ref");
	it->from = jr_str(o, "from");
	it->rcpt = jr_str(o, "rcpt");
	it->message_id = jr_str(o, "message_id");
	it->last_error = jr_str(o, "last_error");
	it->attempts = (int)jr_int(o, "attempts", 0, 999999, 0);
	it->created = jr_time(o, "created");
	it->next_attempt = jr_time(o, "next_attempt");
	*state_r = jr_str(o, "state");
}

/* Load dir/envelope.json; *state_r (caller frees) is its "state". A value
 * of the wrong type reads as missing (JR_LENIENT); the four the queue needs
 * must be there. */
int outbox_envelope_load(const char *dir, struct outbox_item *it, char **state_r,
			 struct err *err)
{
	char *path = xasprintf("%s/envelope.json", dir);
	char *data;
	size_t len;
	int rc = fsio_read_file(path, ENVELOPE_MAX, &data, &len, err);
	free(path);
	if (rc < 0)
		return -1;
	struct jread rd;
	rc = jr_load(&rd, data, len, ENVELOPE_MAX, JR_OBJECT | JR_LENIENT);
	free(data);
	if (rc < 0) {
		err_set(err, ERR_MESSAGE, "%s/envelope.json: %s", dir, rd.error);
		return -1;
	}
	struct jval root = jr_root(&rd);
	envelope_read(&root, it, state_r);
	jr_close(&rd);
	if (it->id == NULL || it->from == NULL || it->rcpt == NULL || it->created == 0) {
		err_set(err, ERR_MESSAGE, "%s/envelope.json: incomplete", dir);
		outbox_item_free(it);
		xfree(state_r);
		return -1;
	}
	return 0;
}
