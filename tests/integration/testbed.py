"""Python side of intaked's integration test bed (tests/testbed/testbed.sh).

A private Dovecot and Postfix on loopback, with a throwaway CA:

    with Testbed() as tb:                        # or tb.start() ... tb.stop()
        tb.append('intake@example.org', raw, datetime(2024, 5, 1, tzinfo=timezone.utc))
        tb.submit('intake@example.org', raw, ['bangladesh@mofa.gov.bd'])
        [msg] = tb.wait_for_messages('bangladesh@mofa.gov.bd', 1)

Mail sent through Postfix reaches Dovecot over LMTP, so it arrives
asynchronously: use wait_for_messages(). Postfix adds a Received: header and
Dovecot adds Return-Path:, Delivered-To: (the envelope recipient, plus
address included: "Delivered-To: intake+imrf@example.org") and Received:, so
compare bodies or headers, not whole messages. Messages appended over IMAP
are stored as given.

Standard library only. Mailbox names must be ASCII.
"""

import dataclasses
import datetime
import imaplib
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
TESTBED_DIR = os.path.normpath(os.path.join(_HERE, '..', 'testbed'))
TESTBED_SH = os.path.join(TESTBED_DIR, 'testbed.sh')


def _read_users():
    with open(os.path.join(TESTBED_DIR, 'users')) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


# Address -> password of every mail user of the bed (tests/testbed/users).
USERS = {addr: 'secret-' + addr.split('@')[0] for addr in _read_users()}
# Mail to any domain not in USERS ends up here.
CATCHALL = 'catchall@example.org'
# Addresses whose IMAPS port (imaps_port) presents a bad certificate, and the
# reason each fails verification against the bed's CA.
BAD_TLS_HOSTS = {
    '127.0.0.2': 'unknown issuer (signed by other-ca.pem)',
    '127.0.0.3': 'wrong name (SAN DNS:wrong.example only)',
    '127.0.0.4': 'expired (January 2020)',
}
# Dovecot logs this when a password came over IMAP without TLS (and refuses
# it): a test can prove a client never sent one in clear.
PLAINTEXT_LOGIN_MARK = 'REFUSED-plaintext-imap-login'


class TestbedError(Exception):
    pass


@dataclasses.dataclass
class Message:
    uid: int
    flags: tuple            # e.g. ('\\Seen', 'intaked-done')
    internaldate: datetime.datetime   # aware; in Dovecot's zone: compare instants
    raw: bytes


_MONTHS = {m: i + 1 for i, m in enumerate(
    'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split())}


def _parse_internaldate(s):
    # "02-Mar-2021 05:06:07 +0530", parsed without the locale-dependent %b.
    m = re.fullmatch(r' ?(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)', s)
    if not m:
        raise TestbedError('bad INTERNALDATE %r' % s)
    d, mon, y, hh, mm, ss, sign, zh, zm = m.groups()
    off = datetime.timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == '-' else 1)
    return datetime.datetime(int(y), _MONTHS[mon], int(d), int(hh), int(mm), int(ss),
                             tzinfo=datetime.timezone(off))


def _quote(mailbox):
    return '"%s"' % mailbox.replace('\\', '\\\\').replace('"', '\\"')


class Testbed:
    """One bed. run_dir: an existing short directory (default: a new
    /tmp/itb.XXXX, removed by stop() unless TESTBED_KEEP is set).
    port_base: default $TESTBED_PORT_BASE or 20000; beds running at the same
    time need bases at least 1000 apart."""

    host = '127.0.0.1'

    def __init__(self, run_dir=None, port_base=None):
        self.port_base = int(port_base or os.environ.get('TESTBED_PORT_BASE') or 20000)
        self._own_dir = run_dir is None
        self.run_dir = os.path.abspath(run_dir or tempfile.mkdtemp(prefix='itb.', dir='/tmp'))
        b = self.port_base
        self.imap_port = b + 143         # STARTTLS, no login without it
        self.imap_notls_port = b + 144   # no TLS at all (no STARTTLS capability)
        self.imaps_port = b + 993        # also on BAD_TLS_HOSTS
        self.lmtp_port = b + 24
        self.smtp_port = b + 25          # as the outside world would send
        self.smtp_plain_port = b + 26    # no TLS at all (no STARTTLS), no AUTH
        self.submission_port = b + 587   # STARTTLS + AUTH required
        self.smtps_port = b + 465        # implicit TLS + AUTH required
        # Dovecot checks XOAUTH2/OAUTHBEARER tokens by POSTing them to
        # http://127.0.0.1:oauth_port/introspect: a test serves it itself
        # (oauthidp.py). Password logins never consult it.
        self.oauth_port = b + 80
        ca = os.path.join(self.run_dir, 'ca')
        self.ca_path = os.path.join(ca, 'ca.pem')             # trust this one
        self.other_ca_path = os.path.join(ca, 'other-ca.pem')  # unrelated CA
        # MAIL_CONFIG for Postfix's sendmail(1), to submit through this bed.
        self.postfix_config = os.path.join(self.run_dir, 'postfix', 'etc')
        self.users = dict(USERS)
        self.catchall = CATCHALL
        self.running = False

    # ------------------------------------------------------------ lifecycle

    def _sh(self, command):
        env = dict(os.environ, TESTBED_PORT_BASE=str(self.port_base))
        p = subprocess.run([TESTBED_SH, command, self.run_dir], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise TestbedError('testbed.sh %s %s failed (%d):\n%s'
                               % (command, self.run_dir, p.returncode, p.stdout))

    def start(self):
        """Start the bed; waits until every port answers. A failed start
        (the error holds the logs' tails) leaves nothing running."""
        try:
            self._sh('start')
        except TestbedError:
            if not self.running:  # (not when this bed was already running)
                self._remove_own_dir()
            raise
        self.running = True
        return self

    def stop(self):
        self._sh('stop')
        self.running = False
        self._remove_own_dir()

    def _remove_own_dir(self):
        if self._own_dir and not os.environ.get('TESTBED_KEEP'):
            shutil.rmtree(self.run_dir, ignore_errors=True)

    @classmethod
    def attach(cls, run_dir):
        """The bed that `start` made in run_dir, running or not, on the
        ports its testbed.env records: to stop, or use, a bed that outlived
        the process that started it (make demo, make demo-stop). stop()
        leaves run_dir in place."""
        env = {}
        with open(os.path.join(run_dir, 'testbed.env')) as f:
            for line in f:
                k, _, v = line.strip().partition('=')
                env[k] = v
        bed = cls(run_dir=run_dir, port_base=env['TESTBED_PORT_BASE'])
        bed.running = bool(bed.master_pids())
        return bed

    def master_pids(self):
        """{'dovecot': pid, 'postfix': pid} of the masters whose pid files
        the bed holds and that are alive (not checked to be this bed's:
        testbed.sh stop does that)."""
        files = {'dovecot': ('dovecot', 'run', 'master.pid'),
                 'postfix': ('postfix', 'queue', 'pid', 'master.pid')}
        pids = {}
        for name, path in files.items():
            try:
                with open(os.path.join(self.run_dir, *path)) as f:
                    pid = int(f.read().strip())
                with open(f'/proc/{pid}/stat') as f:
                    if f.read().rpartition(') ')[2].startswith('Z'):
                        continue
            except (OSError, ValueError):
                continue
            pids[name] = pid
        return pids

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Outage tests. While IMAP is down, Postfix keeps mail queued (and its
    # SASL AUTH fails); it retries every 1-5 s once Dovecot is back.
    def stop_mta(self):
        self._sh('stop-mta')

    def start_mta(self):
        self._sh('start-mta')

    def stop_imap(self):
        self._sh('stop-imap')

    def start_imap(self):
        self._sh('start-imap')

    def restart_imap(self):
        self.stop_imap()
        self.start_imap()

    # ----------------------------------------------------------------- TLS

    def ssl_context(self):
        """A verifying client context that trusts only the bed's CA."""
        return ssl.create_default_context(cafile=self.ca_path)

    def server_cert(self):
        """(certfile, keyfile) the bed's CA issued for 127.0.0.1 and
        localhost: for test servers that intaked must trust via ca_file."""
        ca = os.path.join(self.run_dir, 'ca')
        return os.path.join(ca, 'server.pem'), os.path.join(ca, 'server.key')

    def password(self, user):
        return self.users[user]

    # ----------------------------------------------------------------- IMAP

    def imap(self, user):
        """A logged-in IMAPS connection (usable as a context manager)."""
        c = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=self.ssl_context(),
                              timeout=30)
        c.login(user, self.users[user])
        return c

    def append(self, user, raw_bytes, internaldate, mailbox='INBOX', flags=''):
        """APPEND with an explicit INTERNALDATE (an aware datetime); creates
        the mailbox if needed. flags: e.g. '\\Seen $Forwarded'. Returns the
        new message's UID."""
        if internaldate.tzinfo is None:
            raise ValueError('internaldate must be timezone-aware')
        date = imaplib.Time2Internaldate(internaldate)
        with self.imap(user) as c:
            for attempt in (1, 2):
                typ, data = c.append(_quote(mailbox), flags or None, date, raw_bytes)
                if typ == 'OK':
                    break
                if attempt == 1 and b'TRYCREATE' in data[0]:
                    c.create(_quote(mailbox))
                    continue
                raise TestbedError('APPEND to %s of %s: %r' % (mailbox, user, data))
            m = re.search(rb'APPENDUID \d+ (\d+)', data[0])
            return int(m.group(1)) if m else None

    def messages(self, user, mailbox='INBOX'):
        """Every message of a mailbox (UID order), with UID, flags and
        INTERNALDATE. Does not set \\Seen."""
        with self.imap(user) as c:
            typ, data = c.select(_quote(mailbox), readonly=True)
            if typ != 'OK':
                raise TestbedError('SELECT %s of %s: %r' % (mailbox, user, data))
            if int(data[0]) == 0:
                return []
            typ, data = c.uid('FETCH', '1:*', '(UID FLAGS INTERNALDATE BODY.PEEK[])')
            if typ != 'OK':
                raise TestbedError('FETCH %s of %s: %r' % (mailbox, user, data))
        out = []
        # imaplib gives (b'N (UID .. BODY[] {len}', literal) followed by b')'
        # (or b' FLAGS (..))' when the server puts items after the literal).
        for i, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            meta = item[0]
            if i + 1 < len(data) and isinstance(data[i + 1], bytes):
                meta += data[i + 1]
            meta = meta.decode('ascii', 'replace')
            uid = re.search(r'UID (\d+)', meta)
            flags = re.search(r'FLAGS \(([^)]*)\)', meta)
            date = re.search(r'INTERNALDATE "([^"]+)"', meta)
            if not (uid and flags and date):
                raise TestbedError('unexpected FETCH response %r' % meta)
            out.append(Message(int(uid.group(1)), tuple(flags.group(1).split()),
                               _parse_internaldate(date.group(1)), item[1]))
        return sorted(out, key=lambda m: m.uid)

    def fetch_all(self, user, mailbox='INBOX'):
        """The raw messages of a mailbox, in UID order."""
        return [m.raw for m in self.messages(user, mailbox)]

    def count(self, user, mailbox='INBOX'):
        with self.imap(user) as c:
            typ, data = c.status(_quote(mailbox), '(MESSAGES)')
            if typ != 'OK':
                raise TestbedError('STATUS %s of %s: %r' % (mailbox, user, data))
            return int(re.search(rb'MESSAGES (\d+)', data[0]).group(1))

    def wait_for_messages(self, user, n, timeout=30, mailbox='INBOX'):
        """Poll until the mailbox holds at least n messages; return them all
        (raw). Raises TimeoutError, with the tail of Postfix's log."""
        deadline = time.monotonic() + timeout
        while True:
            have = self.count(user, mailbox)
            if have >= n:
                return self.fetch_all(user, mailbox)
            if time.monotonic() > deadline:
                raise TimeoutError('%s/%s has %d messages after %ss, wanted %d; '
                                   'Postfix log tail:\n%s' % (
                                       user, mailbox, have, timeout, n,
                                       '\n'.join(self.log('postfix').splitlines()[-15:])))
            time.sleep(0.2)

    def mailboxes(self, user):
        with self.imap(user) as c:
            typ, data = c.list()
        return sorted(re.search(rb'"(?:[^"\\]|\\.)*" "?(.*?)"?$', d).group(1).decode()
                      for d in data if d)

    def clear(self, user, mailbox='INBOX'):
        """Expunge every message of a mailbox."""
        self.clear_mailboxes(user, (mailbox,))

    def clear_mailboxes(self, user, mailboxes):
        """Expunge every message of each mailbox, over one connection (a
        login costs ~0.15 s on a busy machine, and every test clears 18)."""
        with self.imap(user) as c:
            for mailbox in mailboxes:
                typ, data = c.select(_quote(mailbox))
                if typ != 'OK':
                    raise TestbedError('SELECT %s of %s: %r' % (mailbox, user, data))
                if int(data[0]) > 0:
                    c.store('1:*', '+FLAGS.SILENT', '(\\Deleted)')
                    c.expunge()

    # ----------------------------------------------------------------- SMTP

    def submit(self, user, raw_bytes, rcpts, mail_from=None, smtps=False):
        """Send as an authenticated client: submission (STARTTLS) or SMTPS.
        Returns smtplib's dict of refused recipients."""
        if smtps:
            s = smtplib.SMTP_SSL(self.host, self.smtps_port, context=self.ssl_context(),
                                 timeout=30)
        else:
            s = smtplib.SMTP(self.host, self.submission_port, timeout=30)
            s.starttls(context=self.ssl_context())
        with s:
            s.login(user, self.users[user])
            return s.sendmail(mail_from or user, rcpts, raw_bytes)

    def inject(self, raw_bytes, rcpts, mail_from='someone@outside.test'):
        """Send the way the outside world would: plain SMTP, no AUTH."""
        with smtplib.SMTP(self.host, self.smtp_port, timeout=30) as s:
            return s.sendmail(mail_from, rcpts, raw_bytes)

    # ----------------------------------------------------------------- logs

    def log(self, which):
        """The text of 'dovecot' (dovecot.log) or 'postfix' (maillog)."""
        path = {'dovecot': ('dovecot', 'dovecot.log'),
                'postfix': ('postfix', 'maillog')}[which]
        try:
            with open(os.path.join(self.run_dir, *path), errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def plaintext_login_attempts(self):
        """How many times a password was sent over IMAP without TLS."""
        return self.log('dovecot').count(PLAINTEXT_LOGIN_MARK)


# ------------------------------------------------------ the server matrix

ALTBED_SH = os.path.join(TESTBED_DIR, 'altbed.sh')
# altbed.sh's ports, relative to the bed's TESTBED_PORT_BASE.
ALT_PORTS = {'cyrus': 1101, 'courier': 1201, 'opensmtpd': 1301}


class AltServer(Testbed):
    """Cyrus IMAP, Courier IMAP or OpenSMTPD beside a running bed
    (tests/testbed/altbed.sh), from Debian's packages as
    tests/testbed/fetch-servers.sh unpacked them. For an IMAP server, the
    IMAP helpers of Testbed (imap, append, messages, clear, ...) work on it;
    it knows intake@example.org only. OpenSMTPD listens without TLS or AUTH
    on port (see altbed.sh) and hands everything to the bed's Dovecot."""

    def __init__(self, bed, name):
        super().__init__(run_dir=bed.run_dir, port_base=bed.port_base)
        self.name = name
        self.port = self.port_base + ALT_PORTS[name]
        self.imaps_port = self.port
        self.users = {'intake@example.org': USERS['intake@example.org']}
        self._cert = bed.server_cert()

    def _alt(self, command):
        cert, key = self._cert
        env = dict(os.environ, TESTBED_PORT_BASE=str(self.port_base),
                   TESTBED_CERT=cert, TESTBED_KEY=key)
        p = subprocess.run([ALTBED_SH, command, self.name, self.run_dir], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise TestbedError('altbed.sh %s %s failed (%d):\n%s'
                               % (command, self.name, p.returncode, p.stdout))

    def start(self):
        self._alt('start')
        self.running = True
        return self

    def stop(self):
        self._alt('stop')
        self.running = False

    stop_imap = stop

    def start_imap(self):
        self.start()

    def log(self, which=None):
        """Everything the server logged (syslog and stderr)."""
        try:
            with open(os.path.join(self.run_dir, self.name, 'log'), errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''
