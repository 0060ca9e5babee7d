"""Trust (issue 14): senders as missions' real mail systems write them and
as hostile senders would. From headers with unquoted specials, international
domains, no-reply document systems, Reply-To reflection, +tag flooding, the
word rule's whitespace, and configuration that would merge or expose calls."""
import email
import email.policy
import os

from harness import GCM, IMRF, ROSTER
from mail import message, multipart, utc
from reliability import wait_until

INTAKE = 'intake@example.org'
IMRF_TO = 'intake+imrf@example.org'
EMPTY_SLUG = 'unknown-e3b0c44298'   # sha256 of the empty string


def acks_in(h, user):
    return [email.message_from_bytes(r, policy=email.policy.default) for r in h.inbox(user)
            if b'Auto-Submitted' in r]


def settle_count(h, user, want, timeout=40):
    """Wait until user holds `want` messages and nothing more arrives."""
    last = [None, 0.0]
    import time

    def settled():
        n = h.bed.count(user)
        if n < want:
            return None
        if n != last[0]:
            last[0], last[1] = n, time.monotonic()
            return None
        return n if time.monotonic() - last[1] >= 2 else None
    return wait_until(settled, timeout, f'{want} messages for {user}', step=0.5)


def test_display_names_with_specials_are_distinct_senders(h):
    h.config()
    froms = ['Mission of X [Geneva] <geneva@mission-x.test>',
             'Smith, John <john.smith@mission-y.test>',
             'Dept; Foreign Affairs <dfa@mission-z.test>']
    for i, frm in enumerate(froms):
        h.append(INTAKE, message(frm, IMRF_TO, f'Input {i}', f'Our input {i}.\n',
                                 utc(2022, 3, 10 + i), f'<sp{i}@x.test>'), utc(2022, 3, 10 + i))
    # A roster member whose mail system writes the same kind of name.
    h.append(INTAKE, message('Desk, Bangladesh [Dhaka] <bangladesh@mofa.gov.bd>', IMRF_TO,
                             'Bangladesh input', 'Bangladesh.\n', utc(2022, 3, 14), '<bd-sp@x>'),
             utc(2022, 3, 14))
    # No address at all, and a mailbox without a domain only.
    h.append(INTAKE, message('Mission of Nowhere', IMRF_TO, 'No address', 'Text.\n',
                             utc(2022, 3, 15), '<noaddr@x>'), utc(2022, 3, 15))
    h.append(INTAKE, message('desk', IMRF_TO, 'Local only', 'Text.\n',
                             utc(2022, 3, 16), '<local@x>'), utc(2022, 3, 16))
    h.once()
    subs = h.submissions()
    by_from = {md['from']: (rel, md) for rel, md in subs}
    for addr in ('geneva@mission-x.test', 'john.smith@mission-y.test', 'dfa@mission-z.test'):
        rel, md = by_from[addr]
        assert rel.endswith('/v1') and md['supersedes'] is None, (addr, rel, md['supersedes'])
    slugs = [rel.split('/')[2] for rel, _ in subs]
    assert len(set(slugs)) == len(slugs) == 4, slugs
    assert not any(EMPTY_SLUG in s for s in slugs), slugs
    assert all(md['from'] for _, md in subs), [md['from'] for _, md in subs]
    bd = by_from['bangladesh@mofa.gov.bd'][1]
    assert bd['submitter']['name'] == 'Bangladesh', bd['submitter']
    bad = [md for _, md in h.entries_all() if md['kind'] == 'malformed']
    assert len(bad) == 2, [(md['kind'], md.get('reason')) for _, md in h.entries_all()]
    for md in bad:
        assert 'From' in md['reason'] and not md.get('from'), md
    # Every sender with an address got its own acknowledgement.
    assert len(h.mails('bangladesh@mofa.gov.bd', 1)) == 1
    assert settle_count(h, 'catchall@example.org', 3) == 3
    tos = sorted(m['To'].addresses[0].addr_spec for m in acks_in(h, 'catchall@example.org'))
    assert tos == ['dfa@mission-z.test', 'geneva@mission-x.test',
                   'john.smith@mission-y.test'], tos


IDN_ROSTER = ROSTER + 'Deutschland,@xn--brgeramt-65a.test\n\u00d6sterreich,@\u00f6sterreich.test\n'


def test_international_domains_match_either_form(h):
    h.config(roster=IDN_ROSTER)
    h.append(INTAKE, message('B\u00fcrgeramt <desk@b\u00fcrgeramt.test>', IMRF_TO,
                             'Input of Germany', 'Germany.\n', utc(2022, 3, 10), '<de@x>'),
             utc(2022, 3, 10))
    h.append(INTAKE, message('Austria <desk@xn--sterreich-z7a.test>', IMRF_TO,
                             'Input of Austria', 'Austria.\n', utc(2022, 3, 11), '<at@x>'),
             utc(2022, 3, 11))
    h.append(INTAKE, message('Stranger <x@xn--mnchen-3ya.test>', IMRF_TO,
                             'Input', 'Munich.\n', utc(2022, 3, 12), '<mu@x>'),
             utc(2022, 3, 12))
    h.once()
    subs = {md['message_id']: (rel, md) for rel, md in h.submissions()}
    de, at, mu = subs['<de@x>'][1], subs['<at@x>'][1], subs['<mu@x>'][1]
    assert de['submitter']['name'] == 'Deutschland', de['submitter']
    assert at['submitter']['name'] == '\u00d6sterreich', at['submitter']
    assert de['from'] == 'desk@xn--brgeramt-65a.test', de['from']
    assert at['from'] == 'desk@xn--sterreich-z7a.test', at['from']
    for md in (de, at, mu):
        assert md['ack']['state'] in ('queued', 'sent'), md['ack']
    assert settle_count(h, 'catchall@example.org', 3) == 3
    acks = acks_in(h, 'catchall@example.org')
    tos = sorted(m['To'].addresses[0].addr_spec for m in acks)
    assert tos == ['desk@xn--brgeramt-65a.test', 'desk@xn--sterreich-z7a.test',
                   'x@xn--mnchen-3ya.test'], tos
    # The acknowledgement shows the sender in the form people read.
    text = [m.get_body(('plain',)).get_content() for m in acks
            if 'mnchen' in m['To'].addresses[0].addr_spec][0]
    assert 'x@m\u00fcnchen.test' in text, text


def test_noreply_document_system_is_a_submission(h):
    h.config()
    h.append(INTAKE, message('Document System <noreply@mofa.gov.bd>', IMRF_TO,
                             'Bangladesh input', 'Our input.\n', utc(2022, 3, 10), '<nr@x>'),
             utc(2022, 3, 10))
    # Exchange writes X-Auto-Response-Suppress on ordinary mail too.
    h.append(INTAKE, message('France ONU <france@diplomatie.gouv.fr>', IMRF_TO,
                             'Input of France', 'France input.\n', utc(2022, 3, 11), '<fr@x>',
                             headers=['X-Auto-Response-Suppress: All']), utc(2022, 3, 11))
    # What the headers say is automatic stays automatic.
    h.append(INTAKE, message('Mexico <mexico@sre.gob.mx>', IMRF_TO, 'Read: Input',
                             'Read.\n', utc(2022, 3, 12), '<mdn@x>',
                             content_type='multipart/report; report-type=disposition-notification;'
                                          ' boundary="zz"'), utc(2022, 3, 12))
    h.append(INTAKE, message('China <china@mfa.gov.cn>', IMRF_TO, 'Auto: away', 'Away.\n',
                             utc(2022, 3, 13), '<away@x>', headers=['X-Autorespond: yes']),
             utc(2022, 3, 13))
    h.once()
    subs = {md['message_id']: md for _, md in h.submissions()}
    nr = subs['<nr@x>']
    assert nr['submitter']['name'] == 'Bangladesh', nr['submitter']
    assert nr['ack']['state'] == 'suppressed' and nr['ack']['suppressed'] == 'noreply-sender', \
        nr['ack']
    assert subs['<fr@x>']['ack']['state'] in ('queued', 'sent'), subs['<fr@x>']['ack']
    ignored = sorted(md['kind'] for _, md in h.entries('ignored/*/*'))
    assert ignored == ['auto-reply', 'bounce'], ignored
    assert len(h.mails('france@diplomatie.gouv.fr', 1)) == 1
    assert h.inbox('bangladesh@mofa.gov.bd') == []


def test_strangers_acks_are_not_a_reflector(h):
    h.config(calls=[dict(IMRF, ack_per_sender_per_day='5')])
    evil = 'Cheap pills at evil.example'
    h.append(INTAKE, multipart('Spammer <stranger@gmail.test>', IMRF_TO, evil,
                               'Visit evil.example now.\n', utc(2022, 3, 10), '<refl@x>',
                               [('visit-evil.example.pdf', 'application/pdf', b'%PDF-1.4\n')],
                               headers=['Reply-To: victim@target.test']), utc(2022, 3, 10))
    # A roster member may still have its acknowledgement go to its desk.
    h.append(INTAKE, message('France ONU <france@diplomatie.gouv.fr>', IMRF_TO,
                             'Input of France', 'France.\n', utc(2022, 3, 11), '<fr-rt@x>',
                             headers=['Reply-To: china@mfa.gov.cn']), utc(2022, 3, 11))
    h.once()
    h.mails('stranger@gmail.test', 1)
    [ack] = acks_in(h, 'stranger@gmail.test')
    assert [a.addr_spec for a in ack['To'].addresses] == ['stranger@gmail.test'], ack['To']
    raw = ack.as_string()
    assert 'evil' not in raw and 'victim' not in raw, raw
    assert len(h.mails('china@mfa.gov.cn', 1)) == 1
    assert h.inbox('france@diplomatie.gouv.fr') == []
    assert h.inbox('catchall@example.org') == []   # victim@target.test lands there


def test_plus_tags_do_not_multiply_the_sender_limit(h):
    h.config(calls=[dict(IMRF, ack_per_sender_per_day='5')])
    for i in range(12):
        h.append(INTAKE, message(f'Flood <stranger+{i}@gmail.test>', IMRF_TO, f'Input {i}',
                                 f'Flood {i}.\n', utc(2022, 3, 10), f'<tag{i}@x>'),
                 utc(2022, 3, 10))
    h.once()
    acks = [md['ack'] for _, md in h.submissions()]
    assert len(acks) == 12
    sent = [a for a in acks if a['state'] in ('queued', 'sent')]
    assert len(sent) == 5, acks
    assert all(a['suppressed'] == 'rate-limit' for a in acks if a not in sent), acks
    # Each went to the address as written, tag and all.
    assert all(a['to'].startswith('stranger+') for a in sent), sent


def test_call_wide_cap_on_strangers(h):
    h.config(calls=[dict(IMRF, ack_unknown_per_hour='3')])
    for i in range(6):
        h.append(INTAKE, message(f'S{i} <s{i}@stranger{i}.test>', IMRF_TO, f'Input {i}',
                                 f'Text {i}.\n', utc(2022, 3, 10), f'<cap{i}@x>'),
                 utc(2022, 3, 10))
    h.append(INTAKE, message('Mexico <mexico@sre.gob.mx>', IMRF_TO, 'Input of Mexico',
                             'Mexico.\n', utc(2022, 3, 10), '<cap-mx@x>'), utc(2022, 3, 10))
    h.once()
    subs = {md['message_id']: md for _, md in h.submissions()}
    strangers = [subs[f'<cap{i}@x>']['ack'] for i in range(6)]
    assert [a['state'] for a in strangers].count('suppressed') == 3, strangers
    assert {a.get('suppressed') for a in strangers if a['state'] == 'suppressed'} == \
        {'stranger-cap'}, strangers
    assert subs['<cap-mx@x>']['ack']['state'] in ('queued', 'sent')
    assert settle_count(h, 'catchall@example.org', 3) == 3
    assert len(h.mails('mexico@sre.gob.mx', 1)) == 1


def test_zero_width_space_does_not_split_words(h):
    h.config()
    body = 'one\u200btwo three\u00a0four five\u2003six\n'
    h.append(INTAKE, message('Mexico <mexico@sre.gob.mx>', IMRF_TO, 'Input of Mexico', body,
                             utc(2022, 3, 10), '<zw@x>'), utc(2022, 3, 10))
    h.once()
    [(_, md)] = h.submissions()
    assert md['word_count'] == 5, md['word_count']


# ---- configuration ---------------------------------------------------------

def line_of(h, needle, nth=1):
    with open(h.conf) as f:
        hits = [n for n, line in enumerate(f, 1) if needle in line]
    return hits[nth - 1]


def test_same_match_to_in_two_calls_is_an_error(h):
    h.config(calls=(IMRF, dict(GCM, match_to=IMRF['match_to'])))
    first, second = line_of(h, 'match_to', 1), line_of(h, 'match_to', 2)
    for args in (('--check-config',), ('--once',)):
        p = h.intaked(*args, expect=78)
        assert f'{h.conf}:{first}' in p.stderr and f'{h.conf}:{second}' in p.stderr, p.stderr


def test_address_catching_another_calls_plus_address_warns(h):
    h.config(calls=(dict(IMRF, match_to='intake@example.org'), GCM))
    first, second = line_of(h, 'match_to', 1), line_of(h, 'match_to', 2)
    p = h.intaked('--check-config')
    warn = [ln for ln in p.stderr.splitlines() if 'warning' in ln.lower()]
    assert any(f'{h.conf}:{first}' in ln and f'{h.conf}:{second}' in ln for ln in warn), p.stderr


def test_directories_writable_by_others_are_refused(h):
    h.config()
    state = os.path.join(h.spool, 'state')
    os.makedirs(state)
    for path, mode in ((h.spool, 0o777), (h.spool, 0o770), (h.dir, 0o757), (state, 0o707)):
        os.chmod(path, mode)
        for args in (('--check-config',), ('--once',)):
            p = h.intaked(*args, expect=78)
            assert path in p.stderr and 'writable' in p.stderr, (oct(mode), p.stderr)
        os.chmod(path, 0o700)
    # A secret in a directory others may write (they could swap the file).
    sdir = os.path.join(h.dir, 'secrets')
    os.makedirs(sdir)
    os.chmod(sdir, 0o777)
    secret = os.path.join(sdir, 'imap.secret')
    with open(os.path.join(h.dir, 'imap.secret')) as f:
        value = f.read()
    with open(secret, 'w') as f:
        f.write(value)
    os.chmod(secret, 0o600)
    h.config(mailbox={'password_file': secret})
    p = h.intaked('--check-config', expect=78)
    assert sdir in p.stderr and 'writable' in p.stderr, p.stderr
    os.chmod(sdir, 0o700)
    h.intaked('--check-config')


def test_roster_error_reported_once_naming_every_call(h):
    h.config(roster=ROSTER + 'Broken,not-an-address\n')
    p = h.intaked('--check-config', expect=78)
    assert p.stderr.count('not-an-address') == 1, p.stderr
    assert 'imrf-2022' in p.stderr and 'gcm-2022' in p.stderr, p.stderr
