"""Health at a glance (issue 13 item 4): intakectl status reads the state
file the running daemon keeps (SPOOL/state/health.json): per folder
connected / idle / polling / disconnected and since when, the last fetch,
the last error; the outbox with the age of its oldest item; and intakectl
outbox list | retry | drop acting on the queue while the daemon runs."""
import json
import os
import re
import subprocess
import time

from mail import message, utc
from reliability import Daemon, wait_until

INBOX_USER = 'intake@example.org'


def ctl(h, *args, expect=0):
    p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf, *args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
    return p


def folder_line(out, folder):
    """The folder's line and the indented lines under it, as one string."""
    lines = out.splitlines()
    starts = [i for i, l in enumerate(lines) if l.startswith(f'folder {folder}:')]
    assert starts, out
    block = [lines[starts[0]]]
    for l in lines[starts[0] + 1:]:
        if not l.startswith('              '):
            break
        block.append(l.strip())
    return ' '.join(block)


def submission(tag, day=20):
    return message('Mission <bangladesh@mofa.gov.bd>', 'intake+imrf@example.org',
                   f'Input {tag}', 'Bangladesh supports the declaration.\n',
                   utc(2022, 3, day, 9), f'<{tag}.{os.getpid()}@health.test>')


def test_status_shows_folders_idle_then_disconnected(h):
    h.config(mailbox={'folders': 'Other', 'poll_interval': '2s'})
    h.append(INBOX_USER, submission('h1'), utc(2022, 3, 20, 9))
    h.append(INBOX_USER, submission('h2', 21), utc(2022, 3, 21, 9), mailbox='Other')
    d = Daemon(h)
    try:
        health = os.path.join(h.spool, 'state', 'health.json')
        wait_until(lambda: os.path.exists(health) and '"idle"' in open(health).read(),
                   60, 'the daemon to IDLE')
        st = ctl(h, 'status').stdout
        inbox = folder_line(st, 'INBOX')
        assert re.match(r'folder INBOX: +idle since \d{4}-\d\d-\d\dT', inbox), inbox
        assert 'last fetch 20' in inbox and 'last error' not in inbox, inbox
        other = folder_line(st, 'Other')
        assert re.match(r'folder Other: +polling since ', other), other
        with open(health) as f:
            state = json.load(f)
        assert state['pid'] == d.p.pid
        assert stat_mode(health) == 0o600
        # The server goes away: the next wake finds it gone.
        h.bed.stop_imap()
        try:
            wait_until(lambda: '"disconnected"' in open(health).read(), 60,
                       'the daemon to notice the server is gone')
            st = ctl(h, 'status').stdout
            inbox = folder_line(st, 'INBOX')
            assert re.match(r'folder INBOX: +disconnected since ', inbox), inbox
            assert 'last fetch 20' in inbox  # the last good one is kept
            err = [l for l in st.splitlines() if l.strip().startswith('last error:')]
            assert err and re.search(r'connect|refused|closed|reset', err[0], re.I), st
        finally:
            h.bed.start_imap()
        # Back: connected again, IDLE again.
        wait_until(lambda: '"idle"' in open(health).read(), 90, 'the daemon to reconnect')
        st = ctl(h, 'status').stdout
        assert re.match(r'folder INBOX: +idle since ', folder_line(st, 'INBOX'))
    finally:
        assert d.stop() == 0
    # Stopped: the file says what it last saw, status says it is old news.
    st = ctl(h, 'status').stdout
    assert 'not running' in st
    assert 'as of' in folder_line(st, 'INBOX') or 'intaked not running' in st


def stat_mode(path):
    return os.stat(path).st_mode & 0o777


def queued_ids(h, state='queue'):
    d = os.path.join(h.spool, 'outbox', state)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def envelope(h, state, item):
    with open(os.path.join(h.spool, 'outbox', state, item, 'envelope.json')) as f:
        return json.load(f)


def test_outbox_list_retry_drop_with_the_mta_down(h):
    h.config()
    h.append(INBOX_USER, submission('o1'), utc(2022, 3, 20, 9))
    h.append(INBOX_USER, submission('o2', 21), utc(2022, 3, 21, 9))
    h.bed.stop_mta()
    try:
        h.once(expect=75)
        ids = queued_ids(h)
        assert len(ids) == 2, ids
        # The first delivery failed to connect: the batch stopped there,
        # the other one was not tried yet.
        tried = [i for i in ids if envelope(h, 'queue', i)['attempts'] == 1]
        assert len(tried) == 1, ids
        ids = tried + [i for i in ids if i not in tried]
        out = ctl(h, 'outbox', 'list').stdout
        for i, state in zip(ids, ('deferred', 'queued')):
            line = [l for l in out.splitlines() if l.startswith(i)]
            assert line and f' {state} ' in line[0] and ' ack ' in line[0], out
        st = ctl(h, 'status').stdout
        assert re.search(r'outbox: +2 queued \(1 being retried.*oldest \d+[smh]', st), st
        # retry: due now (the backoff said a minute or more).
        assert envelope(h, 'queue', ids[0])['next_attempt'] > h.iso_now()
        ctl(h, 'outbox', 'retry', ids[0])
        assert envelope(h, 'queue', ids[0])['next_attempt'] <= h.iso_now()
        # drop: to failed/, with the reason, nothing deleted.
        ctl(h, 'outbox', 'drop', ids[1])
        assert queued_ids(h) == [ids[0]]
        assert queued_ids(h, 'failed') == [ids[1]]
        env = envelope(h, 'failed', ids[1])
        assert env['state'] == 'failed' and env['last_error'] == 'dropped by operator'
        assert os.path.exists(os.path.join(h.spool, 'outbox', 'failed', ids[1], 'message.eml'))
        out = ctl(h, 'outbox', 'list').stdout
        assert re.search(re.escape(ids[1]) + r'.*failed.*dropped by operator', out), out
        # Unknown ids and bad usage.
        p = ctl(h, 'outbox', 'retry', 'no-such-id', expect=1)
        assert 'no-such-id' in p.stderr
        ctl(h, 'outbox', 'drop', '../etc', expect=1)
        ctl(h, 'outbox', 'frobnicate', 'x', expect=64)
        ctl(h, 'outbox', expect=64)
    finally:
        h.bed.start_mta()
    # A failed (dropped) item retried goes back to the queue, due now, and
    # the daemon sends both.
    ctl(h, 'outbox', 'retry', ids[1])
    assert sorted(queued_ids(h)) == sorted(ids) and queued_ids(h, 'failed') == []
    assert envelope(h, 'queue', ids[1])['state'] == 'queued'
    ctl(h, 'outbox', 'drop', ids[1])        # once more, and back again
    ctl(h, 'outbox', 'drop', ids[1], expect=1)  # not queued any more
    ctl(h, 'outbox', 'retry', ids[1])
    h.once()
    assert queued_ids(h) == [] and len(queued_ids(h, 'sent')) == 2
    assert len(h.mails('bangladesh@mofa.gov.bd', 2)) == 2


def test_outbox_retry_while_the_daemon_runs(h):
    # The daemon runs and flushes; intakectl takes the outbox's flush lock
    # for its change, so a retry never races a delivery of the same item.
    h.config(mailbox={'poll_interval': '2s'})
    h.bed.stop_mta()
    mta_down = True
    h.append(INBOX_USER, submission('r1'), utc(2022, 3, 20, 9))
    d = Daemon(h)
    try:
        wait_until(lambda: queued_ids(h) and envelope(h, 'queue', queued_ids(h)[0])
                   .get('attempts', 0) >= 1, 60, 'a first failed delivery')
        [item] = queued_ids(h)
        h.bed.start_mta()
        mta_down = False
        for _ in range(5):      # repeated retries while it may be flushing
            p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf,
                                'outbox', 'retry', item], capture_output=True, text=True)
            assert p.returncode in (0, 1), p.stderr   # 1: already sent
            time.sleep(0.2)
        wait_until(lambda: queued_ids(h, 'sent') == [item], 60, 'the retried ack to go')
        assert len(h.mails('bangladesh@mofa.gov.bd', 1)) == 1
    finally:
        if mta_down:
            h.bed.start_mta()
        assert d.stop() == 0


def test_status_shows_the_progress_of_a_first_sync(h):
    # 700 messages waiting (mail for no call: filed as unmatched, no
    # acknowledgement): the first sync runs in batches of 500, and the
    # health file (so intakectl status) says how far it is.
    import imaplib
    n = 700
    h.config(mailbox={'poll_interval': '60s'})
    with h.bed.imap(INBOX_USER) as c:
        for i in range(n):
            raw = message('Someone <someone@elsewhere.test>', 'intake+nothing@example.org',
                          f'Note {i}', 'Nothing for a call.\n', utc(2022, 3, 20, 9),
                          f'<sync{i}.{os.getpid()}@health.test>')
            c.append('INBOX', '', imaplib.Time2Internaldate(utc(2022, 3, 20, 9)),
                     raw.replace('\r\n', '\n').replace('\n', '\r\n').encode())
    health = os.path.join(h.spool, 'state', 'health.json')
    seen, shown = set(), []
    d = Daemon(h)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                with open(health) as f:
                    inbox = json.load(f)['folders'][0]
            except (OSError, ValueError, IndexError):
                inbox = {}
            if inbox.get('sync_total'):
                seen.add((inbox['sync_done'], inbox['sync_total']))
                if not shown:
                    shown.append(ctl(h, 'status').stdout)
            if inbox.get('state') == 'idle' and inbox.get('last_fetch'):
                break
            time.sleep(0.02)
        assert inbox.get('state') == 'idle', inbox
    finally:
        assert d.stop() == 0
    assert (0, n) in seen, seen
    assert all(total == n and done % 500 == 0 for done, total in seen), seen
    sync = [l for l in shown[0].splitlines() if 'sync:' in l]
    assert sync and re.search(rf'sync: (0|500) of {n}', sync[0]), shown[0]
    # Done: the progress is gone, the fetch recorded.
    st = ctl(h, 'status').stdout
    assert 'sync:' not in st and 'last fetch 20' in folder_line(st, 'INBOX')
