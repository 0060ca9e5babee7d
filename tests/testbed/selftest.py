#!/usr/bin/env python3
"""Self-test of the integration test bed: starts one, checks what the
intaked tests rely on, stops it, and checks that nothing of it is left.

usage: [TESTBED_PORT_BASE=N] python3 tests/testbed/selftest.py
Prints "N passed, N failed"; exits 1 on any failure.
"""

import datetime
import imaplib
import os
import smtplib
import socket
import ssl
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
from testbed import BAD_TLS_HOSTS, Testbed  # noqa: E402

passed = failed = 0


def check(name, fn):
    global passed, failed
    t = time.monotonic()
    try:
        fn()
    except Exception as e:  # report and go on with the next check
        failed += 1
        print('FAIL %s: %s: %s' % (name, type(e).__name__, e), flush=True)
    else:
        passed += 1
        print('ok   %s (%.1fs)' % (name, time.monotonic() - t), flush=True)


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def mail(subject, to='x@example.org'):
    token = uuid.uuid4().hex
    raw = ('From: Intake <intake@example.org>\r\nTo: %s\r\nSubject: %s %s\r\n'
           'Message-ID: <%s@selftest>\r\nMIME-Version: 1.0\r\n'
           'Content-Type: text/plain; charset=utf-8\r\n\r\nbody %s\r\n'
           % (to, subject, token, token, token)).encode()
    return raw, token.encode()


def has(msgs, token):
    return any(token in m for m in msgs)


def session_members(sids):
    """Live (non-zombie) processes whose session id is in sids."""
    out = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if fields[0] != 'Z' and int(fields[3]) in sids:
            out.append(int(pid))
    return out


def master_pids(tb):
    pids = set()
    for path in ('dovecot/run/master.pid', 'postfix/queue/pid/master.pid'):
        with open(os.path.join(tb.run_dir, path)) as f:
            pids.add(int(f.read().strip()))
    return pids


def port_open(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def main():
    tb = Testbed()
    print('bed in %s, port base %d' % (tb.run_dir, tb.port_base), flush=True)
    t = time.monotonic()
    tb.start()
    print('start took %.2fs' % (time.monotonic() - t), flush=True)
    sids = master_pids(tb)
    intake = 'intake@example.org'

    def append_internaldate():
        when = datetime.datetime(2021, 3, 4, 5, 6, 7,
                                 tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30)))
        raw, token = mail('appended')
        uid = tb.append(intake, raw, when, mailbox='Archive/2021', flags='\\Seen')
        [m] = tb.messages(intake, 'Archive/2021')
        expect(m.uid == uid, 'APPENDUID %s, fetched UID %s' % (uid, m.uid))
        expect(m.raw == raw, 'appended message came back changed')
        expect(m.internaldate == when, 'INTERNALDATE %s, wanted %s' % (m.internaldate, when))
        expect('\\Seen' in m.flags, 'flags %s' % (m.flags,))
        tb.clear(intake, 'Archive/2021')
        expect(tb.fetch_all(intake, 'Archive/2021') == [], 'clear() left messages')

    def filed_mailbox():
        for user in ('intake@example.org', 'china@mfa.gov.cn'):
            expect('Filed' in tb.mailboxes(user), '%s has no Filed: %s' % (user, tb.mailboxes(user)))

    def submission_delivery():
        raw, token = mail('submitted', 'bangladesh@mofa.gov.bd')
        refused = tb.submit(intake, raw, ['bangladesh@mofa.gov.bd', 'someone@nowhere.test',
                                          'intake+imrf@example.org'])
        expect(refused == {}, 'refused: %r' % refused)
        for user in ('bangladesh@mofa.gov.bd', 'catchall@example.org', intake):
            expect(has(tb.wait_for_messages(user, 1, timeout=20), token), 'not in ' + user)
        # The plus address stays visible (one recipient per LMTP transaction).
        [got] = tb.fetch_all(intake)
        expect(b'\r\nDelivered-To: intake+imrf@example.org\r\n' in got, 'no Delivered-To')

    def smtps_and_port25():
        raw, token = mail('smtps')
        tb.submit('coord@example.org', raw, ['france@diplomatie.gouv.fr'], smtps=True)
        raw2, token2 = mail('inbound')
        tb.inject(raw2, ['mexico@sre.gob.mx'], mail_from='someone@outside.test')
        expect(has(tb.wait_for_messages('france@diplomatie.gouv.fr', 1, timeout=20), token),
               'smtps mail missing')
        expect(has(tb.wait_for_messages('mexico@sre.gob.mx', 1, timeout=20), token2),
               'port 25 mail missing')

    def submission_requires_tls_and_auth():
        with smtplib.SMTP(tb.host, tb.submission_port, timeout=10) as s:
            s.ehlo()
            expect(not s.has_extn('auth'), 'AUTH offered before STARTTLS')
            try:
                s.sendmail(intake, ['ops@example.org'], b'Subject: x\r\n\r\nx\r\n')
                raise AssertionError('mail accepted without TLS')
            except smtplib.SMTPException:
                pass
        with smtplib.SMTP(tb.host, tb.submission_port, timeout=10) as s:
            s.starttls(context=tb.ssl_context())
            try:
                s.sendmail(intake, ['ops@example.org'], b'Subject: x\r\n\r\nx\r\n')
                raise AssertionError('mail accepted without AUTH')
            except smtplib.SMTPRecipientsRefused:
                pass
        with smtplib.SMTP(tb.host, tb.smtp_port, timeout=10) as s:
            s.ehlo()
            s.mail('a@b.test')
            code, _ = s.rcpt('nobody@example.org')
            expect(code == 550, 'unknown user of a local domain: RCPT gave %s' % code)

    def tls_verification():
        ctx = tb.ssl_context()
        with socket.create_connection((tb.host, tb.imaps_port), timeout=5) as raw_sock:
            with ctx.wrap_socket(raw_sock, server_hostname='127.0.0.1'):
                pass
        with socket.create_connection((tb.host, tb.imaps_port), timeout=5) as raw_sock:
            with ctx.wrap_socket(raw_sock, server_hostname='localhost'):
                pass
        reasons = {'127.0.0.2': 'unable to get local issuer certificate',
                   '127.0.0.3': 'IP address mismatch',
                   '127.0.0.4': 'certificate has expired'}
        expect(set(reasons) == set(BAD_TLS_HOSTS), 'BAD_TLS_HOSTS out of date')
        for host, reason in reasons.items():
            try:
                with socket.create_connection((host, tb.imaps_port), timeout=5) as raw_sock:
                    ctx.wrap_socket(raw_sock, server_hostname=host).close()
                raise AssertionError('%s passed verification' % host)
            except ssl.SSLCertVerificationError as e:
                expect(reason in e.verify_message, '%s: %s' % (host, e.verify_message))
        # The other CA's certificate is fine for whoever trusts that CA.
        other = ssl.create_default_context(cafile=tb.other_ca_path)
        with socket.create_connection(('127.0.0.2', tb.imaps_port), timeout=5) as raw_sock:
            other.wrap_socket(raw_sock, server_hostname='127.0.0.2').close()

    def no_login_before_starttls():
        before = tb.plaintext_login_attempts()
        c = imaplib.IMAP4(tb.host, tb.imap_port, timeout=10)
        expect('STARTTLS' in c.capabilities, 'no STARTTLS on %d' % tb.imap_port)
        try:
            c.login(intake, tb.password(intake))
            raise AssertionError('plaintext LOGIN succeeded')
        except imaplib.IMAP4.error:
            pass
        c.logout()
        expect(tb.plaintext_login_attempts() == before + 1, 'refusal not logged')
        c = imaplib.IMAP4(tb.host, tb.imap_port, timeout=10)
        c.starttls(ssl_context=tb.ssl_context())
        c.login(intake, tb.password(intake))
        c.logout()
        c = imaplib.IMAP4(tb.host, tb.imap_notls_port, timeout=10)
        expect('STARTTLS' not in c.capabilities, 'STARTTLS offered on the no-TLS port')
        c.logout()

    def imap_outage_queues_mail():
        tb.stop_imap()
        expect(not port_open(tb.host, tb.imaps_port), 'IMAPS still listening')
        raw, token = mail('during outage')
        tb.inject(raw, ['ops@example.org'])
        time.sleep(1)
        t = time.monotonic()
        tb.start_imap()
        expect(has(tb.wait_for_messages('ops@example.org', 1, timeout=20), token),
               'queued mail not delivered')
        print('     (delivered %.1fs after Dovecot came back)' % (time.monotonic() - t))

    def mta_outage():
        tb.stop_mta()
        expect(not port_open(tb.host, tb.submission_port), 'submission still listening')
        tb.start_mta()
        raw, token = mail('after mta restart')
        tb.submit(intake, raw, ['stranger@gmail.test'])
        expect(has(tb.wait_for_messages('stranger@gmail.test', 1, timeout=20), token),
               'mail after MTA restart missing')

    def start_twice_fails():
        try:
            tb.start()
            raise AssertionError('second start succeeded')
        except Exception as e:
            expect('already running' in str(e), str(e))
        expect(port_open(tb.host, tb.imaps_port), 'failed second start broke the bed')

    try:
        for fn in (append_internaldate, filed_mailbox, submission_delivery, smtps_and_port25,
                   submission_requires_tls_and_auth, tls_verification,
                   no_login_before_starttls, imap_outage_queues_mail, mta_outage,
                   start_twice_fails):
            check(fn.__name__, fn)
        sids |= master_pids(tb)   # restarted masters have new pids
    finally:
        t = time.monotonic()
        tb.stop()
    print('stop took %.2fs' % (time.monotonic() - t), flush=True)

    def nothing_left():
        left = session_members(sids)
        expect(not left, 'processes left: %s' % left)
        ports = (tb.imap_port, tb.imap_notls_port, tb.imaps_port, tb.lmtp_port, tb.smtp_port,
                 tb.submission_port, tb.smtps_port, tb.smtp_plain_port)
        expect(not any(port_open(tb.host, p) for p in ports), 'a port still listens')
    check('nothing_left', nothing_left)

    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
