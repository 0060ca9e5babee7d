/* imap_wait.c — waiting for news in the selected folder: IDLE (RFC 2177)
 * where the server offers it, else NOOP between naps; either way the
 * caller's fd ends the wait early. */
#include <limits.h>
#include <poll.h>
#include <time.h>

#include <libetpan/libetpan.h>

#include "intaked/imap.h"
#include "imap_impl.h"
#include "intaked/log.h"
#include "tls.h"

#define IDLE_SLICE_MS (25LL * 60 * 1000) /* RFC 2177: re-IDLE within 29 min */

enum wake { WAKE_TIMEOUT, WAKE_SERVER, WAKE_CALLER };

/* While IDLE: has the server said something, or the caller's fd fired?
 * Data may already sit in libetpan's buffer or inside TLS, where poll()
 * cannot see it, so look there first. A signal counts as the caller's. */
static enum wake idle_poll(struct imap_session *s, long long ms, int wake_fd)
{
	if (s->imap->imap_stream->read_buffer_len > 0 || tls_conn_pending(s->conn))
		return WAKE_SERVER;
	struct pollfd p[2] = {
		{ .fd = tls_conn_fd(s->conn), .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};
	int r = poll(p, wake_fd >= 0 ? 2 : 1, ms > INT_MAX ? INT_MAX : (int)ms);
	if (r < 0)
		return WAKE_CALLER; /* EINTR: let the caller look at its flags */
	if (r == 0)
		return WAKE_TIMEOUT;
	if (wake_fd >= 0 && p[1].revents != 0)
		return WAKE_CALLER;
	return WAKE_SERVER;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool news(const struct imap_session *s)
{
	const struct mailimap_selection_info *sel = s->imap->imap_selection_info;
	return sel != NULL && (sel->sel_has_exists || sel->sel_has_recent);
}

void imap_forget_news(struct imap_session *s)
{
	struct mailimap_selection_info *sel = s->imap->imap_selection_info;
	if (sel != NULL) {
		sel->sel_has_exists = 0;
		sel->sel_has_recent = 0;
	}
}

static int wait_idle(struct imap_session *s, long long deadline, int wake_fd, struct err *err)
{
	for (;;) {
		/* EXISTS that came with the answers to our last commands (after
		 * the search) is news already: IDLE would sit on it a whole slice. */
		if (news(s))
			return 1;
		long long left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		int r = mailimap_idle(s->imap);
		if (r == MAILIMAP_ERROR_PARSE) {
			/* Tagged NO/BAD to IDLE: poll from now on. */
			s->use_idle = false;
			return -2;
		}
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "IDLE", err);
			return -1;
		}
		log_debug("event=imap_idle host=%s for_ms=%lld", log_q(s->host),
			  left < IDLE_SLICE_MS ? left : IDLE_SLICE_MS);
		enum wake w = idle_poll(s, left < IDLE_SLICE_MS ? left : IDLE_SLICE_MS, wake_fd);
		r = mailimap_idle_done(s->imap);
		if (r != MAILIMAP_NO_ERROR) {
			imap_fail(s, r, "IDLE DONE", err);
			return -1;
		}
		if (news(s))
			return 1;
		if (w == WAKE_CALLER)
			return 0;
	}
}

static int wait_plain(struct imap_session *s, long long deadline, int wake_fd, struct err *err)
{
	long long left = deadline - mono_ms();
	struct pollfd p = { .fd = wake_fd, .events = POLLIN };
	int r = poll(&p, wake_fd >= 0 ? 1 : 0, left > INT_MAX ? INT_MAX : (int)(left > 0 ? left : 0));
	if (r != 0)
		return 0; /* woken (or a signal): the caller decides what next */
	/* NOOP keeps the session alive and collects EXISTS. */
	imap_forget_news(s);
	int n = mailimap_noop(s->imap);
	if (n != MAILIMAP_NO_ERROR) {
		imap_fail(s, n, "NOOP", err);
		return -1;
	}
	return news(s) ? 1 : 0;
}

bool imap_uses_idle(const struct imap_session *s)
{
	return s->use_idle;
}

int imap_wait(struct imap_session *s, long max_seconds, int wake_fd, struct err *err)
{
	if (imap_check_usable(s, err) < 0)
		return -1;
	if (max_seconds <= 0)
		return 0;
	long long deadline = mono_ms() + (long long)max_seconds * 1000;
	if (s->use_idle && s->selected) {
		int r = wait_idle(s, deadline, wake_fd, err);
		if (r != -2)
			return r;
		log_info("event=imap_idle_refused host=%s fallback=poll", log_q(s->host));
	}
	return wait_plain(s, deadline, wake_fd, err);
}
