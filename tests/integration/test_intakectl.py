"""intakectl (issue 7) against a spool the real intaked filed from the real
bed: every command, its output, and its exit status."""
import csv
import io
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

from harness import GCM, IMRF
from mail import count_words, message, multipart, utc

IMRF_TO, GCM_TO = 'intake+imrf@example.org', 'intake+gcm@example.org'
HOSTILE_SUBJECT = '<script>alert(1)</script>'
HOSTILE_FILE = '<img src=x onerror=alert(1)>.txt'
BD_DOC = ('Written input of the People\'s Republic of Bangladesh.\n'
          'Bangladesh supports a strong, action-oriented Progress Declaration.\n')
FR_DOC = 'La France soutient une déclaration ambitieuse et orientée vers l\'action.\n'

# A call whose deadline is still to come, for reminders.
FUTURE_DEADLINE = (datetime.now(timezone.utc) + timedelta(days=30)).replace(
    hour=12, minute=0, second=0, microsecond=0)
FUTURE = {
    'name': 'future-2030',
    'title': 'A consultation still open',
    'match_to': 'intake+future@example.org',
    'deadline': FUTURE_DEADLINE.strftime('%Y-%m-%d %H:%M') + ' UTC',
    'reminders': '7d',
    'coordinators': 'coord@example.org',
    'language': 'es',
}


def populate(h, calls=(IMRF, GCM)):
    """A spool with what coordinators see: versions, a late and an unknown
    sender, hostile text, unmatched and ignored mail. Returns {key: (relpath,
    metadata)} of what intaked filed."""
    h.config(calls=calls)
    msgs = {
        'bd1': (message('"Mission of Bangladesh" <bangladesh@mofa.gov.bd>', IMRF_TO,
                        'Bangladesh input', 'Our first input, in the body.\n',
                        utc(2022, 3, 20, 14), '<bd1@mofa.gov.bd>'), utc(2022, 3, 20, 14)),
        'bd2': (multipart('"Mission of Bangladesh" <bangladesh@mofa.gov.bd>', IMRF_TO,
                          'Revised input of Bangladesh', 'Please find our revised input.\n',
                          utc(2022, 3, 28, 9), '<bd2@mofa.gov.bd>',
                          [('Bangladesh input.txt', 'text/plain', BD_DOC.encode())]),
                utc(2022, 3, 28, 9)),
        'fr1': (multipart('France ONU <france@diplomatie.gouv.fr>', IMRF_TO, HOSTILE_SUBJECT,
                          'Veuillez trouver ci-joint notre contribution.\n',
                          utc(2022, 3, 29, 21), '<fr1@diplomatie.gouv.fr>',
                          [(HOSTILE_FILE, 'text/plain', FR_DOC.encode())]),
                utc(2022, 3, 29, 21)),
        'mx1': (message('Misión de México <mexico@sre.gob.mx>', IMRF_TO, 'Aporte de México',
                        'México aporta su contribución tardía.\n', utc(2022, 3, 29, 23, 30),
                        '<mx1@sre.gob.mx>'), utc(2022, 3, 29, 23, 30)),
        'st1': (message('A. Stranger <stranger@gmail.test>', IMRF_TO, 'Input from an observer',
                        'An observer writes in.\n', utc(2022, 3, 25, 10), '<st1@gmail.test>'),
                utc(2022, 3, 25, 10)),
        'cn1': (message('China Mission <china@mfa.gov.cn>', GCM_TO, 'Contribution de la Chine',
                        'La Chine soutient le Pacte.\n', utc(2022, 11, 7, 10, 29),
                        '<cn1@mfa.gov.cn>'), utc(2022, 11, 7, 10, 30)),
        'unm': (message('A. Stranger <stranger@gmail.test>', 'intake@example.org',
                        'Question about the modalities', 'When is the deadline?\n',
                        utc(2022, 3, 24), '<unm@gmail.test>'), utc(2022, 3, 24)),
        'ooo': (message('France ONU <france@diplomatie.gouv.fr>', IMRF_TO, 'Absence du bureau',
                        'Je suis absent.\n', utc(2022, 3, 22), '<ooo@diplomatie.gouv.fr>',
                        headers=['Auto-Submitted: auto-replied']), utc(2022, 3, 22)),
    }
    for raw, date in msgs.values():
        h.append('intake@example.org', raw, date)
    h.once()
    by_msgid = {md['message_id']: (rel, md) for rel, md in h.entries_all()}
    out = {}
    for key in msgs:
        hit = [v for k, v in by_msgid.items() if k and k.startswith(f'<{key}@')]
        assert len(hit) == 1, (key, sorted(by_msgid))
        out[key] = hit[0]
    return out


def ctl(h, *args, expect=0, conf=None):
    """Run intakectl -c CONF ARGS; assert the exit status; (stdout, stderr)."""
    cmd = [os.path.join(h.build, 'intakectl'), '-c', conf or h.conf, *args]
    if os.environ.get('INTAKED_VALGRIND'):
        cmd = ['valgrind', '-q', '--error-exitcode=99', '--leak-check=full',
               '--errors-for-leak-kinds=definite', '--show-leak-kinds=definite'] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    h.logs.append(('intakectl ' + ' '.join(args), p.stdout, p.stderr))
    assert p.returncode == expect, (
        f'intakectl {" ".join(args)} exited {p.returncode}, want {expect}\n'
        f'{p.stdout[-2000:]}\n{p.stderr[-2000:]}')
    return p.stdout, p.stderr


def table(out):
    """Rows of a table: lines split on runs of two or more spaces."""
    import re
    lines = [ln for ln in out.splitlines() if ln.strip()]
    return [re.split(r' {2,}', ln.rstrip()) for ln in lines]


def test_read_commands(h):
    e = populate(h)
    imrf_ids = {k: e[k][1]['id'] for k in ('bd1', 'bd2', 'fr1', 'mx1', 'st1')}

    out, _ = ctl(h, 'calls')
    rows = {r[0]: r for r in table(out)[1:]}
    assert set(rows) == {'imrf-2022', 'gcm-2022'}, out
    assert rows['imrf-2022'][1] == 'Progress Declaration, I…', rows   # cut to 24 columns
    assert rows['imrf-2022'][2] == '2022-03-29 18:00 EDT', rows
    # Bangladesh, France, Mexico, and the stranger who is no member, in 5
    # versions; China missing.
    assert rows['imrf-2022'][3:] == ['3 of 4, 1 other', '5', '1 of 4'], rows
    assert rows['gcm-2022'][3:] == ['1 of 4, 0 others', '1', '3 of 4'], rows

    out, _ = ctl(h, 'list', 'imrf-2022')
    rows = table(out)
    assert rows[0][:4] == ['ID', 'SUBMITTER', 'VER', 'RECEIVED'], rows[0]
    body = {r[0]: r for r in rows[1:-2]}
    imrf_short = {k: v[:21] for k, v in imrf_ids.items()}   # ids shown to 21 characters
    assert set(body) == set(imrf_short.values()), out
    assert body[imrf_short['bd1']][1:3] == ['Bangladesh', 'v1 old'], out
    assert body[imrf_short['bd2']][1:3] == ['Bangladesh', 'v2'], out
    assert body[imrf_short['mx1']][4] == 'late', out
    assert body[imrf_short['st1']][1] == '? stranger@gm…', out   # cut to 14 columns
    assert body[imrf_short['fr1']][3] == '29 Mar 17:00', out
    assert body[imrf_short['fr1']][5] == f'{count_words(FR_DOC)}/60', out
    assert body[imrf_short['fr1']][6] == 'sent', out
    assert rows[-2] == ['5 submissions, 1 superseded (old); times in America/New_York'], rows[-2]
    assert rows[-1] == ['? not in the roster', '~ the roster does not verify this sender'], rows

    out, _ = ctl(h, 'list', 'imrf-2022', '--json')
    js = {r['id']: r for r in json.loads(out)}
    assert set(js) == set(imrf_ids.values())
    fr = js[imrf_ids['fr1']]
    assert fr['submitter'] == 'France' and fr['current'] and fr['version'] == 1, fr
    assert fr['documents'][0]['name'] == HOSTILE_FILE, fr
    assert fr['path'] == e['fr1'][0] and fr['received_at'] == '2022-03-29T21:00:00Z', fr
    assert js[imrf_ids['bd1']]['current'] is False and js[imrf_ids['bd2']]['current'], js

    # show: a submission, unmatched and ignored mail, by the id alone.
    rel, md = e['fr1']
    out, _ = ctl(h, 'show', md['id'])
    fields = dict(ln.split(None, 1) for ln in out.splitlines()
                  if ln and not ln[0].isspace() and ' ' in ln)
    assert fields['id:'] == md['id'] and fields['kind:'] == 'submission', out
    assert fields['subject:'] == HOSTILE_SUBJECT, out
    assert fields['path:'] == os.path.join(h.spool, rel), out
    assert fields['ack:'] == 'sent to france@diplomatie.gouv.fr', out
    assert fields['ack-msgid:'] == md['ack']['message_id'], out
    assert f'  {HOSTILE_FILE}: {count_words(FR_DOC)} words' in out, out
    assert os.path.join(h.spool, rel, md['documents'][0]['file']) in out, out
    assert fields['version:'] == 'v1', out
    out, _ = ctl(h, 'show', imrf_ids['bd1'])
    assert 'version:     v1, superseded by v2\n' in out, out
    out, _ = ctl(h, 'show', imrf_ids['bd2'])
    assert 'version:     v2, supersedes v1\n' in out, out
    for key, kind in (('unm', 'unmatched'), ('ooo', 'auto-reply')):
        rel, md = e[key]
        out, _ = ctl(h, 'show', md['id'])
        assert f'kind:        {kind}\n' in out and os.path.join(h.spool, rel) in out, out
        assert f'ack:         suppressed ({kind})\n' in out, out

    out, _ = ctl(h, 'missing', 'imrf-2022')
    assert table(out) == [['MEMBER', 'ADDRESSES', 'DEADLINE'],
                          ['China', 'china@mfa.gov.cn', '2022-03-29 18:00 EDT'],
                          ['1 of 4 members have not submitted to imrf-2022']], out
    out, _ = ctl(h, 'missing', 'gcm-2022')
    rows = table(out)
    assert [r[0] for r in rows[1:-1]] == ['Bangladesh', 'France', 'Mexico'], out
    assert rows[1][1:] == ['bangladesh@un.int; @mofa.gov.bd', '2022-11-07 12:00 CET'], rows
    assert rows[-1] == ['3 of 4 members have not submitted to gcm-2022'], rows

    out, _ = ctl(h, 'status')
    assert 'intaked:      not running on this spool' in out, out
    assert 'spool holds:  6 submissions, 1 unmatched, 1 ignored, 0 quarantined' in out, out
    assert 'outbox:       0 queued (0 being retried), 0 failed, 6 sent' in out, out
    assert 'imrf-2022' in out and 'gcm-2022' in out, out


def test_export_and_reindex(h):
    e = populate(h)
    out, _ = ctl(h, 'export', 'imrf-2022', '--format', 'csv')
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) == 6, rows
    # Ignored mail names its call too (issue 16): only submissions are exported.
    ids = {md['id'] for k, (rel, md) in e.items()
           if md.get('call') == 'imrf-2022' and md['kind'] == 'submission'}
    id_col = rows[0].index('id')
    assert {r[id_col] for r in rows[1:]} == ids, rows

    out, _ = ctl(h, 'export', 'imrf-2022', '--format=json')
    records = json.loads(out)
    assert {r['id'] for r in records} == ids
    rel, md = e['fr1']
    [fr] = [r for r in records if r['id'] == md['id']]
    # The record is metadata.json as filed, plus where it is.
    assert {k: v for k, v in fr.items() if k not in ('path', 'current')} == md
    assert fr['path'] == rel and fr['current'] is True

    # reindex restores every index.json byte for byte.
    paths = sorted(os.path.join(h.spool, 'calls', c, 'index.json')
                   for c in os.listdir(os.path.join(h.spool, 'calls')))
    assert len(paths) == 2, paths
    before = {}
    for p in paths:
        with open(p, 'rb') as f:
            before[p] = f.read()
        os.unlink(p)
    out, _ = ctl(h, 'reindex')
    assert out.splitlines() == ['calls/gcm-2022/index.json', 'calls/imrf-2022/index.json',
                                '2 indexes rebuilt'], out
    for p in paths:
        with open(p, 'rb') as f:
            assert f.read() == before[p], p
    json.loads(before[paths[1]])['submitters']  # what was compared is real JSON


def test_resend_ack(h):
    e = populate(h)
    rel, md = e['fr1']
    assert len(h.mails('france@diplomatie.gouv.fr', 1)) == 1
    out, _ = ctl(h, 'resend-ack', md['id'])
    assert out.startswith(f'acknowledgement of {md["id"]} queued for france@diplomatie.gouv.fr'), out
    [(_, now)] = h.entries(rel)
    assert now['ack']['state'] == 'queued' and now['ack']['to'] == 'france@diplomatie.gouv.fr'
    assert now['ack']['message_id'] != md['ack']['message_id'], now['ack']
    h.once()
    acks = h.mails('france@diplomatie.gouv.fr', 2)
    assert len(acks) == 2, acks
    [(_, after)] = h.entries(rel)
    assert after['ack']['state'] == 'sent', after['ack']
    assert after['ack']['message_id'] in acks[1].decode('utf-8', 'replace'), after['ack']
    # An auto-reply is never acknowledged, not even on request.
    _, err = ctl(h, 'resend-ack', e['ooo'][1]['id'], expect=1)
    assert 'no acknowledgement may be sent' in err and 'auto-reply' in err, err


def test_digest_and_remind(h):
    populate(h, calls=(IMRF, GCM, FUTURE))
    out, _ = ctl(h, 'digest', 'imrf-2022')
    assert 'Bangladesh' in out and 'China' in out, out   # China is missing
    out, _ = ctl(h, 'digest', 'imrf-2022', '--send')
    assert out.endswith('digest queued for 1 coordinator; intaked sends it on its next pass\n'), out
    h.once()
    [digest] = h.mails('coord@example.org', 1)
    assert b'Progress Declaration, IMRF 2022' in digest and b'text/csv' in digest, digest[:1000]
    # Reminders are due 7 days before the deadline: look from 25 days on.
    later = (datetime.now(timezone.utc) + timedelta(days=25)).strftime('%Y-%m-%dT%H:%M:%SZ')
    out, _ = ctl(h, '--now', later, 'remind', 'future-2030', '--dry-run')
    assert 'france@diplomatie.gouv.fr' in out and 'china@mfa.gov.cn' in out, out
    assert out.endswith('would be sent (dry run: nothing queued)\n'), out
    out, _ = ctl(h, 'remind', 'future-2030')
    assert out == '0 reminders queued; intaked sends them on its next pass\n', out
    out, _ = ctl(h, '--now', later, 'remind', 'future-2030')
    assert 'reminders queued' in out and not out.startswith('0 '), out
    h.once('--now', later)
    # China's mailbox: the acknowledgement of its GCM input, then the reminder.
    mails = h.mails('china@mfa.gov.cn', 2)
    [rem] = [m for m in mails if b'Auto-Submitted: auto-generated' in m]
    assert FUTURE['title'].encode() in rem, rem[:1000]


def test_usage_and_exit_codes(h):
    populate(h)
    for cmd in ('status', 'calls', 'list', 'show', 'missing', 'export', 'digest', 'remind',
                'resend-ack', 'publish', 'reindex'):
        out, _ = ctl(h, cmd, '--help')
        assert out.startswith(f'usage: intakectl [-c FILE] {cmd}'), out
    out, _ = ctl(h, '--help')
    assert 'publish CALL OUTDIR' in out, out

    _, err = ctl(h, 'list', 'no-such-call', expect=1)
    assert 'no call named "no-such-call"' in err, err
    ctl(h, 'missing', 'no-such-call', expect=1)
    ctl(h, 'export', 'no-such-call', '--format', 'csv', expect=1)
    _, err = ctl(h, 'show', '20220101T000000Z-000000000000', expect=1)
    assert 'no entry with id' in err, err
    ctl(h, 'resend-ack', 'nope', expect=1)

    ctl(h, 'frobnicate', expect=64)
    ctl(h, expect=64)
    ctl(h, 'list', expect=64)
    ctl(h, 'list', 'imrf-2022', 'extra', expect=64)
    ctl(h, 'list', 'imrf-2022', '--bogus', expect=64)
    ctl(h, 'show', 'x', '--json', expect=64)
    _, err = ctl(h, 'export', 'imrf-2022', expect=64)
    assert '--format' in err, err
    ctl(h, 'export', 'imrf-2022', '--format', 'xml', expect=64)
    ctl(h, 'publish', 'imrf-2022', expect=64)
    ctl(h, '--now', 'yesterday', 'status', expect=64)

    bad = os.path.join(h.dir, 'bad.conf')
    with open(bad, 'w') as f:
        f.write('[mailbox]\nurl = imaps://127.0.0.1/INBOX\nthis line is not ini\n')
    _, err = ctl(h, 'status', conf=bad, expect=78)
    assert 'bad.conf:' in err, err
    ctl(h, 'calls', conf=os.path.join(h.dir, 'missing.conf'), expect=78)

    # A configuration whose spool does not exist: nothing is created.
    nospool = os.path.join(h.dir, 'nospool.conf')
    with open(h.conf) as f, open(nospool, 'w') as g:
        g.write(f.read().replace(f'dir = {h.spool}', f'dir = {h.spool}-absent'))
    _, err = ctl(h, 'list', 'imrf-2022', conf=nospool, expect=74)
    assert 'does not exist' in err and not os.path.exists(h.spool + '-absent'), err
