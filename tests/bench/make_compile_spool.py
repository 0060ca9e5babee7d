#!/usr/bin/env python3
"""A spool for the compile benchmark (tests/bench/compile_bench.sh): one
call with N members (default 200), each with one accepted, verified, on-time
input: even members a .docx, odd ones a .pdf, both of PAGES pages (default
5, ~450 words a page, the text of make_bench_docs.py), plus intaked.conf
and the roster naming them.

usage: make_compile_spool.py DIR [N [PAGES]]"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
import make_bench_docs  # noqa: E402
import make_docs  # noqa: E402
from make_spool import CALL, metadata, write_config  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'


def documents(pages):
    paras, words = make_bench_docs.paragraphs(pages)
    return {'docx': make_bench_docs.make_docx(paras),
            'pdf': make_docs.make_pdf(paras, True, lines_per_page=48, width=80)}, words


def main():
    if len(sys.argv) not in (2, 3, 4):
        sys.exit(__doc__)
    top = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    pages = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    docs, words = documents(pages)
    rng = random.Random(20261207)
    spool = os.path.join(top, 'spool')
    start = datetime(2022, 3, 1, tzinfo=timezone.utc)
    roster = ['name,addresses']
    for s in range(n):
        slug = f'mission-{s:04d}'
        d = os.path.join(spool, 'calls', CALL, slug, 'v1')
        os.makedirs(os.path.join(d, 'files'), exist_ok=True)
        typ = 'docx' if s % 2 == 0 else 'pdf'
        name = f'Input of mission {s}.{typ}'
        with open(os.path.join(d, 'files', name), 'wb') as f:
            f.write(docs[typ])
        md = metadata(rng, CALL, slug, s, 1, start + timedelta(minutes=s))
        md.update(status='accepted', timeliness='on_time', word_count=words, over_limit=False)
        md['submitter'].update(verified=True, matched_by='roster')
        md['documents'] = [{'name': name, 'file': f'files/{name}',
                            'content_type': DOCX if typ == 'docx' else 'application/pdf',
                            'type': typ, 'size': len(docs[typ]), 'sha256': None,
                            'words': words, 'error': None}]
        md['language'] = 'en'
        with open(os.path.join(d, 'metadata.json'), 'w', encoding='utf-8') as f:
            json.dump(md, f, indent=2, ensure_ascii=False)
            f.write('\n')
        roster.append(f'Mission {s},desk{s}@mission{s}.example')
    write_config(top, spool, roster)

if __name__ == '__main__':
    main()
