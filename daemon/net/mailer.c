/* mailer.c — SMTP or sendmail(8) behind one set of calls for the outbox. */
#include <stdlib.h>

#include "intaked/mailer.h"
#include "sendmail.h"
#include "smtp.h"
#include "intaked/util.h"

struct mailer {
	struct smtp_session *smtp;          /* exactly one of the two */
	struct sendmail_session *sendmail;
};

int mailer_open(const struct smtp_config *sc, const char *access_token, struct mailer **m_r,
		struct err *err)
{
	struct mailer *m = xcalloc(1, sizeof(*m));
	int rc = sc->sendmail != NULL ? sendmail_open(sc, &m->sendmail, err)
				      : smtp_open(sc, access_token, &m->smtp, err);
	if (rc < 0) {
		free(m);
		m = NULL;
	}
	*m_r = m;
	return rc;
}

int mailer_send(struct mailer *m, const char *from, const char *rcpt, const char *msg,
		size_t len, struct err *err)
{
	return m->sendmail != NULL ? sendmail_send(m->sendmail, from, rcpt, msg, len, err)
				   : smtp_send(m->smtp, from, rcpt, msg, len, err);
}

bool mailer_failed_transport(const struct mailer *m)
{
	return m->sendmail != NULL ? sendmail_failed_transport(m->sendmail)
				   : smtp_failed_connection(m->smtp);
}

void mailer_close(struct mailer **m)
{
	if (*m == NULL)
		return;
	sendmail_close(&(*m)->sendmail);
	smtp_close(&(*m)->smtp);
	free(*m);
	*m = NULL;
}
