/* outbox_envelope.c — envelope.json of an outbox item (see outbox_impl.h):
 * what outbox.c writes beside message.eml and reads back, and what
 * outbox_admin.c and intakectl show. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void envelope_fields(const struct jval *o, struct outbox_item *it, char **state_r)
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
	it->done_at = jr_time(o, "done_at");
	*state_r = jr_str(o, "state");
}

/* Read id/envelope.json of dirfd, never through a symlink. */
static int envelope_read(int dirfd, const char *id, char **data_r, size_t *len_r,
			 struct err *err)
{
	int ifd = outbox_item_dir(dirfd, id);
	if (ifd < 0) {
		err_setsys(err, ERR_TEMP, "open %s", id);
		return -1;
	}
	int rc = fsio_read_at(ifd, "envelope.json", ENVELOPE_MAX, data_r, len_r, err);
	close(ifd);
	return rc;
}

int outbox_envelope_save(int dirfd, const char *id, const char *env, struct err *err)
{
	int ifd = outbox_item_dir(dirfd, id);
	if (ifd < 0) {
		err_setsys(err, ERR_TEMP, "open %s", id);
		return -1;
	}
	int rc = fsio_replace_at(ifd, "envelope.json", env, strlen(env), 0600, err);
	close(ifd);
	return rc;
}

#define ENVELOPE_NEXT "envelope.json.next"

int outbox_envelope_stage(int dirfd, const char *id, const char *env, struct err *err)
{
	int ifd = outbox_item_dir(dirfd, id);
	if (ifd < 0) {
		err_setsys(err, ERR_TEMP, "open %s", id);
		return -1;
	}
	unlinkat(ifd, ENVELOPE_NEXT, 0); /* left by a crash */
	int rc = fsio_create(ifd, ENVELOPE_NEXT, env, strlen(env), 0600, err);
	close(ifd);
	return rc;
}

int outbox_envelope_commit(int dirfd, const char *id, struct err *err)
{
	int ifd = outbox_item_dir(dirfd, id);
	int rc = ifd < 0 ? -1 : renameat(ifd, ENVELOPE_NEXT, ifd, "envelope.json");
	if (rc < 0)
		err_setsys(err, ERR_TEMP, "put %s/envelope.json in place", id);
	if (ifd >= 0)
		close(ifd);
	return rc;
}

/* A value of the wrong type reads as missing (JR_LENIENT); the four the
 * queue needs must be there. */
int outbox_envelope_load(int dirfd, const char *id, struct outbox_item *it, char **state_r,
			 struct err *err)
{
	char *data;
	size_t len;
	if (envelope_read(dirfd, id, &data, &len, err) < 0)
		return -1;
	struct jread rd;
	int rc = jr_load(&rd, data, len, ENVELOPE_MAX, JR_OBJECT | JR_LENIENT);
	free(data);
	if (rc < 0) {
		err_set(err, ERR_MESSAGE, "%s/envelope.json: %s", id, rd.error);
		return -1;
	}
	struct jval root = jr_root(&rd);
	envelope_fields(&root, it, state_r);
	jr_close(&rd);
	if (it->id == NULL || it->from == NULL || it->rcpt == NULL || it->created == 0) {
		err_set(err, ERR_MESSAGE, "%s/envelope.json: incomplete", id);
		outbox_item_free(it);
		xfree(state_r);
		return -1;
	}
	return 0;
}
