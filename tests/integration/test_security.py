"""Security (issue 8.5), against the real bed: TLS that must be refused
before any credential leaves, loose secret files, path traversal and
symlinks planted in the spool, header injection into acknowledgements,
hostile documents (XXE, billion laughs, zip bomb), and a sender flooding
the intake mailbox. INTAKED_LONG=1: the flood is 1000 messages."""
import email
import email.policy
import glob
import io
import os
import re
import zipfile

from brokenimap import FakeSmtp
from harness import IMRF
from mail import message, multipart, utc
from reliability import LONG, ack_counts, run_once, sha, wait_acks_settled

W_NS = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
FRANCE = 'France ONU <france@diplomatie.gouv.fr>'
IMRF_TO = 'intake+imrf@example.org'


def dovecot_logins(h, user='intake@example.org'):
    log = h.bed.log('dovecot')
    return len(re.findall(r'Login: user=<%s>' % re.escape(user), log)), \
        h.bed.plaintext_login_attempts(), log.count(f'user=<{user}>')


def test_tls_refused_without_sending_credentials(h):
    bed = h.bed
    cases = [
        ('unknown CA', f'imaps://127.0.0.2:{bed.imaps_port}/INBOX'),
        ('wrong host name', f'imaps://127.0.0.3:{bed.imaps_port}/INBOX'),
        ('expired', f'imaps://127.0.0.4:{bed.imaps_port}/INBOX'),
        ('no STARTTLS offered', f'imap://127.0.0.1:{bed.imap_notls_port}/INBOX'),
    ]
    for what, url in cases:
        h.config(mailbox={'url': url})
        before = dovecot_logins(h)
        p = h.once(expect=75)
        assert 'event=imap-failed' in p.stderr, (what, p.stderr[-1500:])
        assert dovecot_logins(h) == before, (what, 'the server saw a login attempt')
        assert 'secret-intake' not in p.stderr + p.stdout
    # SMTP: listeners presenting the bed's bad certificates (implicit TLS),
    # and a plain one that offers AUTH without STARTTLS. The acknowledgement
    # stays queued; no line, let alone AUTH, reaches them over bad TLS.
    h.append('intake@example.org', message(FRANCE, IMRF_TO, 'Input', 'Words.\n',
                                           utc(2022, 3, 20), '<tls1@x>'), utc(2022, 3, 20))
    port = bed.port_base + 801
    for k, (cert, url) in enumerate((('other-server', f'smtps://127.0.0.1:{port}'),
                      ('wrong-name', f'smtps://127.0.0.1:{port}'),
                      ('expired', f'smtps://127.0.0.1:{port}'),
                      (None, f'smtp://127.0.0.1:{port}'))):
        h.config(smtp={'url': url})  # the first run files, every run tries to send
        with FakeSmtp(bed, port, cert) as srv:
            # each try after the previous one's backoff (at most an hour)
            p = run_once(h, args=('--now', h.iso_now(hours=2 * (k + 1))))
        assert p.returncode == 75, (cert, p.returncode, p.stderr[-1500:])
        assert 'event=smtp-failed' in p.stderr, (cert, p.stderr[-1500:])
        if cert:
            assert srv.received == [], (cert, srv.received)
        assert not [ln for ln in srv.received if ln.upper().startswith('AUTH')], srv.received
        assert 'secret-intake' not in p.stderr
        print(f'  smtp {cert or "no STARTTLS"}: exit 75, handshakes={srv.handshakes} '
              f'client sent {srv.received}')
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'queued', md['ack']


def conf_line(h, needle):
    with open(h.conf) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return n
    raise AssertionError(needle)


def test_loose_secret_files_refused(h):
    for mode in (0o640, 0o604, 0o644, 0o660):
        loose = h.secret('loose.secret', 'secret-intake', mode=mode)
        for section in ('mailbox', 'smtp'):
            h.config(**{section: {'password_file': loose}})
            line = conf_line(h, loose)
            for args in (('--once',), ('--check-config',)):
                p = h.intaked(*args, expect=78)
                assert f'{h.conf}:{line}' in p.stderr, (oct(mode), section, p.stderr)
                assert 'loose.secret' in p.stderr, p.stderr
                assert 'secret-intake' not in p.stderr


def traversal_names():
    return ['../../x', '..', '/etc/passwd-intaked', '..\\..\\win.ini', '.hidden',
            'a/../../b.txt', '\u202etxt.exe', 'con.txt', '-rf', 'x' * 300 + '.txt']


def test_attachment_names_cannot_leave_files(h):
    h.config()
    atts = [(n, 'text/plain', f'document {i} words here\n'.encode())
            for i, n in enumerate(traversal_names())]
    raw = multipart(FRANCE, IMRF_TO, 'Input', 'See attached.', utc(2022, 3, 20), '<tr1@x>', atts)
    # RFC 2231 with an encoded "../": sanitized like any other name.
    raw = raw.replace('filename="../../x"', "filename*=utf-8''..%2F..%2Fy%2Fz.txt")
    h.append('intake@example.org', raw, utc(2022, 3, 20))
    before = set(os.listdir(h.dir)) | {'spool'}
    h.once()
    [(rel, md)] = h.submissions()
    files = sorted(os.listdir(os.path.join(h.spool, rel, 'files')))
    assert len(files) == len(atts), files
    for f in files:
        assert '/' not in f and not f.startswith('.') and not f.startswith('-'), f
        assert len(f.encode()) <= 255
    for doc in md['documents']:
        assert re.fullmatch(r'files/[^/]+', doc['file']), doc['file']
        assert os.path.realpath(os.path.join(h.spool, rel, doc['file'])).startswith(
            os.path.join(os.path.realpath(h.spool), rel, 'files') + '/')
    assert set(os.listdir(h.dir)) <= before, set(os.listdir(h.dir)) - before
    assert not os.path.exists('/etc/passwd-intaked')
    assert sorted(os.listdir(os.path.join(h.spool, rel))) == [
        'body.txt', 'files', 'message.eml', 'metadata.json', 'text.txt']
    assert os.listdir(os.path.join(h.spool, 'calls', 'imrf-2022')) == ['france'] or \
        sorted(os.listdir(os.path.join(h.spool, 'calls', 'imrf-2022'))) == ['france', 'index.json']


def test_symlinks_planted_in_the_spool(h):
    h.config()
    elsewhere = os.path.join(h.dir, 'elsewhere')
    os.makedirs(elsewhere)
    canary = os.path.join(elsewhere, 'canary')
    with open(canary, 'w') as f:
        f.write('keep me\n')
    # A first run makes the layout; then plant the links.
    h.once()
    call = os.path.join(h.spool, 'calls', 'imrf-2022')
    os.makedirs(call, exist_ok=True)
    os.symlink(elsewhere, os.path.join(call, 'france'))            # a submitter slug
    os.symlink(elsewhere, os.path.join(h.spool, 'tmp', 'stale'))   # a staging leftover
    os.makedirs(os.path.join(h.spool, 'tmp', 'stale2'))
    os.symlink(elsewhere, os.path.join(h.spool, 'tmp', 'stale2', 'files'))
    raw = h.append('intake@example.org',
                   multipart(FRANCE, IMRF_TO, 'Input', 'See attached.', utc(2022, 3, 20),
                             '<sym1@x>', [('input.txt', 'text/plain', b'four words in here\n')]),
                   utc(2022, 3, 20))
    p = run_once(h)
    assert p.returncode in (0, 75), (p.returncode, p.stderr[-2000:])
    print('  planted links:', p.returncode, [ln[:200] for ln in p.stderr.splitlines()
                                          if 'warn' in ln or 'err' in ln])
    assert sorted(os.listdir(elsewhere)) == ['canary'], os.listdir(elsewhere)
    with open(canary) as f:
        assert f.read() == 'keep me\n'
    # Not filed through the link: either refused (left unmarked on the
    # server for a retry) or filed somewhere real.
    server = h.bed.messages('intake@example.org')
    marked = [m for m in server if '$Filed' in m.flags]
    on_disk = [md for _, md in h.entries_all() if md['raw_sha256'] == sha(raw)]
    assert len(marked) == len(on_disk) <= 1, (len(marked), len(on_disk))
    for rel, md in h.entries_all():
        real = os.path.realpath(os.path.join(h.spool, rel))
        assert real.startswith(os.path.realpath(h.spool) + '/'), real
    # A message that could not be filed is not acknowledged either (F1),
    # however often it is retried.
    if not on_disk:
        run_once(h)
        queued = glob.glob(os.path.join(h.spool, 'outbox', '*', '*', 'envelope.json'))
        assert queued == [], queued
        assert h.inbox('france@diplomatie.gouv.fr') == []
    # A symlinked area is a configuration error, never followed.
    os.rename(os.path.join(h.spool, 'tmp'), os.path.join(h.dir, 'oldtmp'))
    os.symlink(elsewhere, os.path.join(h.spool, 'tmp'))
    p = run_once(h)
    assert p.returncode in (75, 78), (p.returncode, p.stderr[-1500:])
    assert 'symlink' in p.stderr, p.stderr[-1500:]
    print('  symlinked tmp/:', p.returncode, p.stderr.strip().splitlines()[-1][:200])
    assert sorted(os.listdir(elsewhere)) == ['canary'], os.listdir(elsewhere)


def test_spool_parts_symlinked_while_stopped(h):
    """The spool is the only path-maker (issue 15): a symlink planted in
    place of a part of an area (outbox/queue) or of an area (state) is
    refused with a clear error by the daemon, and nothing is written
    through it, however the module that keeps files there gets to them."""
    h.config()
    elsewhere = os.path.join(h.dir, 'elsewhere')
    os.makedirs(os.path.join(elsewhere, 'queue'))
    h.once()  # the layout
    queue = os.path.join(h.spool, 'outbox', 'queue')
    os.rename(queue, os.path.join(h.dir, 'oldqueue'))
    os.symlink(os.path.join(elsewhere, 'queue'), queue)
    h.append('intake@example.org',
             multipart(FRANCE, IMRF_TO, 'Input', 'See attached.', utc(2022, 3, 20),
                       '<symq@x>', [('input.txt', 'text/plain', b'four words in here\n')]),
             utc(2022, 3, 20))
    p = run_once(h)
    print('  symlinked outbox/queue:', p.returncode,
          [ln[:200] for ln in p.stderr.splitlines() if 'symlink' in ln][:2])
    assert os.listdir(os.path.join(elsewhere, 'queue')) == [], \
        os.listdir(os.path.join(elsewhere, 'queue'))
    assert 'symlinks inside the spool are not followed' in p.stderr, p.stderr[-2000:]
    assert h.inbox('france@diplomatie.gouv.fr') == []
    # The area itself: refused at start, nothing written outside.
    os.remove(queue)
    os.rename(os.path.join(h.dir, 'oldqueue'), queue)
    os.rename(os.path.join(h.spool, 'state'), os.path.join(h.dir, 'oldstate'))
    os.symlink(elsewhere, os.path.join(h.spool, 'state'))
    p = run_once(h)
    print('  symlinked state/:', p.returncode, p.stderr.strip().splitlines()[-1][:200])
    assert p.returncode in (75, 78), (p.returncode, p.stderr[-1500:])
    assert 'symlink' in p.stderr, p.stderr[-1500:]
    assert sorted(os.listdir(elsewhere)) == ['queue'], os.listdir(elsewhere)
    assert os.listdir(os.path.join(elsewhere, 'queue')) == []


def test_header_injection_into_acknowledgements(h):
    h.config()
    subject = ('=?utf-8?q?Input=0D=0ABcc=3A_coord=40example.org=0D=0AX-Injected=3A_yes?= '
               '=?utf-8?b?' + 'DQpUbzogb3BzQGV4YW1wbGUub3Jn' + '?=')  # "\r\nTo: ops@example.org"
    frm = '"=?utf-8?q?Mission=0D=0AX-Evil=3A_1?=" <france@diplomatie.gouv.fr>'
    raw = message(frm, IMRF_TO, subject, 'Our input.\n', utc(2022, 3, 20), '<inj1@x>')
    h.append('intake@example.org', raw, utc(2022, 3, 20))
    h.once()
    [(rel, md)] = h.submissions()
    assert '\r' not in md['subject'] and '\n' not in md['subject'], md['subject']
    [ack] = h.mails('france@diplomatie.gouv.fr', 1)
    head = ack.split(b'\r\n\r\n', 1)[0]
    names = [ln.split(b':', 1)[0].lower() for ln in head.split(b'\r\n')
             if ln and not ln[:1].isspace()]
    for bad in (b'bcc', b'x-injected', b'x-evil'):
        assert bad not in names, (bad, head.decode(errors='replace'))
    assert names.count(b'to') == 1, head
    m = email.message_from_bytes(ack, policy=email.policy.default)
    assert m['In-Reply-To'] == '<inj1@x>'
    # Nobody else got anything.
    assert h.bed.count('coord@example.org') == 0 and h.bed.count('ops@example.org') == 0


def docx(document_xml):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml',
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr('word/document.xml', document_xml)
    return b.getvalue()


def zip_bomb_docx(megabytes=200):
    """word/document.xml of `megabytes` MiB that deflates to a few hundred KiB."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', '<Types/>')
        with z.open('word/document.xml', 'w', force_zip64=True) as f:
            f.write(f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>'.encode())
            chunk = b' ' * (1 << 20)
            for _ in range(megabytes):
                f.write(chunk)
            f.write(b'</w:t></w:r></w:p></w:body></w:document>')
    return b.getvalue()


def test_hostile_documents_are_filed_with_an_error(h):
    h.config()
    lol = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' +
           ''.join('<!ENTITY lol%d "%s">' % (i, ('&lol%d;' % (i - 1) if i > 1 else '&lol;') * 10)
                   for i in range(1, 10)) +
           f']>\n<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>'
           '</w:body></w:document>')
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM '
           '"file:///etc/passwd">]>\n'
           f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p>'
           '</w:body></w:document>')
    atts = [('laughs.docx', DOCX, docx(lol)), ('xxe.docx', DOCX, docx(xxe)),
            ('bomb.docx', DOCX, zip_bomb_docx())]
    raw = multipart(FRANCE, IMRF_TO, 'Input', 'Attached.', utc(2022, 3, 20), '<hostile@x>', atts)
    h.append('intake@example.org', raw, utc(2022, 3, 20))
    p = h.once()
    [(rel, md)] = h.submissions()
    docs = {d['name']: d for d in md['documents']}
    assert set(docs) == {'laughs.docx', 'xxe.docx', 'bomb.docx'}, docs
    for name, d in docs.items():
        assert d['error'], (name, d)
        assert os.path.getsize(os.path.join(h.spool, rel, d['file'])) == d['size']
    body = h.read(rel, 'body.txt', 'r') if os.path.exists(
        os.path.join(h.spool, rel, 'body.txt')) else ''
    assert 'root:' not in body and 'lollollol' not in body
    for path in glob.glob(os.path.join(h.spool, rel, '**'), recursive=True):
        if os.path.isfile(path) and not path.endswith(('.docx', 'message.eml')):
            with open(path, errors='replace') as f:
                assert 'root:x:0:0' not in f.read(), path
    assert 'root:x:0:0' not in p.stderr
    # The acknowledgement names the unreadable documents.
    [ack] = h.mails('france@diplomatie.gouv.fr', 1)
    text = email.message_from_bytes(ack, policy=email.policy.default) \
        .get_body(('plain',)).get_content()
    for name in docs:
        assert name in text, (name, text[:1500])


def test_flooding_sender_gets_few_acknowledgements(h):
    n = 1000 if LONG else 100
    limit = 5
    h.config(calls=[dict(IMRF, ack_per_sender_per_day=str(limit))])
    for i in range(n):
        h.append('intake@example.org',
                 message('Flood <stranger@gmail.test>', IMRF_TO, f'Input {i}', f'Flood {i}.\n',
                         utc(2022, 3, 20, 10), f'<flood{i}@gmail.test>'), utc(2022, 3, 20, 10))
    h.once()
    subs = h.submissions()
    assert len(subs) == n
    states = [md['ack']['state'] for _, md in subs]
    assert states.count('sent') == limit, states.count('sent')
    assert states.count('suppressed') == n - limit
    acked = [md['message_id'] for _, md in subs if md['ack']['state'] == 'sent']
    c = wait_acks_settled(h, acked)
    assert sum(c.values()) == limit, c
    h.once()   # and not more on a second run
    assert sum(ack_counts(h).values()) == limit
