"""OAuth 2.0 set-up from the command line and app-only access (issue 13
item 3), against the local identity provider (oauthidp.py, HTTPS) and the
real Dovecot and Postfix: intakectl oauth login (device authorization
grant, RFC 8628), the client-credentials grant with a secret or a
certificate (private_key_jwt, RFC 7523), one token set for IMAP and SMTP,
a token expiring during a run, and a grant revoked during a run."""
import json
import os
import re
import stat
import subprocess
import time

from mail import message, utc
from test_oauth import text_of
from oauthidp import CLIENT_ID, CLIENT_SECRET, IdP
from reliability import Daemon, wait_until

INBOX_USER = 'intake@example.org'
M365_SCOPE = ('https://outlook.office365.com/IMAP.AccessAsUser.All '
              'https://outlook.office365.com/SMTP.Send offline_access')
APP_SCOPE = 'https://outlook.office365.com/.default'


def submission(tag, day=20):
    return message('Mission <bangladesh@mofa.gov.bd>', 'intake+imrf@example.org',
                   f'Input {tag}', 'Bangladesh supports the declaration.\n',
                   utc(2022, 3, day, 9), f'<{tag}.{os.getpid()}@oauthsetup.test>')


def write_config(h, mailbox_keys, smtp='shared'):
    """[mailbox] with the OAuth keys given; [smtp]: 'shared' (auth =
    xoauth2 and no token keys: the mailbox's are used) or 'password'."""
    smtp_keys = {'auth': 'xoauth2'} if smtp == 'shared' else None
    h.config(mailbox=dict(mailbox_keys, auth='xoauth2'), smtp=smtp_keys)
    with open(h.conf) as f:
        lines = f.read().split('\n')
    section, out = None, []
    for line in lines:
        if line.startswith('['):
            section = line
        if line.startswith('password_file') and (section == '[mailbox]' or smtp == 'shared'):
            continue
        out.append(line)
    with open(h.conf, 'w') as f:
        f.write('\n'.join(out))


def device_keys(h, idp, rt_path):
    return {'token_url': idp.token_url, 'device_auth_url': idp.device_auth_url,
            'client_id': CLIENT_ID, 'scope': M365_SCOPE, 'refresh_token_file': rt_path,
            'token_ca_file': h.bed.ca_path}


def login(h):
    return subprocess.Popen([os.path.join(h.build, 'intakectl'), '-c', h.conf, 'oauth', 'login'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def user_code(p):
    """The code intakectl shows the operator, from its first lines."""
    seen = ''
    for _ in range(10):
        line = p.stdout.readline()
        seen += line
        m = re.search(r'code\W+([0-9A-F]{8})\b', line)
        if m:
            return m.group(1), seen
    raise AssertionError(seen)


def test_oauth_login_device_flow_then_the_daemon_logs_in(h):
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert(),
             slow_down_once=True) as idp:
        rt_path = os.path.join(h.dir, 'tokens', 'refresh.token')
        os.mkdir(os.path.dirname(rt_path), 0o700)
        write_config(h, device_keys(h, idp, rt_path))
        p = login(h)
        code, shown = user_code(p)
        assert idp.base_url + '/device' in shown, shown
        # The IdP keeps answering authorization_pending (after one
        # slow_down) until the user approves.
        wait_until(lambda: any(len(polls) >= 3 for polls in idp.pending_polls()), 60,
                   'intakectl to poll')
        assert not os.path.exists(rt_path)
        idp.approve(code, cafile=h.bed.ca_path)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, (out, err)
        [polls] = idp.pending_polls()
        # interval 1 s; slow_down adds 5 s to every later wait.
        assert polls[1] - polls[0] >= 5.5, polls
        assert all(b - a >= 5.5 for a, b in zip(polls[1:], polls[2:])), polls
        assert idp.scopes == [M365_SCOPE]
        with open(rt_path) as f:
            saved = f.read().strip()
        assert saved in idp.refresh_tokens
        assert stat.S_IMODE(os.stat(rt_path).st_mode) == 0o600
        assert saved not in out + err
        assert 'intakectl -c' in out or 'intaked' in out  # says what to do next
        # The daemon uses it for IMAP and SMTP (one token set).
        h.append(INBOX_USER, submission('dev'), utc(2022, 3, 20, 9))
        run = h.once()
        assert 'auth=xoauth2' in run.stderr
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'sent', md['ack']
        assert len(h.mails('bangladesh@mofa.gov.bd', 1)) == 1


def test_oauth_login_denied_or_expired_writes_nothing(h):
    for decision, error in (('denied', 'access_denied'), ('expired', 'expired_token')):
        with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
            rt_path = os.path.join(h.dir, 'refresh.token')
            write_config(h, device_keys(h, idp, rt_path))
            p = login(h)
            code, _ = user_code(p)
            idp.approve(code, decision=decision, cafile=h.bed.ca_path)
            out, err = p.communicate(timeout=60)
            assert p.returncode == 1, (out, err)
            assert error in err, err
            assert not os.path.exists(rt_path)


def test_oauth_login_needs_the_device_endpoint(h):
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
        keys = device_keys(h, idp, os.path.join(h.dir, 'refresh.token'))
        del keys['device_auth_url']
        write_config(h, keys)
        p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf, 'oauth', 'login'],
                           capture_output=True, text=True)
        assert p.returncode == 78 and 'device_auth_url' in p.stderr, p.stderr
        p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf, 'oauth', 'nope'],
                           capture_output=True, text=True)
        assert p.returncode == 64


def test_oauth_login_loopback_for_gmail(h):
    # Google refuses the Gmail scope in its device flow: the
    # authorization-code flow with a loopback redirect and PKCE instead.
    import urllib.request
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
        rt_path = os.path.join(h.dir, 'gmail.token')
        write_config(h, {'token_url': idp.token_url, 'auth_url': idp.base_url + '/authorize',
                         'client_id': CLIENT_ID,
                         'client_secret_file': h.secret('cs', CLIENT_SECRET),
                         'scope': 'https://mail.google.com/', 'refresh_token_file': rt_path,
                         'token_ca_file': h.bed.ca_path})
        p = subprocess.Popen([os.path.join(h.build, 'intakectl'), '-c', h.conf, 'oauth',
                              'login', '--loopback'],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = None
        for _ in range(10):
            line = p.stdout.readline()
            if line.startswith('https://'):
                url = line.strip()
                break
        assert url and 'code_challenge_method=S256' in url and 'state=' in url, url
        port = int(re.search(r'redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A(\d+)', url).group(1))
        # A stray request (no state) is answered and ignored.
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/favicon.ico') as r:
            assert b'Not the sign-in' in r.read()
        # The browser: sign in at the IdP, which redirects to intakectl.
        ctx = __import__('ssl').create_default_context(cafile=h.bed.ca_path)
        with urllib.request.urlopen(url, context=ctx) as r:
            assert b'Signed in' in r.read()
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, (out, err)
        assert idp.grants == [('authorization_code', 200)], idp.grants
        assert idp.scopes == ['https://mail.google.com/']
        with open(rt_path) as f:
            assert f.read().strip() in idp.refresh_tokens
        assert stat.S_IMODE(os.stat(rt_path).st_mode) == 0o600
        h.append(INBOX_USER, submission('gm'), utc(2022, 3, 20, 9))
        h.once()
        assert len(h.submissions()) == 1


def app_keys(h, idp, **extra):
    keys = {'grant': 'client_credentials', 'token_url': idp.token_url, 'client_id': CLIENT_ID,
            'scope': APP_SCOPE, 'token_ca_file': h.bed.ca_path}
    keys.update(extra)
    return keys


def test_client_credentials_with_a_secret_for_imap_and_smtp(h):
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
        write_config(h, app_keys(h, idp, client_secret_file=h.secret('cs', CLIENT_SECRET)))
        h.append(INBOX_USER, submission('cc'), utc(2022, 3, 20, 9))
        p = h.once()
        assert 'event=imap-connected' in p.stderr and 'grant=client_credentials' in p.stderr
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'sent', md['ack']
        assert len(h.mails('bangladesh@mofa.gov.bd', 1)) == 1
        # One token for both: one grant, the app-only scope, no refresh token.
        assert idp.grants == [('client_credentials', 200)], idp.grants
        assert idp.scopes == [APP_SCOPE]
        assert 'sasl_method=XOAUTH2, sasl_username=intake@example.org' in h.bed.log('postfix')
        # A wrong secret: refused, which is a person's problem (alarm).
        write_config(h, app_keys(h, idp, client_secret_file=h.secret('cs', 'wrong')))
        p = h.once(expect=75)
        assert 'invalid_client' in p.stderr and 'event=alarm ' in p.stderr, p.stderr[-2000:]


def make_cert(h, name):
    key, cert = os.path.join(h.dir, name + '.key'), os.path.join(h.dir, name + '.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                    '-out', cert, '-days', '2', '-subj', '/CN=intaked-test'],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    with open(cert, 'rb') as f:
        return key, cert, f.read()


def test_client_credentials_with_a_certificate(h):
    key, cert, pem = make_cert(h, 'app')
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert(), client_cert=pem) as idp:
        write_config(h, app_keys(h, idp, client_certificate_file=cert, client_key_file=key))
        h.append(INBOX_USER, submission('cert'), utc(2022, 3, 20, 9))
        h.once()
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'sent', md['ack']
        [(header, claims)] = idp.assertions
        assert header['alg'] == 'RS256' and header['typ'] == 'JWT' and 'x5t' in header
        assert claims['aud'] == idp.token_url and claims['exp'] - claims['iat'] <= 600
        # Another key (same certificate claimed): the signature fails.
        other_key, _, _ = make_cert(h, 'other')
        write_config(h, app_keys(h, idp, client_certificate_file=cert,
                                 client_key_file=other_key))
        p = h.once(expect=75)
        assert 'invalid_client' in p.stderr, p.stderr[-2000:]
        assert len(idp.assertions) == 1


def test_token_expiring_during_a_run_is_refreshed(h):
    # Access tokens live 4 s (the introspection says inactive after that):
    # an ack sent later needs a fresh one, from the same refresh token.
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert(), expires_in=4,
             rotate=True) as idp:
        rt_path = h.secret('refresh.token', idp.issue_refresh_token())
        write_config(h, {'token_url': idp.token_url, 'client_id': CLIENT_ID,
                         'client_secret_file': h.secret('cs', CLIENT_SECRET),
                         'refresh_token_file': rt_path, 'token_ca_file': h.bed.ca_path,
                         'poll_interval': '2s'})
        h.append(INBOX_USER, submission('e1'), utc(2022, 3, 20, 9))
        d = Daemon(h)
        try:
            h.mails('bangladesh@mofa.gov.bd', 1, timeout=60)
            grants = len(idp.grants)
            time.sleep(5)
            h.append(INBOX_USER, submission('e2', 21), utc(2022, 3, 21, 9))
            h.mails('bangladesh@mofa.gov.bd', 2, timeout=60)
            assert len(idp.grants) > grants, idp.grants
            assert all(s == 200 for _, s in idp.grants), idp.grants
            assert all(ok for _, ok in idp.introspections), idp.introspections
            with open(rt_path) as f:
                assert f.read().strip() in idp.refresh_tokens  # rotated and saved
        finally:
            assert d.stop() == 0
        assert 'event=oauth-refreshed' in d.text()


def test_grant_revoked_during_a_run_raises_the_alarm(h):
    with IdP(h.bed.oauth_port, INBOX_USER, tls=h.bed.server_cert()) as idp:
        rt = idp.issue_refresh_token()
        write_config(h, {'token_url': idp.token_url, 'client_id': CLIENT_ID,
                         'client_secret_file': h.secret('cs', CLIENT_SECRET),
                         'refresh_token_file': h.secret('refresh.token', rt),
                         'token_ca_file': h.bed.ca_path, 'poll_interval': '2s'},
                     smtp='password')
        d = Daemon(h)
        try:
            wait_until(lambda: 'event=imap-connected' in d.text(), 60, 'a first login')
            # The user's consent is withdrawn: refresh and access tokens die.
            idp.revoke(rt)
            idp.revoke_access_tokens()
            h.bed.restart_imap()
            alarm = os.path.join(h.spool, 'state', 'alarm')
            wait_until(lambda: os.path.exists(alarm) and
                       json.load(open(alarm)).get('alarm_sent_at'), 90, 'the alarm')
            assert json.load(open(alarm))['token_rejected'] is True
            [m] = [text_of(m) for m in h.mails('ops@example.org', 1)]
            assert 'ALARM' in m and 'invalid_grant' in m, m
        finally:
            assert d.stop() == 0
