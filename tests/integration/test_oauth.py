"""OAuth 2.0 (issue 6): intaked gets access tokens from a token endpoint
(HTTPS, certificate from the bed's CA, trusted through token_ca_file) with
its refresh token and logs in with SASL XOAUTH2 or OAUTHBEARER to the real
Dovecot (IMAP) and Postfix (SMTP AUTH, checked by Dovecot); Dovecot's oauth2
passdb checks every token at the identity provider's introspection endpoint
(oauthidp.py, started here on the bed's oauth_port). A rejected refresh
token raises the alarm at once; a refused access token counts towards it."""
import email
import email.policy
import json
import os
import re
import stat
import subprocess

from capproxy import CapProxy
from mail import message, utc
from oauthidp import CLIENT_ID, CLIENT_SECRET, IdP

INBOX_USER = 'intake@example.org'


def oauth_config(h, idp, refresh_token, smtp_oauth=True, auth='xoauth2', mailbox=None,
                 token_ca_file=True):
    """intaked.conf with auth = xoauth2 (or oauthbearer) for [mailbox] (and
    [smtp]); token_ca_file: the bed's CA (True), none (None) or a path."""
    rt_path = h.secret('refresh.token', refresh_token)
    keys = {'auth': auth, 'token_url': idp.token_url, 'client_id': CLIENT_ID,
            'client_secret_file': h.secret('client.secret', CLIENT_SECRET),
            'refresh_token_file': rt_path}
    if token_ca_file:
        keys['token_ca_file'] = h.bed.ca_path if token_ca_file is True else token_ca_file
    h.config(mailbox=dict(keys, **(mailbox or {})), smtp=dict(keys) if smtp_oauth else None)
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
    with IdP(h.bed.oauth_port, INBOX_USER, rotate=True, tls=h.bed.server_cert()) as idp:
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


class LogTail:
    """What the bed's Dovecot and Postfix logged since this was made."""

    def __init__(self, bed):
        self.bed = bed
        self.start = {w: len(bed.log(w)) for w in ('dovecot', 'postfix')}

    def __call__(self, which):
        return self.bed.log(which)[self.start[which]:]


def test_oauthbearer_login_to_imap_and_smtp(h):
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
        rt = idp.issue_refresh_token()
        oauth_config(h, idp, rt, auth='oauthbearer')
        h.append(INBOX_USER, submission('ob'), utc(2022, 3, 20, 9))
        logs = LogTail(h.bed)
        p = h.once()
        assert 'event=imap-connected' in p.stderr and 'auth=oauthbearer' in p.stderr
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'sent', md['ack']
        assert len(h.mails('bangladesh@mofa.gov.bd', 1)) == 1
        # Dovecot (IMAP) and Postfix (SMTP AUTH through Dovecot) saw
        # OAUTHBEARER, and no XOAUTH2 at all, though both are offered.
        dovecot, postfix = logs('dovecot'), logs('postfix')
        assert re.search(r'imap-login: Info: Login: user=<intake@example\.org>, '
                         r'method=OAUTHBEARER', dovecot), dovecot[-2000:]
        assert 'sasl_method=OAUTHBEARER, sasl_username=intake@example.org' in postfix, \
            postfix[-2000:]
        assert 'XOAUTH2' not in dovecot and 'XOAUTH2' not in postfix
        # Two grants over HTTPS (IMAP, SMTP); both tokens checked by Dovecot.
        assert [s for _, s in idp.grants] == [200, 200], idp.grants
        assert {l for l, _ in idp.requests} == {'token', 'introspect'}
        checked = {t for t, ok in idp.introspections if ok}
        assert checked == set(idp.access_tokens), (checked, idp.access_tokens)
        for token in list(idp.access_tokens) + [rt]:
            assert token not in p.stderr


def test_oauthbearer_without_sasl_ir(h):
    # A server without SASL-IR (RFC 4959): the initial response goes after
    # the server's empty challenge, not on the command line.
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp, \
            CapProxy(h.bed, hide=('SASL-IR',)) as proxy:
        oauth_config(h, idp, idp.issue_refresh_token(), smtp_oauth=False, auth='oauthbearer',
                     mailbox={'url': f'imaps://127.0.0.1:{proxy.port}/INBOX'})
        logs = LogTail(h.bed)
        h.append(INBOX_USER, submission('obnoir'), utc(2022, 3, 20, 9))
        p = h.once()
        assert 'auth=oauthbearer' in p.stderr and proxy.hidden > 0
        assert 'AUTHENTICATE OAUTHBEARER' in proxy.commands, proxy.commands
        assert 'AUTHENTICATE OAUTHBEARER +IR' not in proxy.commands
        assert 'method=OAUTHBEARER' in logs('dovecot')
        assert len(h.submissions()) == 1


def test_oauthbearer_refused_token_counts_towards_the_alarm(h):
    # The provider grants access tokens, but the mail server's check says
    # every one of them is invalid (revoked, wrong audience, ...).
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert(),
             reject_access=True) as idp:
        oauth_config(h, idp, idp.issue_refresh_token(), smtp_oauth=False,
                     auth='oauthbearer', mailbox={'alarm_after': '30m'})
        h.append(INBOX_USER, submission('obr'), utc(2022, 3, 20, 9))
        logs = LogTail(h.bed)
        p = h.once('--now', '2022-03-29T12:00:00Z', expect=75)
        # Dovecot sent its error challenge, intaked answered %x01 and got
        # the NO: the status travels into the error.
        assert re.search(r'refused the login of intake@example.org: [^"]*\(invalid_token\)',
                         p.stderr), p.stderr[-2000:]
        assert 'class=auth' in p.stderr and 'event=alarm' not in p.stderr
        assert re.search(r'auth: Info: oauth2\(intake@example\.org,127\.0\.0\.1', logs('dovecot'))
        assert 'method=OAUTHBEARER' in logs('dovecot') and 'XOAUTH2' not in logs('dovecot')
        assert idp.introspections and not any(ok for _, ok in idp.introspections)
        # As with any refused login: the alarm once alarm_after has passed.
        p = h.once('--now', '2022-03-29T12:31:00Z', expect=75)
        assert 'event=alarm recipients=2' in p.stderr, p.stderr[-2000:]
        [alarm] = [text_of(m) for m in h.mails('ops@example.org', 1)]
        assert 'ALARM: cannot read the intake mailbox' in alarm
        assert 'refused the login' in alarm and 'invalid_token' in alarm, alarm
        assert h.submissions() == []


def test_token_endpoint_with_an_unknown_ca_is_refused(h):
    # The IdP's certificate is from the bed's CA; intaked trusts another
    # CA (or the system store): no TLS session, so no request, and no
    # refresh token ever leaves intaked.
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
        for ca in (h.bed.other_ca_path, None):
            oauth_config(h, idp, idp.issue_refresh_token(), smtp_oauth=False,
                         auth='oauthbearer', token_ca_file=ca)
            p = h.once(expect=75)
            assert 'event=oauth-refreshed' not in p.stderr
            assert re.search(r'token endpoint https://127\.0\.0\.1:\d+/token: .*'
                             r'(certificate|issuer|trust)', p.stderr, re.I), p.stderr[-2000:]
            assert idp.requests == [] and idp.grants == []
        # The bed's CA: the same configuration works.
        oauth_config(h, idp, idp.issue_refresh_token(), smtp_oauth=False, auth='oauthbearer')
        h.once()
        assert [l for l, _ in idp.requests].count('token') == 1


def test_expired_refresh_token_raises_the_alarm_at_once(h):
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
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
