#!/usr/bin/env python3
"""Generate the fuzzers' seed corpora (nothing is kept in the repository).

    make_seeds.py OUTDIR      -> OUTDIR/{mime,extract,config,roster,wordcount,sanitize}/

mime: messages built like the integration tests build them (mail.py),
with the document fixtures of tests/fixtures/make_docs.py attached, plus
the peer corpus (../shared/corpus/peer or $INTAKED_PEER_CORPUS) when it is
there, read at run time. The others: configs, rosters, texts and file
names written here, hostile cases included."""
import base64
import os
import sys
import tempfile
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'fixtures'))

from mail import message, multipart  # noqa: E402
import make_docs  # noqa: E402

MAX_SEED = 200_000
DATE = datetime(2022, 3, 20, 14, tzinfo=timezone.utc)
IMRF = 'intake+imrf@example.org'


def crlf(s):
    return s.replace('\r\n', '\n').replace('\n', '\r\n').encode('utf-8')


def put(outdir, kind, name, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    if len(data) > MAX_SEED:
        return
    d = os.path.join(outdir, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


CTYPES = {'docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
          'odt': 'application/vnd.oasis.opendocument.text', 'pdf': 'application/pdf',
          'rtf': 'application/rtf', 'html': 'text/html', 'txt': 'text/plain'}


def mime_seeds(outdir):
    n = 0

    def add(raw):
        nonlocal n
        n += 1
        put(outdir, 'mime', 'gen%03d.eml' % n, raw if isinstance(raw, bytes) else crlf(raw))

    frm = '"Mission of Bangladesh" <bangladesh@mofa.gov.bd>'
    add(message(frm, IMRF, 'Bangladesh written input - IMRF',
                'Bangladesh reaffirms its commitment.\n> quoted\n-- \nsig\n', DATE, '<s1@x>'))
    add(message('=?iso-8859-1?q?Misi=F3n_de_M=E9xico?= <mexico@sre.gob.mx>', IMRF,
                '=?utf-8?b?Q29udHJpYnV0aW9uIMOpY3JpdGU=?=', 'México agradece.\n', DATE, '<s2@x>',
                content_type='text/plain; charset="iso-8859-1"'))
    add(message('x@y', IMRF, 'html', '<html><body><p>Hello <b>world</b></p></body></html>\n',
                DATE, '<s3@x>', content_type='text/html; charset=utf-8'))
    add(message('MAILER-DAEMON@example.org', 'intake@example.org', 'Undelivered Mail', 'bounce\n',
                DATE, '<s4@x>', headers=['Auto-Submitted: auto-replied',
                                         'Content-Type: multipart/report; report-type=delivery-status']))
    add(message('list@lists.example', IMRF, 'digest', 'list\n', DATE, '<s5@x>',
                headers=['List-Id: <l.example>', 'Precedence: bulk']))
    add(message('a@b', IMRF, 'loop', 'ours\n', DATE, '<s6@x>', headers=['X-Intaked-Loop: yes']))
    add(message('a@b', IMRF, 'Subject with =?utf-8?q?CR=0D=0ABcc=3A_x=40y?=', 'x\n', DATE, '<s7@x>'))
    add('no header at all, just text\n')
    add('From: a@b\nContent-Type: multipart/mixed; boundary=x\n\n--x\n--x--\n')
    with tempfile.TemporaryDirectory() as tmp:
        make_docs.documents(tmp)
        for fname in sorted(os.listdir(tmp)):
            if fname.endswith('.tsv'):
                continue
            with open(os.path.join(tmp, fname), 'rb') as f:
                data = f.read()
            ext = fname.rsplit('.', 1)[-1]
            add(multipart(frm, IMRF, 'Input ' + fname, 'Please find attached.', DATE,
                          '<d-%s@x>' % fname, [(fname, CTYPES.get(ext, 'application/octet-stream'), data)]))
    W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
    xxe = make_docs.docx_bytes(
        '<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<w:document xmlns:w="%s"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>' % W)
    add(multipart(frm, IMRF, 'xxe', 'x', DATE, '<xxe@x>', [('a.docx', CTYPES['docx'], xxe)]))
    add(multipart(frm, IMRF, 'traversal', 'x', DATE, '<tr@x>',
                  [('../../etc/passwd', 'text/plain', b'root\n'),
                   ('..', 'text/plain', b'dots\n'), ('.hidden', 'text/plain', b'h\n'),
                   ('a\u202eexe.txt', 'text/plain', b'bidi\n')]))
    # message/rfc822 forwarded input, nested
    inner = crlf(message(frm, IMRF, 'inner', 'inner body words here\n', DATE, '<in@x>')).decode()
    add('From: fwd@x\nTo: %s\nSubject: Fwd\nMIME-Version: 1.0\n'
        'Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nsee below\n'
        '--o\nContent-Type: message/rfc822\n\n%s\n--o--\n' % (IMRF, inner))
    # base64 body, quoted-printable body
    add('From: a@b\nTo: %s\nSubject: b64\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
        'Content-Transfer-Encoding: base64\n\n%s\n' % (IMRF, base64.encodebytes('词语 words 単語'.encode()).decode()))
    add('From: a@b\nTo: %s\nSubject: qp\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
        'Content-Transfer-Encoding: quoted-printable\n\nCaf=C3=A9 soft=\nbreak\n' % IMRF)
    peer = os.environ.get('INTAKED_PEER_CORPUS') or os.path.normpath(
        os.path.join(ROOT, '..', 'shared', 'corpus', 'peer'))
    if not os.path.isdir(peer):
        peer = '/work/shared/corpus/peer'
    copied = 0
    if os.path.isdir(peer):
        for dirpath, _, files in sorted(os.walk(peer)):
            for fname in sorted(files):
                if fname.startswith('LICENSE') or fname.endswith('.md'):
                    continue
                with open(os.path.join(dirpath, fname), 'rb') as f:
                    data = f.read()
                rel = os.path.relpath(os.path.join(dirpath, fname), peer).replace('/', '__')
                put(outdir, 'mime', 'peer__' + rel, data)
                copied += 1
    return n, copied


CONFIG = '''[mailbox]
url = imaps://127.0.0.1:993/INBOX
user = intake@example.org
password_file = imap.secret
poll_interval = 60s
after_filing = {after}
idle = yes

[smtp]
url = smtp://127.0.0.1:587
user = intake@example.org
password_file = smtp.secret
from = GCM Written Inputs <intake@example.org>
operators = ops@example.org

[spool]
dir = /tmp/fuzz-spool-never-created

[call imrf-2022]
title = Progress Declaration, IMRF 2022
match_to = intake+imrf@example.org
match_subject = [IMRF]
opens = 2022-03-01 00:00 America/New_York
deadline = 2022-03-29 18:00 America/New_York
grace = 15m
word_limit = 5000
late = flag
extend = Bangladesh 2022-03-31 18:00
ack_per_sender_per_day = 5
roster = roster.csv
coordinators = expert1@example.org, expert2@example.org
reminders = 7d, 1d, 3h
digest_at = 08:00
language = {lang}
{extra}'''


EXTRACT_TYPES = ['docx', 'odt', 'rtf', 'html', 'txt', 'md']  # fuzz_extract.c's order


def extract_seeds(outdir):
    """Each fixture document prefixed with the byte that selects its reader."""
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        make_docs.documents(tmp)
        make_docs.hostile(tmp)
        for fname in sorted(os.listdir(tmp)):
            ext = fname.rsplit('.', 1)[-1]
            if ext not in EXTRACT_TYPES:
                continue
            with open(os.path.join(tmp, fname), 'rb') as f:
                data = f.read()
            put(outdir, 'extract', fname, bytes([EXTRACT_TYPES.index(ext)]) + data)
            n += 1
    return n


def config_seeds(outdir):
    variants = [
        dict(after='flag', lang='en', extra=''),
        dict(after='move:Filed', lang='fr', extra='ack_template = ack.txt\n'),
        dict(after='flag', lang='es', extra='late = reject\nrequire_auth = dmarc\n'),
        dict(after='flag', lang='en', extra='\n[limits]\nmax_message_size = 10M\nextract_timeout = 30s\n'),
        dict(after='flag', lang='en', extra='\n[call gcm]\nmatch_to = a@b\ndeadline = 2022-11-07 12:00 Europe/Paris\n'),
    ]
    for i, v in enumerate(variants):
        put(outdir, 'config', 'conf%d.ini' % i, CONFIG.format(**v))
    put(outdir, 'config', 'badsecret.ini', CONFIG.format(after='flag', lang='en', extra='')
        .replace('password_file = imap.secret', 'password_file = open.secret'))
    put(outdir, 'config', 'syntax.ini', '[mailbox\nurl = \n=\n[call ]\n')
    put(outdir, 'config', 'dst.ini', CONFIG.format(after='flag', lang='en', extra='')
        .replace('2022-03-29 18:00', '2022-03-13 02:30'))
    put(outdir, 'config', 'empty.ini', '')


def roster_seeds(outdir):
    rows = {
        'basic.csv': 'name,addresses\nBangladesh,"@mofa.gov.bd;bangladesh@un.int"\n'
                     'France,france@diplomatie.gouv.fr\nMexico,@sre.gob.mx\n',
        'quotes.csv': 'name,addresses\n"Côte d\'Ivoire","civ@un.int; @diplomatie.gouv.ci"\n'
                      '"Korea, Republic of",korea@un.int\n"Say ""hi""",a@b.c\n',
        'crlf.csv': 'name,addresses\r\nTürkiye,turkiye@un.int\r\n中国,china@mfa.gov.cn\r\n',
        'bom.csv': '\ufeffname,addresses\nÅland,@aland.ax\n',
        'bad.csv': 'name\nX,"unterminated\n',
        'dup.csv': 'name,addresses\nA,a@x.org\nA,b@x.org\nB,A@X.ORG\n',
        'slugs.csv': 'name,addresses\n..,dots@x.org\n---,dash@x.org\n/etc/passwd,p@x.org\n',
    }
    for name, text in rows.items():
        put(outdir, 'roster', name, text)


def wordcount_seeds(outdir):
    for lang in make_docs.LANGS:
        put(outdir, 'wordcount', lang + '.txt', '\n\n'.join(p for p, _ in make_docs.TEXTS[lang]))
    put(outdir, 'wordcount', 'body.txt', 'Words here.\n> quoted line\n>> more\n-- \nsignature\n')
    put(outdir, 'wordcount', 'mixed.txt', 'abc漢字def ひらがな カタカナ 123 — … \u200b\u3000x')
    put(outdir, 'wordcount', 'invalid.bin', b'\xff\xfe a \xc3 b \xe2\x80 c \xf0\x9f\x98\x80 d')


def sanitize_seeds(outdir):
    names = ['Bangladesh input.docx', '../../etc/passwd', '..\\..\\boot.ini', '.htaccess',
             '-rf', 'a\u202etxt.exe', 'CON', 'x' * 300 + '.docx', 'é' * 120 + '.pdf',
             'name.', ' ', 'a\tb\nc.txt', '文件名称.docx', '<>:"|?*.txt', '\u2066x\u2069.doc']
    for i, n in enumerate(names):
        put(outdir, 'sanitize', 'n%02d' % i, n)
    put(outdir, 'sanitize', 'invalid', b'a\xff\xc0\xafb.txt')


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    out = sys.argv[1]
    gen, peer = mime_seeds(out)
    config_seeds(out)
    extract_seeds(out)
    roster_seeds(out)
    wordcount_seeds(out)
    sanitize_seeds(out)
    print('seeds: mime %d generated + %d peer, extract/config/roster/wordcount/sanitize in %s'
          % (gen, peer, out))
    return 0


if __name__ == '__main__':
    sys.exit(main())
