"""The language of each input (issue 16 item 3): a French document and a
Chinese body, sent through the real MTA, are filed with "language" fr / zh
in metadata.json, and intakectl show and list --json say so."""
import json
import os
import subprocess
import sys
import tempfile

from test_documents import CTYPES, DOCS_CALL, INTAKE, TO, by_message_id, manifest, read, \
    with_attachments

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
import make_docs  # noqa: E402


def ctl(h, *args):
    p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf, *args],
                       capture_output=True, text=True, timeout=120)
    h.logs.append(('intakectl ' + ' '.join(args), p.stdout, p.stderr))
    assert p.returncode == 0, (args, p.stdout[-2000:], p.stderr[-2000:])
    return p.stdout


def chinese_body(msgid):
    text = ' '.join(make_docs.TEXTS['zh'][i][0] for i in range(2))
    return '\r\n'.join([
        'From: China <china@mfa.gov.cn>', f'To: {TO}', 'Subject: [DOCS] 意见',
        'Date: Tue, 29 Mar 2022 10:00:00 +0000', f'Message-ID: {msgid}',
        'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit', '', text, '']).encode('utf-8')


def test_language_of_document_and_body(h):
    h.config(calls=(DOCS_CALL,))
    outdir = tempfile.mkdtemp(prefix='lang.', dir=h.dir)
    manifest(outdir)
    # The body is English ("Please find our input attached."): the
    # document is what is counted, so its language is the input's.
    fr = with_attachments('<fr@diplomatie.gouv.fr>', '[DOCS] Contribution',
                          [('fr.docx', CTYPES['docx'], None, read(os.path.join(outdir, 'fr.docx')))])
    h.bed.inject(fr, [TO], mail_from='france@diplomatie.gouv.fr')
    h.bed.inject(chinese_body('<zh@mfa.gov.cn>'), [TO], mail_from='china@mfa.gov.cn')
    assert len(h.mails(INTAKE, 2, timeout=60)) == 2
    h.once()

    got = by_message_id(h)
    _, md_fr = got['<fr@diplomatie.gouv.fr>']
    _, md_zh = got['<zh@mfa.gov.cn>']
    assert md_fr['counted'] == 'documents' and md_fr['language'] == 'fr', md_fr
    assert md_zh['counted'] == 'body' and md_zh['language'] == 'zh', md_zh
    for md in (md_fr, md_zh):
        assert 0.0 < md['language_confidence'] <= 1.0, md

    rows = {r['id']: r for r in json.loads(ctl(h, 'list', DOCS_CALL['name'], '--json'))}
    assert rows[md_fr['id']]['language'] == 'fr', rows
    assert rows[md_zh['id']]['language'] == 'zh', rows

    out = ctl(h, 'show', md_fr['id'])
    assert 'French (fr)' in out, out
    out = ctl(h, 'show', md_zh['id'])
    assert 'Chinese (zh)' in out, out
    table = ctl(h, 'list', DOCS_CALL['name'])
    assert table.splitlines()[0].split()[-1] == 'LANG', table

    # The publication page: a Language column, and the field in its data.
    top = os.path.join(h.dir, 'lang-site')
    ctl(h, 'publish', DOCS_CALL['name'], top, '--include-unverified')
    out = os.path.join(top, DOCS_CALL['name'])  # each call in its own folder
    with open(os.path.join(out, 'index.html'), encoding='utf-8') as f:
        page = f.read()
    assert 'data-label="Language">French</td>' in page, page[-3000:]
    assert 'data-label="Language">Chinese</td>' in page, page[-3000:]
    with open(os.path.join(out, 'submissions.json'), encoding='utf-8') as f:
        data = json.load(f)
    assert sorted(s['language'] for s in data['submissions']) == ['fr', 'zh'], data
