"""Acknowledgements through the host's own MTA: sendmail(8) (url = sendmail:)
and smtp:// on loopback without TLS (tls = none), against the bed's real
Postfix; and the configurations that must stay refused."""
import glob
import json
import os
import stat
import time

from mail import message, utc

FRANCE = 'France ONU <france@diplomatie.gouv.fr>'
NO_CREDENTIALS = {'user': None, 'password_file': None, 'ca_file': None}


def _script(h, name, body):
    path = os.path.join(h.dir, name)
    with open(path, 'w') as f:
        f.write('#!/bin/sh\n' + body)
    os.chmod(path, stat.S_IRWXU)
    return path


def _bed_sendmail(h):
    """Postfix's sendmail pointed at the bed's Postfix: intaked runs it with
    a clean environment, so MAIL_CONFIG is set here."""
    return _script(h, 'bed-sendmail',
                   f'MAIL_CONFIG={h.bed.postfix_config} exec /usr/sbin/sendmail "$@"\n')


def _submit(h, tag):
    h.append('intake@example.org',
             message(FRANCE, 'intake+imrf@example.org', f'Contribution {tag}',
                     'Notre contribution.\n', utc(2022, 3, 21), f'<{tag}@diplomatie.gouv.fr>'),
             utc(2022, 3, 21))


def _outbox(h, state):
    out = []
    for d in sorted(glob.glob(os.path.join(h.spool, 'outbox', state, '*'))):
        with open(os.path.join(d, 'envelope.json')) as f:
            out.append(json.load(f))
    return out


def _conf_line(h, text):
    with open(h.conf) as f:
        for n, line in enumerate(f, 1):
            if line.strip() == text:
                return n
    raise AssertionError(f'{text!r} not in {h.conf}')


def test_ack_via_sendmail_has_null_sender(h):
    h.config(smtp=dict(NO_CREDENTIALS, url='sendmail:', sendmail=_bed_sendmail(h)))
    _submit(h, 'sm1')
    h.once()
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'sent', md['ack']
    [ack] = h.mails('france@diplomatie.gouv.fr', 1)
    head = ack.split(b'\r\n\r\n', 1)[0]
    # The acknowledgement's envelope sender is null (no bounce loops).
    assert head.startswith(b'Return-Path: <>\r\n'), head[:200]
    assert b'Subject: ' in head and b'Contribution sm1' in head, head
    [env] = _outbox(h, 'sent')
    assert env['rcpt'] == 'france@diplomatie.gouv.fr' and env['from'] == '', env
    assert env['kind'] == 'ack' and env['attempts'] == 1, env
    assert _outbox(h, 'queue') == []


def test_ack_via_loopback_smtp_without_tls(h):
    h.config(smtp=dict(NO_CREDENTIALS, url=f'smtp://127.0.0.1:{h.bed.smtp_plain_port}',
                       tls='none'))
    _submit(h, 'plain1')
    h.once()
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'sent', md['ack']
    [ack] = h.mails('france@diplomatie.gouv.fr', 1)
    assert ack.startswith(b'Return-Path: <>\r\n'), ack[:200]
    assert b'Contribution plain1' in ack
    [env] = _outbox(h, 'sent')
    assert env['rcpt'] == 'france@diplomatie.gouv.fr', env


def test_loopback_smtp_without_tls_none_still_requires_starttls(h):
    # The same server without "tls = none": STARTTLS is required as for any
    # smtp:// URL, the server offers none, so nothing is sent.
    h.config(smtp=dict(NO_CREDENTIALS, url=f'smtp://127.0.0.1:{h.bed.smtp_plain_port}'))
    _submit(h, 'plain2')
    p = h.once(expect=75)
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'queued', md['ack']
    [env] = _outbox(h, 'queue')
    assert 'SSL' in env['last_error'] or 'TLS' in env['last_error'], env
    assert 'event=outbox-deferred' in p.stderr
    assert h.inbox('france@diplomatie.gouv.fr') == []


def test_check_config_refuses_plain_smtp_to_remote_host(h):
    h.config(smtp=dict(NO_CREDENTIALS, url='smtp://192.0.2.7:25', tls='none'))
    p = h.intaked('--check-config', expect=78)
    line = _conf_line(h, 'tls = none')
    assert f'{h.conf}:{line}: [smtp] tls: ' in p.stderr, p.stderr
    assert '192.0.2.7' in p.stderr, p.stderr


def test_check_config_refuses_credentials_in_clear(h):
    h.config(smtp={'url': f'smtp://127.0.0.1:{h.bed.smtp_plain_port}', 'tls': 'none',
                   'ca_file': None})
    p = h.intaked('--check-config', expect=78)
    # ([mailbox] has a user line too: the [smtp] one is the second.)
    with open(h.conf) as f:
        users = [n for n, ln in enumerate(f, 1) if ln.strip() == 'user = intake@example.org']
    line = users[1]
    assert f'{h.conf}:{line}: [smtp] user: not used with tls = none' in p.stderr, p.stderr


def test_sendmail_failure_stays_queued_and_is_retried(h):
    # A sendmail that keeps what it was given and fails the way postdrop
    # does when the queue is unwritable (EX_TEMPFAIL).
    capture = os.path.join(h.dir, 'captured')
    os.mkdir(capture)
    fake = _script(h, 'failing-sendmail',
                   f'cat >{capture}/stdin\nprintf "%s\\n" "$@" >{capture}/argv\n'
                   f'env >{capture}/env\n'
                   'echo "postdrop: warning: unable to create queue file: No space left" >&2\n'
                   'exit 75\n')
    h.config(smtp=dict(NO_CREDENTIALS, url='sendmail:', sendmail=fake))
    _submit(h, 'smfail')
    os.environ['INTAKED_TEST_LEAK'] = 'must-not-reach-sendmail'
    try:
        p = h.once(expect=75)
    finally:
        del os.environ['INTAKED_TEST_LEAK']
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'queued', md['ack']
    [env] = _outbox(h, 'queue')
    assert env['attempts'] == 1, env
    assert 'unable to create queue file' in env['last_error'], env
    assert 'exit 75' in env['last_error'] or 'status 75' in env['last_error'], env
    deferred = [ln for ln in p.stderr.splitlines() if 'event=outbox-deferred' in ln]
    assert len(deferred) == 1 and 'unable to create queue file' in deferred[0], p.stderr
    assert 'france@diplomatie.gouv.fr' in deferred[0]
    # How it was run: the recipient after "--", the null sender, input
    # with bare LF line ends, no shell, nothing of our environment.
    with open(os.path.join(capture, 'argv')) as f:
        argv = f.read().splitlines()
    assert argv == ['-oi', '-f', '<>', '--', 'france@diplomatie.gouv.fr'], argv
    with open(os.path.join(capture, 'stdin'), 'rb') as f:
        fed = f.read()
    assert b'\r' not in fed and b'Contribution smfail' in fed and fed.endswith(b'\n'), fed[-80:]
    with open(os.path.join(capture, 'env')) as f:
        environ = f.read()
    assert 'INTAKED_TEST_LEAK' not in environ and 'PATH=' in environ, environ
    # Still there after the backoff, through a working sendmail.
    h.config(smtp=dict(NO_CREDENTIALS, url='sendmail:', sendmail=_bed_sendmail(h)))
    h.once('--now', h.iso_now(hours=2))
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'sent', md['ack']
    assert len(h.mails('france@diplomatie.gouv.fr', 1)) == 1
    [env] = _outbox(h, 'sent')
    assert env['attempts'] == 2, env


def test_sendmail_permanent_refusal_fails_item(h):
    # EX_NOUSER: sendmail says the recipient cannot exist; retrying the
    # same address cannot help.
    fake = _script(h, 'nouser-sendmail',
                   'cat >/dev/null\necho "$5... User unknown" >&2\nexit 67\n')
    h.config(smtp=dict(NO_CREDENTIALS, url='sendmail:', sendmail=fake))
    _submit(h, 'smnouser')
    h.once()
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'failed', md['ack']
    [env] = _outbox(h, 'failed')
    assert 'User unknown' in env['last_error'], env
    assert _outbox(h, 'queue') == []


def test_sendmail_timeout_is_temporary(h):
    fake = _script(h, 'stuck-sendmail', 'cat >/dev/null\nsleep 30\n')
    h.config(smtp=dict(NO_CREDENTIALS, url='sendmail:', sendmail=fake, timeout='2s'))
    _submit(h, 'smstuck')
    t0 = time.monotonic()
    h.once(expect=75)
    assert time.monotonic() - t0 < 25
    [env] = _outbox(h, 'queue')
    assert 'timed out' in env['last_error'], env
