"""Judgement (issue 4): what is not a submission is filed under ignored/
and never answered; identity never comes from a display name; versions and
duplicates; extensions; acknowledgements in the call's language with the
right outcome."""
import email
import email.policy

from harness import GCM, IMRF
from mail import message, utc

INTAKE = 'intake@example.org'
IMRF_TO = 'intake+imrf@example.org'

DSN = '''From: Mail Delivery System <MAILER-DAEMON@mx.mofa.gov.bd>
To: intake@example.org
Subject: Undelivered Mail Returned to Sender
Date: Wed, 23 Mar 2022 10:00:00 +0600
Message-ID: <dsn-1@mx.mofa.gov.bd>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsnb"

--dsnb
Content-Type: text/plain

This is the mail system at host mx.mofa.gov.bd. Your message could not be delivered.

--dsnb
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.mofa.gov.bd
Final-Recipient: rfc822; nobody@mofa.gov.bd
Action: failed
Status: 5.1.1

--dsnb--
'''


def parsed(raws):
    return [email.message_from_bytes(r, policy=email.policy.default) for r in raws]


def plain(msg):
    return msg.get_body(('plain',)).get_content()


def test_automatic_mail_is_ignored_and_never_answered(h):
    h.config()
    h.append(INTAKE, message('France ONU <france@diplomatie.gouv.fr>', IMRF_TO,
                             'Out of Office: Contribution', 'I am away until 4 April.\n',
                             utc(2022, 3, 22), '<ooo-1@diplomatie.gouv.fr>',
                             headers=['X-Autoreply: yes']), utc(2022, 3, 22))
    h.append(INTAKE, DSN, utc(2022, 3, 23))
    h.append(INTAKE, message('IOM news <news@iom.example>', IMRF_TO, 'Migration weekly',
                             'News.\n', utc(2022, 3, 24), '<list-1@iom.example>',
                             headers=['List-Unsubscribe: <mailto:leave@iom.example>',
                                      'Precedence: bulk']), utc(2022, 3, 24))
    h.append(INTAKE, message('Mexico <mexico@sre.gob.mx>', IMRF_TO, 'Input of Mexico',
                             'Mexico input.\n', utc(2022, 3, 25), '<mx-j1@sre.gob.mx>'),
             utc(2022, 3, 25))
    h.once()
    kinds = sorted(md['kind'] for _, md in h.entries('ignored/*/*'))
    assert kinds == ['auto-reply', 'bounce', 'list'], kinds
    for rel, md in h.entries('ignored/*/*'):
        assert md['ack']['state'] == 'suppressed' and md['reason'], (rel, md)

    # intaked's own acknowledgement, looped back into the intake mailbox
    # (a mission's server forwarding it, say), is recognised and not answered.
    [ack] = h.mails('mexico@sre.gob.mx', 1)
    h.append(INTAKE, ack, utc(2022, 3, 26))
    h.once()
    loops = [md for _, md in h.entries('ignored/*/*') if md['kind'] == 'loop']
    assert len(loops) == 1, [md['kind'] for _, md in h.entries('ignored/*/*')]
    assert len(h.inbox('mexico@sre.gob.mx')) == 1
    for user in ('france@diplomatie.gouv.fr', 'catchall@example.org', 'bangladesh@mofa.gov.bd'):
        assert h.inbox(user) == [], user


def test_identity_versions_and_duplicates(h):
    h.config(mailbox={'folders': 'INBOX, Filed'})
    spoof = message('"Bangladesh" <bangladesh.mission@gmail.example>', IMRF_TO,
                    'Input of Bangladesh', 'Spoofed.\n', utc(2022, 3, 10), '<spoof-j@gmail.example>')
    h.append(INTAKE, spoof, utc(2022, 3, 10))
    raws = []
    for i, day in enumerate((11, 12, 13), start=1):
        raws.append(h.append(INTAKE, message(
            'Desk <bangladesh@mofa.gov.bd>', IMRF_TO, f'Bangladesh input, version {i}',
            f'Version {i} of our input.\n', utc(2022, 3, day), f'<bd-v{i}@mofa.gov.bd>'),
            utc(2022, 3, day)))
    # The same message in a second folder, and re-appended: filed once.
    h.append(INTAKE, raws[0], utc(2022, 3, 11), mailbox='Filed')
    h.append(INTAKE, raws[0], utc(2022, 3, 14))
    h.once()

    bd = h.entries('calls/imrf-2022/bangladesh/v*')
    assert [rel.rsplit('/', 1)[1] for rel, _ in bd] == ['v1', 'v2', 'v3'], bd
    v1, v2, v3 = (md for _, md in bd)
    assert (v1['supersedes'], v2['supersedes'], v3['supersedes']) == (None, 'v1', 'v2')
    unknown = h.entries('calls/imrf-2022/unknown-*/v1')
    assert len(unknown) == 1
    assert unknown[0][1]['submitter']['verified'] is False
    assert unknown[0][1]['submitter']['name'] is None
    # The spoofer is acknowledged as an unknown sender, at its own address.
    assert len(h.mails('catchall@example.org', 1)) == 1
    # Three acknowledgements for three versions, the later ones say so.
    acks = {a['In-Reply-To']: plain(a) for a in parsed(h.mails('bangladesh@mofa.gov.bd', 3))}
    assert 'supersedes' not in acks['<bd-v1@mofa.gov.bd>']
    assert 'version 2' in acks['<bd-v2@mofa.gov.bd>'] and '(v1)' in acks['<bd-v2@mofa.gov.bd>']
    assert 'version 3' in acks['<bd-v3@mofa.gov.bd>'] and '(v2)' in acks['<bd-v3@mofa.gov.bd>']


def test_extension_and_language(h):
    es_call = dict(IMRF, name='ffd-2025', title='Financiación para el Desarrollo',
                   match_to='intake+ffd@example.org', match_subject='[FFD]',
                   language='es', late='flag',
                   extend='Bangladesh 2022-03-31 18:00')
    h.config(calls=(es_call, GCM))
    to = 'intake+ffd@example.org'
    late = utc(2022, 3, 30, 12)  # after the deadline, before the extension
    h.append(INTAKE, message('BD <bangladesh@mofa.gov.bd>', to, 'Aporte de Bangladesh',
                             'Nuestro aporte.\n', late, '<ext-bd@mofa.gov.bd>'), late)
    h.append(INTAKE, message('Mexico <mexico@sre.gob.mx>', to, 'Aporte de México',
                             'Aporte.\n', late, '<ext-mx@sre.gob.mx>'), late)
    h.append(INTAKE, message('Chine <china@mfa.gov.cn>', 'intake+gcm@example.org',
                             'Contribution', 'Notre contribution.\n', utc(2022, 11, 8),
                             '<gcm-late@mfa.gov.cn>'), utc(2022, 11, 8))
    h.once()
    [(_, bd)] = h.entries('calls/ffd-2025/bangladesh/v1')
    [(_, mx)] = h.entries('calls/ffd-2025/mexico/v1')
    assert (bd['timeliness'], bd['status'], bd['extended']) == ('on_time', 'accepted', True), bd
    assert bd['deadline'] == '2022-03-31T22:00:00Z', bd['deadline']
    assert (mx['timeliness'], mx['status']) == ('late', 'late'), mx
    [bd_ack] = parsed(h.mails('bangladesh@mofa.gov.bd', 1))
    [mx_ack] = parsed(h.mails('mexico@sre.gob.mx', 1))
    assert bd_ack['Subject'].startswith('Acuse de recibo'), bd_ack['Subject']
    assert 'dentro del plazo' in plain(bd_ack), plain(bd_ack)
    assert 'marcada como tardía' in plain(mx_ack), plain(mx_ack)
    assert mx_ack['Content-Language'] == 'es'
    # One word: the singular, from the Spanish catalogue (issue 15).
    assert '- Texto del mensaje: 1 palabra' in plain(mx_ack).splitlines(), plain(mx_ack)
    assert '- Texto del mensaje: 2 palabras' in plain(bd_ack).splitlines(), plain(bd_ack)
    [cn_ack] = parsed(h.mails('china@mfa.gov.cn', 1))
    assert cn_ack['Subject'].startswith('Accusé de réception'), cn_ack['Subject']
    assert 'ne pourra donc pas être prise en considération' in plain(cn_ack), plain(cn_ack)


def test_dmarc_required_and_unmatched_reply(h):
    call = dict(IMRF, require_auth='dmarc')
    h.config(calls=(call, GCM), mailbox={'ack_unmatched': 'yes', 'authserv_id': 'mx.example.org'})
    h.append(INTAKE, message('BD <bangladesh@mofa.gov.bd>', IMRF_TO, 'Authenticated',
                             'Input.\n', utc(2022, 3, 20), '<auth-ok@mofa.gov.bd>',
                             headers=['Authentication-Results: mx.example.org; spf=pass '
                                      'smtp.mailfrom=mofa.gov.bd; dkim=pass header.d=mofa.gov.bd; '
                                      'dmarc=pass header.from=mofa.gov.bd']),
             utc(2022, 3, 20))
    h.append(INTAKE, message('Mexico <mexico@sre.gob.mx>', IMRF_TO, 'Not authenticated',
                             'Input.\n', utc(2022, 3, 21), '<auth-no@sre.gob.mx>',
                             headers=['Authentication-Results: mx.example.org; spf=fail '
                                      'smtp.mailfrom=sre.gob.mx; dmarc=fail header.from=sre.gob.mx']),
             utc(2022, 3, 21))
    h.append(INTAKE, message('Stranger <stranger@gmail.test>', INTAKE, 'Which address?',
                             'Where do I send my input?\n', utc(2022, 3, 22), '<unm-r@gmail.test>'),
             utc(2022, 3, 22))
    h.once()
    [(_, bd)] = h.entries('calls/imrf-2022/bangladesh/v1')
    [(_, mx)] = h.entries('calls/imrf-2022/mexico/v1')
    assert bd['submitter']['verified'] is True and bd['auth']['dmarc'] == 'pass', bd
    assert mx['submitter']['verified'] is False and mx['auth']['dmarc'] == 'fail', mx
    assert mx['submitter']['name'] == 'Mexico'
    [reply] = parsed(h.mails('stranger@gmail.test', 1))
    text = plain(reply)
    assert 'Progress Declaration, IMRF 2022' in text and 'Pacte mondial' in text, text
    [(_, unm)] = h.entries('unmatched/*/*')
    assert unm['ack']['state'] == 'sent', unm['ack']
