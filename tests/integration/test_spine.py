"""The spine (issue 2): messages appended to the intake mailbox over IMAP,
filed by `intaked --once`, acknowledged through Postfix into each mission's
own mailbox; a second run files and sends nothing new."""
import email
import email.header
import email.policy
import os

from mail import count_body, count_words, message, multipart, sha256, utc

INPUT_EN = ('Bangladesh reaffirms its commitment to the Global Compact and '
            'welcomes the progress made since 2018 in safe, orderly and regular migration.')
SIGNATURE = '\n-- \nPermanent Mission of Bangladesh to the United Nations\n820 2nd Avenue, New York'
QUOTED = '\n\nOn 1 March 2022, the co-facilitators wrote:\n> Member States are invited to submit written inputs\n> no later than 6PM EDT on 29 March 2022.'
FRENCH = ('La France salue les travaux des cofacilitateurs et souhaite que la déclaration '
          'reflète l\'engagement des États membres en faveur d\'une migration sûre.')
LATIN1 = ('México agradece la oportunidad de presentar su contribución escrita '
          'sobre la aplicación del Pacto Mundial.')
LONG = ' '.join(['The delegation considers that migration governance requires cooperation.'] * 10)
TXT_DOC = ('Written input of the People\'s Republic of Bangladesh.\n\n'
           '1. Bangladesh supports a strong, action-oriented Progress Declaration.\n'
           '2. Remittances, decent work and climate-induced displacement deserve attention.\n')


def q_latin1(s):
    return email.header.Header(s, 'iso-8859-1').encode()


def q_utf8(s):
    return email.header.Header(s, 'utf-8').encode()


def build_messages():
    """(key, user appended as, raw, internaldate, expectations)."""
    imrf, gcm = 'intake+imrf@example.org', 'intake+gcm@example.org'
    m = []

    def add(key, raw, date, **want):
        m.append((key, raw, date, want))

    add('bd1', message('"Mission of Bangladesh" <bangladesh@mofa.gov.bd>', imrf,
                       'Bangladesh written input - IMRF Progress Declaration',
                       INPUT_EN + QUOTED + SIGNATURE + '\n', utc(2022, 3, 20, 14), '<bd1@mofa.gov.bd>'),
        utc(2022, 3, 20, 14, 0, 5), call='imrf-2022', slug='bangladesh', version=1,
        timeliness='on_time', status='accepted', words=count_body(INPUT_EN + QUOTED + SIGNATURE),
        matched_by='domain', verified=True, name='Bangladesh', counted='body')
    add('mx1', message('Misión Permanente de México <mexico@sre.gob.mx>', imrf,
                       'Mexico input', 'Mexico supports the draft declaration.\n',
                       utc(2022, 3, 29, 21, 59), '<mx1@sre.gob.mx>'),
        utc(2022, 3, 29, 22, 0, 0), call='imrf-2022', slug='mexico', version=1,
        timeliness='on_time', status='accepted', words=5, matched_by='domain')
    add('bd2', multipart('"Mission of Bangladesh" <bangladesh@mofa.gov.bd>', imrf,
                         'Revised input of Bangladesh (please disregard the earlier one)',
                         'Please find attached our revised input.\n\nBest regards,\nDesk Officer',
                         utc(2022, 3, 28, 9), '<bd2@mofa.gov.bd>',
                         [('Bangladesh input.txt', 'text/plain', TXT_DOC.encode())]),
        utc(2022, 3, 28, 9, 0, 3), call='imrf-2022', slug='bangladesh', version=2,
        supersedes='v1', timeliness='on_time', words=count_words(TXT_DOC), counted='documents')
    add('fr1', message('France ONU <france@diplomatie.gouv.fr>', imrf,
                       q_utf8('Contribution écrite de la France – IMRF'), FRENCH + '\n',
                       utc(2022, 3, 29, 22, 9), '<fr1@diplomatie.gouv.fr>'),
        utc(2022, 3, 29, 22, 10), call='imrf-2022', slug='france', timeliness='within_grace',
        status='accepted', words=count_words(FRENCH), matched_by='address',
        subject='Contribution écrite de la France – IMRF')
    add('fr2', message('France ONU <france@diplomatie.gouv.fr>', imrf,
                       'Re: Contribution de la France', 'Version corrigée ci-dessous.\n' + FRENCH + '\n',
                       utc(2022, 3, 29, 22, 15), '<fr2@diplomatie.gouv.fr>'),
        utc(2022, 3, 29, 22, 15, 0), call='imrf-2022', slug='france', version=2,
        supersedes='v1', timeliness='within_grace', status='accepted')
    add('mx2', message('=?iso-8859-1?q?Misi=F3n_de_M=E9xico?= <mexico@sre.gob.mx>', imrf,
                       q_latin1('Contribución de México'), LATIN1 + '\n',
                       utc(2022, 3, 29, 23, 29), '<mx2@sre.gob.mx>',
                       content_type='text/plain; charset="iso-8859-1"')
        .replace('\n', '\r\n').encode('iso-8859-1'),
        utc(2022, 3, 29, 23, 30), call='imrf-2022', slug='mexico', version=2, supersedes='v1',
        timeliness='late', status='late', words=count_words(LATIN1),
        subject='Contribución de México', latin1=True)
    add('st1', message('A. Stranger <stranger@gmail.test>', imrf, 'Input from an observer',
                       LONG + '\n', utc(2022, 3, 25, 10), '<st1@gmail.test>'),
        utc(2022, 3, 25, 10), call='imrf-2022', slug='unknown-', verified=False,
        matched_by='none', words=count_words(LONG), over_limit=True, name=None)
    add('cn1', message('China Mission <china@mfa.gov.cn>', 'intake@example.org',
                       '[IMRF] Input of China', 'China looks forward to the review forum.\n',
                       utc(2022, 2, 20, 8), '<cn1@mfa.gov.cn>'),
        utc(2022, 2, 20, 8), call='imrf-2022', slug='china', version=1, timeliness='early',
        status='accepted', route='subject', words=7)
    add('cn2', message('China Mission <china@mfa.gov.cn>', imrf, 'Updated input of China',
                       '<html><head><style>p{color:red}</style></head><body><p>China updates '
                       'its input.</p><p>Thank&nbsp;you.</p></body></html>\n',
                       utc(2022, 3, 21, 8), '<cn2@mfa.gov.cn>',
                       content_type='text/html; charset="utf-8"'),
        utc(2022, 3, 21, 8), call='imrf-2022', slug='china', version=2, supersedes='v1',
        timeliness='on_time', words=6)
    add('cn3', message('China Mission <china@mfa.gov.cn>', gcm, 'Contribution de la Chine',
                       'La Chine soutient le Pacte.\n', utc(2022, 11, 7, 10, 29), '<cn3@mfa.gov.cn>'),
        utc(2022, 11, 7, 10, 30), call='gcm-2022', slug='china', version=1,
        timeliness='on_time', status='accepted', words=5, lang='fr')
    add('fr3', message('France ONU <france@diplomatie.gouv.fr>', gcm, 'Contribution tardive',
                       'Nous vous prions d\'excuser ce retard.\n', utc(2022, 11, 7, 11, 4),
                       '<fr3@diplomatie.gouv.fr>'),
        utc(2022, 11, 7, 11, 5), call='gcm-2022', slug='france', timeliness='late',
        status='rejected', lang='fr')
    add('bd3', message('"Mission of Bangladesh" <bangladesh@mofa.gov.bd>', 'intake@example.org',
                       '[GCM] Bangladesh contribution', 'Bangladesh contributes.\n',
                       utc(2022, 11, 1, 9), '<bd3@mofa.gov.bd>'),
        utc(2022, 11, 1, 9), call='gcm-2022', slug='bangladesh', version=1, route='subject')
    add('mx3', message('Misión de México <mexico@sre.gob.mx>', 'someone@un.org',
                       'Aporte de México', 'México aporta.\n', utc(2022, 11, 2, 9), '<mx3@sre.gob.mx>',
                       cc=gcm),
        utc(2022, 11, 2, 9), call='gcm-2022', slug='mexico', route='cc')
    add('cn4', message('China Mission <china@mfa.gov.cn>', imrf, 'China, second GCM note',
                       'Second note.\n', utc(2022, 11, 3, 9), '<cn4@mfa.gov.cn>',
                       headers=['Delivered-To: intake+gcm@example.org']),
        utc(2022, 11, 3, 9), call='gcm-2022', slug='china', version=2, supersedes='v1',
        route='delivered-to')
    add('ooo', message('France ONU <france@diplomatie.gouv.fr>', imrf, 'Absence du bureau',
                       'Je suis absent jusqu\'au 4 avril.\n', utc(2022, 3, 22), '<ooo@diplomatie.gouv.fr>',
                       headers=['Auto-Submitted: auto-replied']),
        utc(2022, 3, 22), area='ignored', kind='auto-reply', routed='imrf-2022')
    add('dsn', message('Mail Delivery System <MAILER-DAEMON@mx.example.net>', 'intake@example.org',
                       'Undelivered Mail Returned to Sender', 'This is the mail system.\n',
                       utc(2022, 3, 22, 1), '<dsn@mx.example.net>',
                       headers=['Return-Path: <>']),
        utc(2022, 3, 22, 1), area='ignored', kind='bounce')
    add('lst', message('Migration News <news@lists.example.net>', imrf, 'Weekly migration digest',
                       'This week in migration.\n', utc(2022, 3, 23), '<lst@lists.example.net>',
                       headers=['List-Id: Migration News <news.lists.example.net>',
                                'Precedence: list']),
        utc(2022, 3, 23), area='ignored', kind='list', routed='imrf-2022')
    add('unm', message('A. Stranger <stranger@gmail.test>', 'intake@example.org',
                       'Question about the modalities', 'When is the deadline?\n',
                       utc(2022, 3, 24), '<unm@gmail.test>'),
        utc(2022, 3, 24), area='unmatched', kind='unmatched')
    add('spoof', message('Bangladesh <evil@spoof.test>', imrf, 'Bangladesh final input',
                         'Fake.\n', utc(2022, 3, 26), '<spoof@gmail.test>'),
        utc(2022, 3, 26), call='imrf-2022', slug='unknown-', verified=False, name=None)
    return m


def expected_acks(msgs):
    """Recipient -> number of acknowledgements (catch-all for addresses the
    bed has no mailbox for)."""
    counts = {}
    for key, raw, date, want in msgs:
        if want.get('area'):
            continue
        if isinstance(raw, str):
            raw = raw.encode('utf-8')
        frm = email.message_from_bytes(raw, policy=email.policy.default)['From'].addresses[0]
        addr = frm.addr_spec.lower()
        if addr == 'evil@spoof.test':
            addr = 'catchall@example.org'
        counts[addr] = counts.get(addr, 0) + 1
    return counts


def check_submission(h, key, rel, md, raw, date, want):
    assert md['kind'] == 'submission', (key, md['kind'])
    assert md['call'] == want['call'], (key, md['call'])
    assert md['id'] and md['raw_sha256'] == sha256(raw), key
    assert md['raw_size'] == len(raw), key
    assert h.read(rel, 'message.eml') == raw, f'{key}: message.eml is not byte-exact'
    assert md['received_at'] == date.strftime('%Y-%m-%dT%H:%M:%SZ'), (key, md['received_at'])
    assert md['message_id'] == f'<{key}@' + md['message_id'].split('@')[1], (key, md['message_id'])
    assert md['date_header'], key
    slug = md['submitter']['slug']
    if want['slug'] == 'unknown-':
        assert slug.startswith('unknown-') and len(slug) > 8, (key, slug)
    else:
        assert slug == want['slug'], (key, slug)
    assert rel.startswith(f"calls/{want['call']}/{slug}/v"), (key, rel)
    for k in ('version', 'supersedes', 'timeliness', 'status', 'over_limit', 'counted'):
        if k in want:
            assert md[k] == want[k], (key, k, md[k], want[k])
    if 'words' in want:
        assert md['word_count'] == want['words'], (key, md['word_count'], want['words'])
    if 'matched_by' in want:
        assert md['submitter']['matched_by'] == want['matched_by'], (key, md['submitter'])
    if 'verified' in want:
        assert md['submitter']['verified'] is want['verified'], (key, md['submitter'])
    if 'name' in want:
        assert md['submitter']['name'] == want['name'], (key, md['submitter'])
    if 'subject' in want:
        assert md['subject'] == want['subject'], (key, md['subject'])
    if 'route' in want:
        assert md['route']['matched_by'] == want['route'], (key, md['route'])
    deadline = {'imrf-2022': '2022-03-29T22:00:00Z', 'gcm-2022': '2022-11-07T11:00:00Z'}
    assert md['deadline'] == deadline[want['call']], (key, md['deadline'])
    assert md['word_limit'] == (60 if want['call'] == 'imrf-2022' else None), (key, md['word_limit'])
    assert md['over_limit'] == (md['word_limit'] is not None and md['word_count'] > 60), key
    assert md['imap']['mailbox'] == 'INBOX' and md['imap']['uid'] > 0, key
    assert md['imap']['uidvalidity'] > 0, key
    assert md['ack']['state'] == 'sent', (key, md['ack'])
    assert md['ack']['message_id'].startswith('<'), (key, md['ack'])
    assert md['from'] == md['from'].lower() and '@' in md['from'], key
    if md['counted'] == 'documents':
        doc = md['documents'][0]
        assert doc['name'] == 'Bangladesh input.txt', doc
        assert doc['file'] == 'files/Bangladesh_input.txt', doc
        assert doc['words'] == want['words'] and doc['error'] is None, doc
        assert doc['sha256'] == sha256(TXT_DOC.encode()) and doc['size'] == len(TXT_DOC), doc
        assert h.read(rel, doc['file']) == TXT_DOC.encode(), key
    body = h.read(rel, 'body.txt', 'r')
    assert body.strip(), f'{key}: empty body.txt'


def test_spine_files_and_acknowledges(h):
    h.config()
    msgs = build_messages()
    raws = {}
    for key, raw, date, want in msgs:
        raws[key] = h.append('intake@example.org', raw, date)
    # The very same message a second time (a copy, a re-append): filed once.
    h.append('intake@example.org', raws['bd1'], utc(2022, 3, 20, 14, 0, 5))

    h.once()

    entries = h.entries_all()
    by_msgid = {}
    for rel, md in entries:
        by_msgid.setdefault(md['message_id'], []).append((rel, md))
    assert len(entries) == len(msgs), (len(entries), sorted(r for r, _ in entries))
    for key, raw, date, want in msgs:
        found = [e for mid, es in by_msgid.items() if mid and mid.startswith(f'<{key}@') for e in es]
        assert len(found) == 1, (key, found)
        rel, md = found[0]
        if want.get('area'):
            assert rel.startswith(want['area'] + '/'), (key, rel)
            assert md['kind'] == want['kind'], (key, md['kind'])
            # Ignored mail names the call it was addressed to (its digest counts it).
            assert md.get('call') == want.get('routed'), (key, md.get('call'))
            assert md['ack']['state'] == 'suppressed', (key, md['ack'])
            assert h.read(rel, 'message.eml') == raws[key], key
            continue
        check_submission(h, key, rel, md, raws[key], date, want)

    # v2 links to v1; v1, filed before, is not rewritten.
    v1 = h.entries('calls/imrf-2022/bangladesh/v1')[0][1]
    v2 = h.entries('calls/imrf-2022/bangladesh/v2')[0][1]
    assert v2['supersedes'] == 'v1' and 'superseded_by' not in v1, (v1, v2)
    index = h.read('calls/imrf-2022', 'index.json', 'r')
    assert '"bangladesh"' in index and 'v2' in index

    # Every acknowledgement arrives in the mission's own mailbox.
    want_acks = expected_acks(msgs)
    for user, n in want_acks.items():
        got = h.mails(user, n)
        assert len(got) == n, (user, len(got), n)
        for raw in got:
            ack = email.message_from_bytes(raw, policy=email.policy.default)
            assert ack['Auto-Submitted'] == 'auto-replied', ack['Auto-Submitted']
            assert ack['In-Reply-To'] and ack['Message-ID'], user
            assert 'intake@example.org' in ack['From'], ack['From']
            text = ack.get_body(('plain',)).get_content()
            assert 'Progress Declaration, IMRF 2022' in text or \
                'Pacte mondial' in text, text[:400]
    # Nothing goes to auto-replies, bounces, lists or unmatched senders.
    assert h.inbox('catchall@example.org') and len(h.inbox('catchall@example.org')) == 1
    for user in ('coord@example.org', 'ops@example.org'):
        assert h.inbox(user) == [], user

    # The late one says so, in the deadline's zone.
    mx = [email.message_from_bytes(r, policy=email.policy.default)
          for r in h.inbox('mexico@sre.gob.mx')]
    late = [a for a in mx if a['In-Reply-To'] == '<mx2@sre.gob.mx>']
    assert len(late) == 1
    text = late[0].get_body(('plain',)).get_content()
    assert '2022-03-29 19:30' in text, text  # 23:30Z in New York (EDT)

    # A second run files nothing and sends nothing.
    before = sorted(r for r, _ in h.entries_all())
    h.once()
    assert sorted(r for r, _ in h.entries_all()) == before
    for user, n in want_acks.items():
        assert len(h.inbox(user)) == n, user
