#!/usr/bin/env python3
"""Write N submission-like messages into a Maildir (new/), for `doveadm
import` into the bench's intake mailbox.

usage: make_mailbox.py MAILDIR N [SIZE_KB] [--senders K] [--docs]

Each message comes from one of K senders (default 200; missions not in the
bench's roster, so each gets an unknown-* slug), is addressed to the bench
call, and carries a text body of roughly SIZE_KB kilobytes (default 20)
drawn with a fixed seed, so a run is reproducible. File mtimes (the
INTERNALDATE Dovecot keeps on import) are spread over March 2022.

--docs: a mailbox as missions fill it: every other message carries a
written input as a .docx or a .pdf of 2 to 20 pages (~450 words a page,
tests/bench/make_bench_docs.py), with a short covering note (SIZE_KB then
applies to the messages without a document)."""
import base64
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

WORDS = ('migration governance cooperation member states compact review declaration '
         'progress remittances decent work climate displacement regular orderly safe '
         'capacity data evidence partnership implementation national regional global '
         'commitment welcomes reaffirms supports recommends urges notes recalls').split()
DOC_TYPES = {'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
             'pdf': 'application/pdf'}


def body(rng, size):
    out, n = [], 0
    while n < size:
        line = ' '.join(rng.choice(WORDS) for _ in range(12)) + '.'
        out.append(line)
        n += len(line) + 2
    return '\r\n'.join(out) + '\r\n'


def document_pool():
    """Each of 2..20 pages as .docx and .pdf: 38 documents, made once."""
    import make_bench_docs
    import make_docs
    pool = []
    for pages in range(2, 21):
        paras, _ = make_bench_docs.paragraphs(pages)
        pool.append(('docx', pages, make_bench_docs.make_docx(paras)))
        pool.append(('pdf', pages, make_docs.make_pdf(paras, True, compress=True)))
    return pool


def with_document(head, note, doc):
    kind, pages, data = doc
    b64 = base64.encodebytes(data).decode().replace('\n', '\r\n')
    return (head + ['Content-Type: multipart/mixed; boundary="b1"', '', '--b1',
                    'Content-Type: text/plain; charset="utf-8"', '', note.rstrip('\r\n'),
                    '--b1', f'Content-Type: {DOC_TYPES[kind]}; name="input-{pages}p.{kind}"',
                    'Content-Transfer-Encoding: base64',
                    f'Content-Disposition: attachment; filename="input-{pages}p.{kind}"', '',
                    b64.rstrip('\r\n'), '--b1--', ''])


def message(rng, i, sender, when, size, doc):
    head = [f'From: Mission {sender} <desk{sender}@mission{sender}.example>',
            'To: intake+bench@example.org',
            f'Subject: Written input {i} of mission {sender}',
            f'Date: {format_datetime(when)}',
            f'Message-ID: <bench.{i}.{sender}@mission{sender}.example>',
            'MIME-Version: 1.0']
    if doc is not None:
        return '\r\n'.join(with_document(head, body(rng, 300), doc)).encode()
    head += ['Content-Type: text/plain; charset="utf-8"', 'Content-Transfer-Encoding: 8bit']
    return ('\r\n'.join(head) + '\r\n\r\n' + body(rng, size)).encode()


def main():
    args = sys.argv[1:]
    docs = '--docs' in args
    if docs:
        args.remove('--docs')
    senders = 200
    if '--senders' in args:
        k = args.index('--senders')
        senders = int(args[k + 1])
        del args[k:k + 2]
    if len(args) not in (2, 3):
        sys.exit(__doc__)
    maildir, n = args[0], int(args[1])
    size = int(args[2]) * 1024 if len(args) == 3 else 20 * 1024
    rng = random.Random(20220329)
    pool = document_pool() if docs else None
    for sub in ('new', 'cur', 'tmp'):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    for i in range(n):
        sender = rng.randrange(senders)
        when = start + timedelta(seconds=i * 240 + rng.randrange(60))
        doc = rng.choice(pool) if pool and i % 2 == 0 else None
        path = os.path.join(maildir, 'new', f'{1646092800 + i}.M{i}P1.bench')
        with open(path, 'wb') as f:
            f.write(message(rng, i, sender, when, size, doc))
        t = when.timestamp()
        os.utime(path, (t, t))


if __name__ == '__main__':
    main()
