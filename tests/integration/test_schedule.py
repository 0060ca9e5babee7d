"""Reminders and digests (issue 5) through the real servers, driven by
`intaked --once --now TIME`: exactly which mail lands in which mailbox,
across offsets, restarts (every --once run is one), downtime, an SMTP
outage and kills between the journal and the outbox."""
import csv
import email
import email.policy
import glob
import io
import json
import os
from datetime import datetime, timedelta, timezone

from harness import IMRF
from mail import message, utc
from reliability import run_once

# The deadline 2022-03-29 18:00 America/New_York is 22:00 UTC.
D = datetime(2022, 3, 29, 22, 0, tzinfo=timezone.utc)
ROSTER = '''name,addresses
Bangladesh,"@mofa.gov.bd;bangladesh@mofa.gov.bd"
France,france@diplomatie.gouv.fr
China,china@mfa.gov.cn
'''
REMIND = dict(IMRF, reminders='7d, 1d, 3h', remind='missing')
MISSING = ['bangladesh@mofa.gov.bd', 'china@mfa.gov.cn']


def iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def outbox(h, area, kind):
    """Envelopes of outbox/AREA items of one kind."""
    out = []
    for path in glob.glob(os.path.join(h.spool, 'outbox', area, '*', 'envelope.json')):
        with open(path) as f:
            env = json.load(f)
        if env['kind'] == kind:
            out.append(env)
    return out


def append_france(h):
    h.append('intake@example.org',
             message('France ONU <france@diplomatie.gouv.fr>', 'intake+imrf@example.org',
                     'Contribution de la France', 'Notre contribution écrite.\n',
                     utc(2022, 3, 20, 14), '<fr-sched@diplomatie.gouv.fr>'),
             utc(2022, 3, 20, 14))


def reminder_dates(h, user):
    """Date headers (UTC) of the reminders in user's mailbox, checked to
    be reminders of this call to this user."""
    dates = []
    for raw in h.inbox(user):
        m = parse(raw)
        assert m['Auto-Submitted'] == 'auto-generated', m['Auto-Submitted']
        assert m['To'] == user, m['To']
        assert m['Subject'] == ('Reminder: written inputs to Progress Declaration, IMRF 2022 '
                                'due 2022-03-29 18:00 EDT'), m['Subject']
        body = m.get_content().replace('\r\n', '\n')
        for want in ('2022-03-29T22:00:00Z', 'not exceed 60 words',
                     'intake+imrf@example.org', 'has been received'):
            assert want in body, (want, body)
        dates.append(m['Date'].datetime.astimezone(timezone.utc))
    return sorted(dates)


def at_runs(dates, runs):
    """True if each date is from its run: the scheduling clock starts at
    --now and advances with real time (slowly under valgrind)."""
    return len(dates) == len(runs) and all(
        t <= d < t + timedelta(seconds=60) for d, t in zip(dates, runs))


def test_reminders_each_offset_once(h):
    h.config(calls=[REMIND], roster=ROSTER)
    append_france(h)
    h.once('--now', iso(D - timedelta(days=8)))      # files France's input; nothing due
    assert len(h.submissions()) == 1
    assert outbox(h, 'sent', 'reminder') == []
    t7 = D - timedelta(days=7) + timedelta(minutes=1)
    h.once('--now', iso(t7))                          # the 7d reminders
    assert sorted(e['rcpt'] for e in outbox(h, 'sent', 'reminder')) == MISSING
    h.once('--now', iso(t7))                          # the same instant again: nothing
    assert len(outbox(h, 'sent', 'reminder')) == 2
    t1 = D - timedelta(days=1) + timedelta(minutes=1)
    h.once('--now', iso(t1))                          # a new process: the 1d ones
    assert len(outbox(h, 'sent', 'reminder')) == 4
    t3 = D - timedelta(hours=2)
    h.once('--now', iso(t3))                          # only the 3h one, no second 1d
    assert len(outbox(h, 'sent', 'reminder')) == 6
    h.once('--now', iso(D + timedelta(hours=1)))      # after the deadline: nothing
    assert len(outbox(h, 'sent', 'reminder')) == 6
    for user in MISSING:
        h.mails(user, 3)
        # The scheduling clock stamps each mail: one per offset, from its run.
        assert at_runs(reminder_dates(h, user), [t7, t1, t3]), user
    # France submitted: its acknowledgement only.
    [ack] = h.mails('france@diplomatie.gouv.fr', 1)
    assert parse(ack)['Auto-Submitted'] == 'auto-replied'
    with open(os.path.join(h.spool, 'state', 'reminders')) as f:
        assert f.read().count('\tQ\t') == 6


def test_reminders_after_downtime_only_latest(h):
    h.config(calls=[REMIND], roster=ROSTER)
    append_france(h)
    h.once('--now', iso(D - timedelta(days=8)))
    t = D - timedelta(hours=2)                        # down across the 7d and 1d instants
    h.once('--now', iso(t))
    h.once('--now', iso(t + timedelta(minutes=30)))
    assert sorted(e['rcpt'] for e in outbox(h, 'sent', 'reminder')) == MISSING
    for user in MISSING:
        h.mails(user, 1)
        assert at_runs(reminder_dates(h, user), [t]), user
    with open(os.path.join(h.spool, 'state', 'reminders')) as f:
        state = f.read()
    assert '\t3h\t' in state and '\t1d\t' not in state and '\t7d\t' not in state


def test_reminder_and_acks_survive_smtp_outage(h):
    h.config(calls=[REMIND], roster=ROSTER)
    append_france(h)
    t7 = D - timedelta(days=7) + timedelta(minutes=1)
    h.bed.stop_mta()
    try:
        h.once('--now', iso(t7), expect=75)           # ack and reminders queued, not sent
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'queued'
        assert len(outbox(h, 'queue', 'reminder')) == 2
        assert len(outbox(h, 'queue', 'ack')) == 1
    finally:
        h.bed.start_mta()
    later = t7 + timedelta(hours=2)                   # past the longest backoff
    h.once('--now', iso(later))
    assert outbox(h, 'queue', 'reminder') == [] and outbox(h, 'queue', 'ack') == []
    assert len(outbox(h, 'sent', 'reminder')) == 2
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'sent', md['ack']
    h.once('--now', iso(later + timedelta(hours=1)))  # nothing twice
    for user in MISSING:
        h.mails(user, 1)
        assert at_runs(reminder_dates(h, user), [t7]), user
    h.mails('france@diplomatie.gouv.fr', 1)
    assert len(outbox(h, 'sent', 'reminder')) == 2
    assert len(outbox(h, 'sent', 'ack')) == 1


def test_reminder_killed_between_journal_and_outbox(h):
    h.config(calls=[REMIND], roster=ROSTER)
    append_france(h)
    h.once('--now', iso(D - timedelta(days=8)))
    t7 = D - timedelta(days=7) + timedelta(minutes=1)
    # Killed after the first intent, before its mail reached the outbox:
    # the next run finds no such item and sends it (and the other one).
    p = run_once(h, env={'INTAKED_FAULT': 'reminder-recorded'}, args=('--now', iso(t7)))
    assert p.returncode == -9, p.stderr[-2000:]
    assert outbox(h, 'queue', 'reminder') == []
    h.once('--now', iso(t7))
    assert len(outbox(h, 'sent', 'reminder')) == 2
    # 1d: killed after the first was queued, before the journal said so:
    # the next run finds it in the outbox and does not queue it again.
    t1 = D - timedelta(days=1) + timedelta(minutes=1)
    p = run_once(h, env={'INTAKED_FAULT': 'reminder-queued'}, args=('--now', iso(t1)))
    assert p.returncode == -9, p.stderr[-2000:]
    assert len(outbox(h, 'queue', 'reminder')) == 1
    h.once('--now', iso(t1))
    h.once('--now', iso(t1 + timedelta(minutes=5)))
    assert len(outbox(h, 'sent', 'reminder')) == 4
    for user in MISSING:
        h.mails(user, 2)
        assert at_runs(reminder_dates(h, user), [t7, t1]), user


def digest_of(raw):
    """(digest text, CSV rows as dicts) of a digest mail."""
    m = parse(raw)
    assert m['Auto-Submitted'] == 'auto-generated'
    assert m['To'] == 'coord@example.org'
    text = m.get_body(('plain',)).get_content().replace('\r\n', '\n')
    [att] = list(m.iter_attachments())
    assert att.get_content_type() == 'text/csv'
    raw = att.get_payload(decode=True)
    assert raw.startswith(b'\xef\xbb\xbf'), raw[:20]   # the BOM Excel needs, as exported
    data = raw.decode('utf-8-sig')
    rows = list(csv.DictReader(io.StringIO(data, newline='')))
    return m, text, att.get_filename(), rows


def test_daily_digest_once_a_day(h):
    call = dict(IMRF, digest_at='08:00')              # coordinators = coord@example.org
    h.config(calls=[call], roster=ROSTER)
    append_france(h)
    h.append('intake@example.org',
             message('Stranger <stranger@gmail.test>', 'intake+imrf@example.org',
                     'Input, "draft"', 'Some words here.\n', utc(2022, 3, 21, 9),
                     '<st1@gmail.test>'),
             utc(2022, 3, 21, 9))
    day = datetime(2022, 3, 23, 12, 5, tzinfo=timezone.utc)  # 08:05 EDT
    h.once('--now', iso(day))
    h.once('--now', iso(day))                                 # same day: no second one
    h.once('--now', iso(day + timedelta(hours=3)))
    assert len(outbox(h, 'sent', 'digest')) == 1
    # Bangladesh writes between the first and the second digest.
    h.append('intake@example.org',
             message('Bangladesh <bangladesh@mofa.gov.bd>', 'intake+imrf@example.org',
                     'Input of Bangladesh', 'Our input, in few words.\n',
                     utc(2022, 3, 23, 14), '<bd-sched@mofa.gov.bd>'),
             utc(2022, 3, 23, 14))
    h.once('--now', iso(day + timedelta(days=1)))
    h.once('--now', iso(day + timedelta(days=2)))
    assert len(outbox(h, 'sent', 'digest')) == 3
    mails = h.mails('coord@example.org', 3)
    assert len(mails) == 3
    digests = [digest_of(raw) for raw in mails]
    subjects = [m['Subject'] for m, _, _, _ in digests]
    assert subjects == [f'Daily digest: Progress Declaration, IMRF 2022, 2022-03-{d}'
                        for d in (23, 24, 25)], subjects
    _, first, name, rows = digests[0]
    assert name == 'imrf-2022-2022-03-23.csv'
    assert 'Received so far:' in first
    assert '- France, version 1, 2022-03-20 10:00 EDT' in first
    assert 'Not yet received (2 of 3 roster members):\n- Bangladesh\n- China' in first
    assert 'From senders not in the roster:\n- Stranger (stranger@gmail.test)' in first
    assert len(rows) == 2
    _, second, _, rows = digests[1]
    assert 'Received since the last digest (2022-03-23 08:05 EDT):\n- Bangladesh, version 1' in second
    assert 'France, version 1' not in second.split('Not yet received')[0]
    assert 'Not yet received (1 of 3 roster members):\n- China' in second
    _, third, _, rows = digests[2]
    assert 'Received since the last digest (2022-03-24 08:05 EDT):\n- none' in third
    # The CSV: one row per submission in the spool, with its path.
    subs = h.submissions()
    assert len(rows) == len(subs) == 3
    assert sorted(r['path'] for r in rows) == sorted(rel for rel, _ in subs)
    by_slug = {r['slug']: r for r in rows}
    assert by_slug['france']['submitter'] == 'France'
    assert by_slug['france']['received_at'] == '2022-03-20T14:00:00Z'
    assert by_slug['france']['received_local'] == '2022-03-20 10:00 EDT'
    assert by_slug['france']['verified'] == 'true' and by_slug['france']['current'] == 'true'
    stranger = [r for r in rows if r['verified'] == 'false']
    assert len(stranger) == 1 and stranger[0]['subject'] == 'Input, "draft"'
    assert stranger[0]['submitter'] == 'Stranger (stranger@gmail.test)'
    assert list(rows[0].keys())[:5] == ['submitter', 'slug', 'verified', 'version', 'current']


def test_intakectl_digest_and_remind(h):
    h.config(calls=[dict(REMIND, digest_at='08:00')], roster=ROSTER)
    append_france(h)
    t = D - timedelta(days=1) + timedelta(minutes=1)
    h.once('--now', iso(D - timedelta(days=8)))
    ctl = os.path.join(h.build, 'intakectl')
    import subprocess
    p = subprocess.run([ctl, '-c', h.conf, '--now', iso(t), 'remind', 'imrf-2022',
                        '--dry-run'], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.count(': would be reminded (1d before') == 2, p.stdout
    assert 'china@mfa.gov.cn: would be reminded (1d before' in p.stdout
    p = subprocess.run([ctl, '-c', h.conf, '--now', iso(t), 'digest', 'imrf-2022'],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert 'Subject: Daily digest: Progress Declaration, IMRF 2022, 2022-03-28' in p.stdout
    assert '[attachment imrf-2022-2022-03-28.csv: 1 rows' in p.stdout
    assert outbox(h, 'queue', 'reminder') == [] and outbox(h, 'queue', 'digest') == []


def test_reminders_wait_for_a_readable_mailbox(h):
    # France's input waits in a mailbox intaked cannot read: nobody is told
    # "not received" until it has been read.
    h.config(calls=[REMIND], roster=ROSTER)
    append_france(h)
    t7 = D - timedelta(days=7) + timedelta(minutes=1)
    h.bed.stop_imap()
    try:
        h.once('--now', iso(t7), expect=75)
        assert outbox(h, 'queue', 'reminder') == [] and outbox(h, 'sent', 'reminder') == []
    finally:
        h.bed.start_imap()
    h.once('--now', iso(t7 + timedelta(minutes=1)))
    assert sorted(e['rcpt'] for e in outbox(h, 'sent', 'reminder')) == MISSING
