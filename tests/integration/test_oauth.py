"""OAuth 2.0 (issue 6): intaked gets access tokens from a token endpoint
with its refresh token and logs in with SASL XOAUTH2 to the real Dovecot
(IMAP) and Postfix (SMTP AUTH, checked by Dovecot); Dovecot's oauth2 passdb
checks every token at the identity provider's introspection endpoint
(oauthidp.py, started here on the bed's oauth_port). A rejected refresh
token raises the alarm at once."""
import email
import email.policy
import json
import os
import re
import stat
import subprocess

from mail import message, utc
from oauthidp import CLIENT_ID, CLIENT_SECRET, IdP

INBOX_USER = 'intake@example.org'


def oauth_config(h, idp, refresh_token, smtp_oauth=True):
    """intaked.conf with auth = xoauth2 for [mailbox] (and [smtp])."""
    rt_path = h.secret('refresh.token', refresh_token)
    keys = {'auth': 'xoauth2', 'token_url': idp.token_url, 'client_id': CLIENT_ID,
            'client_secret_file': h.secret('client.secret', CLIENT_SECRET),
            'refresh_token_file': rt_path}
    h.config(mailbox=dict(keys), smtp=dict(keys) if smtp_oauth else None)
    # No password with xoauth2: drop the harness's password_file lines.
    with open(h.conf) as f:
        lines = f.read().split('\n')
    section, out = None, []
    for line in lines:
        if line.startswith('['):
            section = line
        if line.startswith('password_file') and (section == '[mailbox]' or smtp_oauth):
            continue
        out.append(line)
    with open(h.conf, 'w') as f:
        f.write('\n'.join(out))
    return rt_path


def text_of(raw):
    """Subject and decoded body of a mail (quoted-printable may fold lines)."""
    m = email.message_from_bytes(raw, policy=email.policy.default)
    return m['Subject'] + '\n' + m.get_body(('plain',)).get_content()


def submission(tag):
    return message('Mission <bangladesh@mofa.gov.bd>', 'intake+imrf@example.org',
                   f'Input {tag}', 'Bangladesh supports the declaration.\n',
                   utc(2022, 3, 20, 9), f'<{tag}.{os.getpid()}@oauth.test>')


def test_xoauth2_login_to_imap_and_smtp_with_rotation(h):
    with IdP(h.bed.oauth_port, INBOX_USER, rotate=True) as idp:
        rt = idp.issue_refresh_token()
        rt_path = oauth_config(h, idp, rt)
        h.append(INBOX_USER, submission('xo'), utc(2022, 3, 20, 9))
        p = h.once()
        assert 'event=imap-connected' in p.stderr and 'auth=xoauth2' in p.stderr
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'sent', md['ack']
        assert len(h.mails('bangladesh@mofa.gov.bd', 1)) == 1
        # Two grants (IMAP, then SMTP), each rotating the refresh token,
        # which was saved each time: the second used the first's.
        assert [s for _, s in idp.grants] == [200, 200], idp.grants
        assert idp.grants[0][0] == rt and idp.grants[1][0] != rt
        with open(rt_path) as f:
            saved = f.read().strip()
        assert saved in idp.refresh_tokens and saved not in (rt, idp.grants[1][0])
        assert stat.S_IMODE(os.stat(rt_path).st_mode) == 0o600
        # Dovecot and Postfix saw XOAUTH2, and Dovecot asked the IdP.
        assert re.search(r'imap-login: Info: Login: user=<intake@example.org>, method=XOAUTH2',
                         h.bed.log('dovecot'))
        assert 'sasl_method=XOAUTH2, sasl_username=intake@example.org' in h.bed.log('postfix')
        assert len(idp.introspections) >= 2 and all(ok for _, ok in idp.introspections)
        # No token ever reaches the log.
        for token in list(idp.access_tokens) + [rt, saved]:
            assert token not in p.stderr


def test_expired_refresh_token_raises_the_alarm_at_once(h):
    with IdP(h.bed.oauth_port, INBOX_USER) as idp:
        # The refresh token the configuration names was never valid (or has
        # expired): the provider answers invalid_grant.
        rt_path = oauth_config(h, idp, 'rt-expired-long-ago', smtp_oauth=False)
        h.append(INBOX_USER, submission('exp'), utc(2022, 3, 20, 9))
        p = h.once(expect=75)
        assert 'invalid_grant' in p.stderr, p.stderr[-2000:]
        assert 'event=alarm recipients=2' in p.stderr, p.stderr[-2000:]
        [alarm] = [text_of(m) for m in h.mails('ops@example.org', 1)]
        assert 'ALARM: cannot read the intake mailbox' in alarm
        assert 'rejected the refresh token' in alarm and rt_path in alarm, alarm
        assert any('ALARM' in text_of(m) for m in h.mails('coord@example.org', 1))
        with open(os.path.join(h.spool, 'state', 'alarm')) as f:
            state = json.load(f)
        assert state['token_rejected'] is True and 'alarm_sent_at' in state
        # intakectl status says it too.
        st = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf, 'status'],
                            capture_output=True, text=True)
        line = [l for l in st.stdout.splitlines() if l.startswith('alarm:')]
        assert line and 'ALARM sent' in line[0] and 'refresh token rejected' in line[0], st.stdout
        # Not again on the next run.
        p = h.once(expect=75)
        assert 'event=alarm' not in p.stderr
        assert len(h.inbox('ops@example.org')) == 1
        # Someone signs in again and puts a new refresh token in place.
        h.secret('refresh.token', idp.issue_refresh_token())
        p = h.once()
        assert 'event=alarm-clear' in p.stderr
        assert len(h.submissions()) == 1
        assert any('Resolved' in text_of(m) for m in h.mails('ops@example.org', 2))
        assert not os.path.exists(os.path.join(h.spool, 'state', 'alarm'))
