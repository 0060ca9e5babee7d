#!/usr/bin/env python3
"""What deciding "pending" from intaked's own records costs on a big
folder without keywords (Exchange Online's INBOX): N (10 000) filed
messages stay in INBOX (after_filing = flag), a pass finds nothing new.

usage: pending_bench.py [BUILD_DIR]   (BENCH_PORT_BASE, default 37000; N)

Runs a private test bed (tests/testbed) and capproxy.CapProxy hiding \\*
from PERMANENTFLAGS, so intaked searches without NOT KEYWORD $Filed:
  first    intaked --once on the full folder (first sync; no record);
  mark     intaked --once again: UID SEARCH UID <mark+1>:* (what a pass costs
           with the high-water mark);
  full     the same with SPOOL/state/highwater removed: the search returns
           all N UIDs, each looked up in the ledger (whose first lookup of
           a record reads its entry's metadata.json): the cost of the other
           design, a full UID SEARCH ALL diffed against the ledger.
Each is the best of 3 (the first sync once). Prints a Markdown table."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))

from capproxy import CapProxy  # noqa: E402
from testbed import Testbed  # noqa: E402

USER = 'intake@example.org'


def conf(path, w, url, ca, spool, bed):
    pw = os.path.join(w, 'pw')
    with open(pw, 'w') as f:
        f.write(bed.password(USER) + '\n')
    os.chmod(pw, 0o600)
    with open(os.path.join(w, 'roster.csv'), 'w') as f:
        f.write('name,addresses\n')
    with open(path, 'w') as f:
        f.write(f'''[mailbox]
url = {url}
user = {USER}
password_file = {pw}
ca_file = {ca}
after_filing = flag
timeout = 60s

[smtp]
url = smtp://127.0.0.1:{bed.submission_port}
user = {USER}
password_file = {pw}
ca_file = {ca}
from = Written Inputs <{USER}>

[spool]
dir = {spool}

[call bench]
title = Benchmark call
match_to = intake+bench@example.org
deadline = 2030-12-31 18:00 America/New_York
roster = {os.path.join(w, 'roster.csv')}
ack_per_sender_per_day = 0
''')


def run(build, path):
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(build, 'intaked'), '-c', path, '--once'],
                       capture_output=True, text=True, timeout=3600)
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f'intaked exited {p.returncode}:\n{p.stderr[-3000:]}')
    return took, p.stderr


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
    n = int(os.environ.get('N', '10000'))
    base = int(os.environ.get('BENCH_PORT_BASE', '37000'))
    w = tempfile.mkdtemp(prefix='pb.', dir='/tmp')
    os.chmod(w, 0o755)
    try:
        with Testbed(port_base=base) as bed:
            src = os.path.join(w, 'src')
            subprocess.run([sys.executable, os.path.join(HERE, 'make_mailbox.py'), src, str(n),
                            '2'], check=True)
            subprocess.run(['chown', '-R', 'mail:mail', src], check=True)
            doveadm = ['doveadm', '-c', os.path.join(bed.run_dir, 'dovecot', 'dovecot.conf')]
            subprocess.run(doveadm + ['import', '-u', USER, f'maildir:{src}', '', 'all'],
                           check=True)
            with CapProxy(bed, hide=(), keywordless=True) as proxy:
                spool = os.path.join(w, 'spool')
                path = os.path.join(w, 'intaked.conf')
                conf(path, w, f'imaps://127.0.0.1:{proxy.port}/INBOX', bed.ca_path, spool, bed)
                first, log = run(build, path)
                filed = log.count('event=filed ')
                assert filed == n, (filed, log[-2000:])
                mark = min(run(build, path)[0] for _ in range(3))
                full = []
                for _ in range(3):
                    os.unlink(os.path.join(spool, 'state', 'highwater'))
                    took, log = run(build, path)
                    assert f'count={n}' in log and 'event=filed ' not in log, log[-2000:]
                    full.append(took)
        print(f'| pass over a keyword-less INBOX of {n} filed messages | wall s |')
        print('|---|---|')
        print(f'| first sync ({n} filed) | {first:.2f} |')
        print(f'| nothing new, high-water mark (UID SEARCH UID mark+1:*) | {mark:.2f} |')
        print(f'| nothing new, no mark (all {n} UIDs searched, diffed against the ledger) '
              f'| {min(full):.2f} |')
    finally:
        shutil.rmtree(w, ignore_errors=True)


if __name__ == '__main__':
    main()
