#!/usr/bin/env python3
"""Write N submission-like messages into a Maildir (new/), for `doveadm
import` into the bench's intake mailbox.

usage: make_mailbox.py MAILDIR N [SIZE_KB]

Each message comes from one of 200 senders (missions not in the bench's
roster, so each gets an unknown-* slug), is addressed to the bench call,
and carries a text body of roughly SIZE_KB kilobytes (default 20) drawn
with a fixed seed, so a run is reproducible. File mtimes (the INTERNALDATE
Dovecot keeps on import) are spread over March 2022."""
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

WORDS = ('migration governance cooperation member states compact review declaration '
         'progress remittances decent work climate displacement regular orderly safe '
         'capacity data evidence partnership implementation national regional global '
         'commitment welcomes reaffirms supports recommends urges notes recalls').split()


def body(rng, size):
    out, n = [], 0
    while n < size:
        line = ' '.join(rng.choice(WORDS) for _ in range(12)) + '.'
        out.append(line)
        n += len(line) + 2
    return '\r\n'.join(out) + '\r\n'


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    maildir, n = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) * 1024 if len(sys.argv) == 4 else 20 * 1024
    rng = random.Random(20220329)
    for sub in ('new', 'cur', 'tmp'):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    for i in range(n):
        sender = rng.randrange(200)
        when = start + timedelta(seconds=i * 240 + rng.randrange(60))
        head = [f'From: Mission {sender} <desk{sender}@mission{sender}.example>',
                'To: intake+bench@example.org',
                f'Subject: Written input {i} of mission {sender}',
                f'Date: {format_datetime(when)}',
                f'Message-ID: <bench.{i}.{sender}@mission{sender}.example>',
                'MIME-Version: 1.0',
                'Content-Type: text/plain; charset="utf-8"',
                'Content-Transfer-Encoding: 8bit']
        raw = ('\r\n'.join(head) + '\r\n\r\n' + body(rng, size)).encode()
        path = os.path.join(maildir, 'new', f'{1646092800 + i}.M{i}P1.bench')
        with open(path, 'wb') as f:
            f.write(raw)
        t = when.timestamp()
        os.utime(path, (t, t))


if __name__ == '__main__':
    main()
