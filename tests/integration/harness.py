"""Per-test harness: a fresh config, roster and spool for the real intaked,
run against the shared test bed; helpers to read what it filed and sent."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone

ROSTER = '''name,addresses
Bangladesh,"@mofa.gov.bd;bangladesh@un.int"
France,france@diplomatie.gouv.fr
Mexico,@sre.gob.mx
China,china@mfa.gov.cn
'''

IMRF = {
    'name': 'imrf-2022',
    'title': 'Progress Declaration, IMRF 2022',
    'match_to': 'intake+imrf@example.org',
    'match_subject': '[IMRF]',
    'opens': '2022-03-01 00:00 America/New_York',
    'deadline': '2022-03-29 18:00 America/New_York',
    'grace': '15m',
    'word_limit': '60',
    'late': 'flag',
    'coordinators': 'coord@example.org',
    'language': 'en',
}

GCM = {
    'name': 'gcm-2022',
    'title': 'Examen du Pacte mondial sur les migrations',
    'match_to': 'intake+gcm@example.org',
    'match_subject': '[GCM]',
    'deadline': '2022-11-07 12:00 Europe/Paris',
    'grace': '0s',
    'late': 'reject',
    'coordinators': 'coord@example.org',
    'language': 'fr',
}

class Skip(Exception):
    """Raised by a test whose outside data is absent; run.py counts it skipped."""


def outside_data(env, default, what):
    """The path of data kept outside the repository ($env, else default).
    Absent: a Skip naming the path, or under CI=true (where the data is laid
    beside the clone) a failure."""
    path = os.environ.get(env) or default
    if os.path.isdir(path):
        return path
    if os.environ.get('CI') == 'true':
        raise AssertionError(f'{what} not found at {path} (required under CI=true; set ${env})')
    raise Skip(f'{what} not found at {path} (set ${env} to run it)')


USERS_TO_CLEAR = ['intake@example.org', 'coord@example.org', 'ops@example.org',
                  'catchall@example.org', 'bangladesh@mofa.gov.bd',
                  'france@diplomatie.gouv.fr', 'mexico@sre.gob.mx',
                  'china@mfa.gov.cn', 'stranger@gmail.test']


class Harness:
    def __init__(self, bed, build, keep=False, workdir=None):
        """workdir: where config, secrets and spool go (default: a new
        /tmp/it.XXXX)."""
        self.bed = bed
        self.build = build
        self.keep = keep
        if workdir:
            os.makedirs(workdir, exist_ok=True)
        self.dir = workdir or tempfile.mkdtemp(prefix='it.', dir='/tmp')
        self.spool = os.path.join(self.dir, 'spool')
        self.conf = os.path.join(self.dir, 'intaked.conf')
        self.logs = []
        for user in USERS_TO_CLEAR:
            bed.clear_mailboxes(user, ('INBOX', 'Filed'))

    # ------------------------------------------------------------ config
    def secret(self, name, value, mode=0o600):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(value + '\n')
        os.chmod(path, mode)
        return path

    def config(self, calls=(IMRF, GCM), roster=ROSTER, mailbox=None, smtp=None,
               limits=None, extra=''):
        """Write intaked.conf for the bed; dict arguments override keys (a
        value None leaves the key out)."""
        bed = self.bed
        with open(os.path.join(self.dir, 'roster.csv'), 'w') as f:
            f.write(roster)
        mb = {
            'url': f'imaps://127.0.0.1:{bed.imaps_port}/INBOX',
            'user': 'intake@example.org',
            'password_file': self.secret('imap.secret', bed.password('intake@example.org')),
            'ca_file': bed.ca_path,
            'poll_interval': '5s',
            'after_filing': 'flag',
            'timeout': '10s',
        }
        mb.update(mailbox or {})
        sm = {
            'url': f'smtp://127.0.0.1:{bed.submission_port}',
            'user': 'intake@example.org',
            'password_file': self.secret('smtp.secret', bed.password('intake@example.org')),
            'ca_file': bed.ca_path,
            'from': 'GCM Written Inputs <intake@example.org>',
            'operators': 'ops@example.org',
            'timeout': '10s',
        }
        sm.update(smtp or {})
        lines = ['[mailbox]'] + [f'{k} = {v}' for k, v in mb.items() if v is not None]
        lines += ['', '[smtp]'] + [f'{k} = {v}' for k, v in sm.items() if v is not None]
        lines += ['', '[spool]', f'dir = {self.spool}']
        if limits:
            lines += ['', '[limits]'] + [f'{k} = {v}' for k, v in limits.items()]
        for call in calls:
            call = dict(call)
            call.setdefault('roster', os.path.join(self.dir, 'roster.csv'))
            lines += ['', f'[call {call.pop("name")}]']
            for k, v in call.items():
                for item in (v if isinstance(v, list) else [v]):
                    lines.append(f'{k} = {item}')
        with open(self.conf, 'w') as f:
            f.write('\n'.join(lines) + '\n' + extra)
        return self.conf

    # ------------------------------------------------------------- daemon
    def intaked(self, *args, expect=0, timeout=120):
        """Run build/intaked -c CONF ARGS; assert its exit status."""
        cmd = [os.path.join(self.build, 'intaked'), '-c', self.conf, *args]
        if os.environ.get('INTAKED_VALGRIND'):
            here = os.path.dirname(os.path.abspath(__file__))
            cmd = ['valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
                   '--errors-for-leak-kinds=definite', '--show-leak-kinds=definite',
                   '--suppressions=' + os.path.join(here, 'valgrind-glibc.supp')] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        self.logs.append((' '.join(args), p.stdout, p.stderr))
        assert p.returncode == expect, (
            f'intaked {" ".join(args)} exited {p.returncode}, want {expect}\n{p.stderr[-3000:]}')
        if os.environ.get('INTAKED_VALGRIND'):
            # The analysis worker outlives single messages: its errors show
            # in the shared stderr, not in the daemon's exit status.
            errors = [ln for ln in p.stderr.splitlines() if re.match(r'==\d+== ', ln)]
            assert not errors, '\n'.join(errors[:60])
        return p

    @staticmethod
    def iso_now(hours=0):
        """The real time plus some hours, for --now."""
        t = datetime.now(timezone.utc) + timedelta(hours=hours)
        return t.strftime('%Y-%m-%dT%H:%M:%SZ')

    def once(self, *args, expect=0):
        return self.intaked('--once', *args, expect=expect)

    # ------------------------------------------------------------ mail io
    def append(self, user, raw, date, mailbox='INBOX'):
        if isinstance(raw, str):
            raw = raw.replace('\r\n', '\n').replace('\n', '\r\n').encode('utf-8')
        self.bed.append(user, raw, date, mailbox=mailbox)
        return raw

    def mails(self, user, n, timeout=30):
        """Wait until user's INBOX holds at least n messages; return them."""
        return self.bed.wait_for_messages(user, n, timeout=timeout)

    def inbox(self, user):
        return self.bed.fetch_all(user)

    # ------------------------------------------------------------- spool
    def entries(self, pattern):
        """[(relpath, metadata)] of spool entries matching a glob such as
        'calls/imrf-2022/*/v*' or 'ignored/*/*'."""
        out = []
        for d in sorted(glob.glob(os.path.join(self.spool, pattern))):
            with open(os.path.join(d, 'metadata.json'), encoding='utf-8') as f:
                out.append((os.path.relpath(d, self.spool), json.load(f)))
        return out

    def submissions(self, call='*'):
        return self.entries(f'calls/{call}/*/v*')

    def entries_all(self):
        return (self.entries('calls/*/*/v*') + self.entries('unmatched/*/*') +
                self.entries('ignored/*/*') + self.entries('quarantine/*'))

    def read(self, rel, name, mode='rb'):
        with open(os.path.join(self.spool, rel, name), mode) as f:
            return f.read()

    # ----------------------------------------------------------- cleanup
    def dump_logs(self):
        for args, out, err in self.logs[-3:]:
            print(f'--- intaked {args}\n{out}{err[-4000:]}')

    def cleanup(self, failed_now=False):
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
