#!/usr/bin/env python3
"""Write a spool holding one call with SUBMITTERS x VERSIONS filed
submissions (SPEC §6 layout: calls/CALL/SLUG/vN/metadata.json with every
key metadata.c writes), and an intaked.conf for it, so that one
`intakectl -c CONF reindex` rebuilds a big calls/CALL/index.json.

usage: make_spool.py DIR [SUBMITTERS [VERSIONS]]   (default 200 x 50)

DIR/spool is the spool, DIR/intaked.conf the configuration (its mailbox
and SMTP servers are never contacted by reindex). Statuses, timeliness,
word counts and verification vary with a fixed seed, so a run is
reproducible."""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

CALL = 'bench'


def iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def metadata(rng, call, slug, s, v, when):
    status = rng.choice(('accepted', 'accepted', 'accepted', 'late', 'rejected'))
    words = rng.randrange(200, 3000)
    eid = when.strftime('%Y%m%dT%H%M%SZ-') + f'{rng.getrandbits(48):012x}'
    sha = f'{rng.getrandbits(256):064x}'
    return {
        'id': eid, 'kind': 'submission', 'reason': None, 'call': call,
        'call_title': 'Benchmark call', 'status': status,
        'submitter': {'name': f'Mission {s}', 'slug': slug,
                      'matched_by': 'roster' if s % 7 else 'unknown',
                      'verified': s % 5 != 0},
        'from': f'desk{s}@mission{s}.example', 'from_name': f'Mission {s} desk',
        'reply_to': None, 'subject': f'Written input {v} of mission {s}',
        'message_id': f'<bench.{s}.{v}@mission{s}.example>',
        'in_reply_to': None, 'references': None,
        'received_at': iso(when), 'date_header': when.strftime('%a, %d %b %Y %H:%M:%S +0000'),
        'deadline': '2030-12-31T23:00:00Z', 'zone': 'America/New_York',
        'extended': False, 'timeliness': 'late' if status == 'late' else 'on_time',
        'word_count': words, 'word_limit': 2500, 'over_limit': words > 2500,
        'counted': 'documents',
        'documents': [{'name': f'input-{s}-{v}.docx', 'file': f'input-{s}-{v}.docx',
                       'content_type': 'application/vnd.openxmlformats-officedocument.'
                                       'wordprocessingml.document',
                       'type': 'docx', 'size': rng.randrange(10000, 900000),
                       'sha256': f'{rng.getrandbits(256):064x}', 'words': words,
                       'error': None}],
        'version': v, 'supersedes': f'v{v - 1}' if v > 1 else None,
        'raw_sha256': sha, 'raw_size': rng.randrange(20000, 2000000),
        'imap': {'mailbox': 'INBOX', 'uidvalidity': 1646092800, 'uid': s * 1000 + v},
        'ack': {'state': 'sent', 'to': f'desk{s}@mission{s}.example',
                'message_id': f'<ack.{eid}@example.org>', 'suppressed': None,
                'outbox_id': eid, 'sent_at': iso(when + timedelta(seconds=5))},
        'route': {'matched_by': 'to', 'also': []},
        'auth': {'raw': f'mx.example.org; spf=pass smtp.mailfrom=mission{s}.example; '
                        'dkim=pass header.d=mission{s}.example',
                 'spf': 'pass', 'dkim': 'pass', 'dmarc': None},
        'filed_at': iso(when + timedelta(seconds=1)),
    }


def write_config(top, spool, roster_lines=('name,addresses',)):
    """TOP/intaked.conf (servers that are never reached), TOP/pw and
    TOP/roster.csv for intakectl on SPOOL."""
    pw = os.path.join(top, 'pw')
    with open(pw, 'w') as f:
        f.write('unused\n')
    os.chmod(pw, 0o600)
    with open(os.path.join(top, 'roster.csv'), 'w') as f:
        f.write('\n'.join(roster_lines) + '\n')
    with open(os.path.join(top, 'intaked.conf'), 'w') as f:
        f.write(f"""[mailbox]
url = imaps://127.0.0.1:1/INBOX
user = bench@example.org
password_file = {pw}

[smtp]
url = smtp://127.0.0.1:1
from = Written Inputs <bench@example.org>
operators = ops@example.org

[spool]
dir = {spool}

[call {CALL}]
title = Benchmark call
match_to = intake+bench@example.org
deadline = 2030-12-31 18:00 America/New_York
roster = {os.path.join(top, 'roster.csv')}
""")


def main():
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    top = os.path.abspath(sys.argv[1])
    nsub = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    nver = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    rng = random.Random(20221123)
    spool = os.path.join(top, 'spool')
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    for s in range(nsub):
        slug = f'mission-{s:04d}'
        for v in range(1, nver + 1):
            d = os.path.join(spool, 'calls', CALL, slug, f'v{v}')
            os.makedirs(os.path.join(d, 'files'), exist_ok=True)
            when = start + timedelta(seconds=(v * nsub + s) * 60)
            with open(os.path.join(d, 'metadata.json'), 'w', encoding='utf-8') as f:
                json.dump(metadata(rng, CALL, slug, s, v, when), f, indent=2,
                          ensure_ascii=False)
                f.write('\n')
    write_config(top, spool)

if __name__ == '__main__':
    main()
