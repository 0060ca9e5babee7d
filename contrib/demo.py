#!/usr/bin/env python3
"""The intaked demo: real servers on loopback, real mail, one run.

Starts the test bed (Dovecot + Postfix, throwaway CA) in a temporary
directory, appends the sample inputs in contrib/demo/ with their server
receipt times, runs `intaked --once`, prints the spool and the
acknowledgement that reached the Bangladesh mission, and stops the servers."""
import email
import email.policy
import json
import os
import subprocess
import sys
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))

from harness import GCM, IMRF, Harness  # noqa: E402
from testbed import Testbed  # noqa: E402


def samples():
    with open(os.path.join(HERE, 'demo', 'dates.txt')) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                name, when = line.split()
                with open(os.path.join(HERE, 'demo', name), 'rb') as m:
                    raw = m.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
                yield name, raw, datetime.fromisoformat(when.replace('Z', '+00:00'))


def show_spool(spool):
    print('\n== What was filed (spool: %s)' % spool)
    for root, dirs, files in sorted(os.walk(spool)):
        dirs.sort()
        if 'metadata.json' not in files:
            continue
        with open(os.path.join(root, 'metadata.json')) as f:
            md = json.load(f)
        rel = os.path.relpath(root, spool)
        if md['kind'] == 'submission':
            print(f"  {rel}\n      {md['submitter']['name'] or md['from']}: "
                  f"{md['timeliness']}, {md['status']}, {md['word_count']} words, "
                  f"ack {md['ack']['state']}")
        else:
            print(f"  {rel}\n      {md['kind']}: {md.get('reason') or ''}")


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else 'build')
    port_base = int(os.environ.get('TESTBED_PORT_BASE', '25000'))
    with Testbed(port_base=port_base) as bed:
        h = Harness(bed, build, keep=True)
        h.config(calls=(dict(IMRF, word_limit='5000'), GCM))
        print(f'== Servers up (Dovecot IMAPS 127.0.0.1:{bed.imaps_port}, Postfix '
              f'submission 127.0.0.1:{bed.submission_port}); config {h.conf}')
        for name, raw, when in samples():
            bed.append('intake@example.org', raw, when)
            print(f'  appended {name} (received {when:%Y-%m-%d %H:%M}Z)')
        print('\n== intaked --once')
        p = subprocess.run([os.path.join(build, 'intaked'), '-c', h.conf, '--once'],
                           capture_output=True, text=True)
        sys.stdout.write(p.stderr)
        show_spool(h.spool)
        acks = bed.wait_for_messages('bangladesh@mofa.gov.bd', 1, timeout=30)
        print('\n== The acknowledgement in the Bangladesh mission\'s mailbox')
        msg = email.message_from_bytes(acks[0], policy=email.policy.default)
        for k in ('From', 'To', 'Subject', 'Auto-Submitted', 'In-Reply-To'):
            print(f'{k}: {msg[k]}')
        print()
        print(msg.get_body(('plain',)).get_content())
        print(f'(spool and config kept in {h.dir})')
        return p.returncode


if __name__ == '__main__':
    sys.exit(main())
