"""Documents (issue 3): inputs in the six UN languages as .docx, .odt, .pdf,
.rtf, .html and .txt (UTF-8 and legacy charsets), generated from known
texts by tests/fixtures/make_docs.py, sent through the real MTA to the
intake mailbox; exact counts; two documents summed; hostile attachments
filed with an error on that document and nothing written outside files/."""
import base64
import email
import email.policy
import os
import subprocess
import sys
import tempfile
from email.utils import formatdate

from harness import IMRF

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')
sys.path.insert(0, FIXTURES)
import make_docs  # noqa: E402

INTAKE = 'intake@example.org'
TO = 'intake+docs@example.org'
DOCS_CALL = dict(IMRF, name='docs-2030', title='Written inputs 2030',
                 match_to=TO, match_subject='[DOCS]', opens='2020-01-01 00:00 UTC',
                 deadline='2030-12-31 18:00 America/New_York', word_limit='1000',
                 ack_per_sender_per_day='1000', ack_unknown_per_hour='100000')
CTYPES = {'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
          'odt': 'application/vnd.oasis.opendocument.text', 'pdf': 'application/pdf',
          'rtf': 'application/rtf', 'html': 'text/html', 'txt': 'text/plain'}


def manifest(outdir):
    subprocess.run([sys.executable, os.path.join(FIXTURES, 'make_docs.py'), outdir],
                   check=True, capture_output=True)
    rows = []
    with open(os.path.join(outdir, 'manifest.tsv'), encoding='utf-8') as f:
        for line in f:
            file, charset, typ, profile, words, error, contains, absent = \
                line.rstrip('\n').split('\t')
            if profile != 'default':
                continue
            rows.append(dict(file=file, charset=None if charset == '-' else charset, type=typ,
                             words=int(words), error=None if error == '-' else error.split('|'),
                             absent=None if absent == '-' else absent))
    return rows


def with_attachments(msgid, subject, parts, frm='France ONU <france@diplomatie.gouv.fr>'):
    """parts: (filename, content_type, charset or None, bytes)."""
    b = 'docb-' + msgid.strip('<>').replace('@', '.')
    out = [f'From: {frm}', f'To: {TO}', f'Subject: {subject}', f'Date: {formatdate()}',
           f'Message-ID: {msgid}', 'MIME-Version: 1.0',
           f'Content-Type: multipart/mixed; boundary="{b}"', '',
           f'--{b}', 'Content-Type: text/plain; charset=utf-8', '',
           'Please find our input attached.', '']
    for name, ctype, charset, data in parts:
        ct = f'{ctype}; charset="{charset}"' if charset else ctype
        out += [f'--{b}', f'Content-Type: {ct}; name="{name}"',
                f'Content-Disposition: attachment; filename="{name}"',
                'Content-Transfer-Encoding: base64', '',
                base64.encodebytes(data).decode('ascii')]
    out.append(f'--{b}--')
    return ('\r\n'.join(out) + '\r\n').encode('utf-8')


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def by_message_id(h):
    return {md['message_id']: (rel, md) for rel, md in h.entries_all()}


def test_six_languages_every_format_and_hostile_files(h):
    h.config(calls=(DOCS_CALL,))
    outdir = tempfile.mkdtemp(prefix='docs.', dir=h.dir)
    rows = manifest(outdir)
    sent = []
    for i, row in enumerate(rows):
        msgid = f'<doc{i}@diplomatie.gouv.fr>'
        raw = with_attachments(msgid, f'Input {row["file"]}',
                               [(row['file'], CTYPES[row['type']], row['charset'],
                                 read(os.path.join(outdir, row['file'])))])
        h.bed.inject(raw, [TO], mail_from='france@diplomatie.gouv.fr')
        sent.append((msgid, row))
    # Two documents in one mail: their counts are summed.
    two = with_attachments('<two@diplomatie.gouv.fr>', 'Two documents', [
        ('en.docx', CTYPES['docx'], None, read(os.path.join(outdir, 'en.docx'))),
        ('zh.pdf', CTYPES['pdf'], None, read(os.path.join(outdir, 'zh.pdf')))])
    h.bed.inject(two, [TO], mail_from='france@diplomatie.gouv.fr')
    # A name that tries to climb out of files/, and an unreadable document
    # next to a readable one.
    climb = with_attachments('<climb@diplomatie.gouv.fr>', 'Names', [
        ('../../../../tmp/intaked-escape.txt', 'text/plain', 'utf-8', b'Escape attempt here.'),
        ('encrypted.pdf', CTYPES['pdf'], None, read(os.path.join(outdir, 'encrypted.pdf')))],
        frm='Mexico <mexico@sre.gob.mx>')
    h.bed.inject(climb, [TO], mail_from='mexico@sre.gob.mx')
    total = len(sent) + 2
    assert len(h.mails(INTAKE, total, timeout=60)) == total

    h.once()

    got = by_message_id(h)
    problems = []
    for msgid, row in sent:
        rel, md = got[msgid]
        assert md['kind'] == 'submission', (row['file'], md['kind'])
        [doc] = md['documents']
        if row['error']:
            if doc['error'] not in row['error']:
                problems.append(f"{row['file']}: error {doc['error']!r}, want {row['error']}")
        elif doc['error'] is not None or doc['words'] != row['words']:
            problems.append(f"{row['file']}: words {doc['words']} error {doc['error']}, "
                            f"want {row['words']}")
        elif md['word_count'] != row['words'] or md['counted'] != 'documents':
            problems.append(f"{row['file']}: message counts {md['word_count']}/{md['counted']}")
        if row['absent'] and row['absent'] != 'Hiddenword':
            body = h.read(rel, 'body.txt', 'r')
            assert row['absent'] not in body
        if doc['file']:
            assert doc['file'].startswith('files/') and '/' not in doc['file'][6:], doc
            assert os.path.isfile(os.path.join(h.spool, rel, doc['file'])), doc
    assert not problems, '\n'.join(problems)

    rel, md = got['<two@diplomatie.gouv.fr>']
    assert [d['words'] for d in md['documents']] == [make_docs.words('en') * 2,
                                                      make_docs.words('zh')], md['documents']
    assert md['word_count'] == make_docs.words('en') * 2 + make_docs.words('zh')

    rel, md = got['<climb@diplomatie.gouv.fr>']
    names = [d['file'] for d in md['documents']]
    assert names[0] == 'files/intaked-escape.txt', names
    assert not os.path.exists('/tmp/intaked-escape.txt')
    assert md['documents'][1]['error'] == 'encrypted', md['documents']
    assert md['word_count'] == 3, md['word_count']
    # The acknowledgement names the document it could not read.
    [ack] = h.mails('mexico@sre.gob.mx', 1)
    text = email.message_from_bytes(ack, policy=email.policy.default) \
        .get_body(('plain',)).get_content()
    assert 'encrypted.pdf' in text and 'could not be read' in text, text
