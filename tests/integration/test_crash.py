"""Crash consistency (issue 8.1): intaked is killed with SIGKILL at every
durable step (fault points, daemon/lib/fault.c) and at random moments while it
ingests with two analysis workers, and restarted each time. In the end every message is filed exactly
once and byte-exact, marked on the server, acknowledged at least once and
at most twice; nothing is left in tmp/, and the ledger agrees with the
spool. INTAKED_LONG=1 (make check-long) runs the long variant: 500
messages and 24 random kills."""
import glob
import os
import random
import subprocess
import time

from harness import IMRF
from mail import message, utc
from reliability import (FAULT_POINTS, LONG, Daemon, check_consistency, check_receipts,
                         repeating_plan, run_once, sha, submission, wait_until)

CALL = dict(IMRF, ack_per_sender_per_day='1000', ack_unknown_per_hour='100000', word_limit='0')
# Two analysis workers (issue 18): results must still commit in mailbox
# order through every kill.
WORKERS = {'workers': '2'}


def append_batch(h, appended, start, n, tag):
    for i in range(start, start + n):
        _, raw, date = submission(i, tag)
        b = h.append('intake@example.org', raw, date)
        appended[sha(b)] = b


def test_crash_at_each_fault_point(h):
    h.config(calls=[CALL], limits=WORKERS)
    appended = {}
    hits = (1, 2, 3) if LONG else (2,)
    i = 0
    for point in FAULT_POINTS:
        for hit in hits:
            append_batch(h, appended, i, 3, 'fault')
            i += 3
            p = run_once(h, env={'INTAKED_FAULT': f'{point}:{hit}'})
            assert p.returncode == -9, (point, hit, p.returncode, p.stderr[-2000:])
            assert f'intaked: fault {point} hit {hit}' in p.stderr, p.stderr[-2000:]
            # Restart: the recovery run must succeed on its own.
            h.once()
    # Recovery: a plain run, then one two hours on so that acknowledgements
    # deferred by a kill mid-SMTP are due again.
    h.once()
    h.once('--now', h.iso_now(hours=2))
    stats = check_consistency(h, appended)
    print(f'  fault points: {len(FAULT_POINTS) * len(hits)} kills, {stats}')


def test_crash_random_kills(h):
    h.config(calls=[CALL], mailbox={'poll_interval': '5s', 'idle': 'yes'},
             limits=WORKERS)
    n, kills = (500, 24) if LONG else (40, 6)
    rng = random.Random(int(os.environ.get('INTAKED_CRASH_SEED', '8')))
    appended = {}
    per = n // kills
    done = mid_batch = 0
    for k in range(kills):
        batch = per if k < kills - 1 else n - done
        d = Daemon(h)
        append_batch(h, appended, done, batch, 'kill')
        done += batch
        # A random moment: while it fetches, parses, files or sends.
        try:
            d.p.wait(timeout=rng.uniform(0.2, 2.5))
        except subprocess.TimeoutExpired:  # still running, as it should be
            pass
        assert d.p.poll() is None, ('intaked exited by itself', d.text()[-2000:])
        assert d.kill() == -9
        if any('$Filed' not in m.flags for m in h.bed.messages('intake@example.org')):
            mid_batch += 1
    # The last life: runs until everything is marked and sent.
    d = Daemon(h)
    try:
        def drained():
            server = h.bed.messages('intake@example.org')
            queued = glob.glob(os.path.join(h.spool, 'outbox', 'queue', '*'))
            return all('$Filed' in m.flags for m in server) and not queued
        wait_until(drained, 120 if not LONG else 900, 'everything filed and sent', step=0.5)
    finally:
        rc = d.stop()
    assert rc == 0, (rc, d.text()[-2000:])
    h.once('--now', h.iso_now(hours=2))
    stats = check_consistency(h, appended)
    print(f'  random kills: {kills} kills ({mid_batch} with mail still unfiled), {stats}')


# Issue 14, item 6: senders that write several times, under the default
# daily limit (5). Only acknowledgements actually queued may spend a
# sender's budget, so a kill must change nobody's receipts: each sender's
# mailbox (read back over IMAP) holds what it would have got without the
# kills, and every ack.state says what the sender got.
IMRF_DEFAULT_LIMIT = dict(IMRF, word_limit='0')


def append_plan(h, plan, appended):
    for _, _, raw, date in plan:
        b = h.append('intake@example.org', raw, date)
        appended[sha(b)] = b


def test_crash_repeating_senders_at_each_fault_point(h):
    h.config(calls=[IMRF_DEFAULT_LIMIT], limits=WORKERS)
    appended, plan = {}, []
    for k, point in enumerate(FAULT_POINTS):
        # One sender over the limit (6), one under it (3).
        part = repeating_plan([6, 3], f'fp{k}')
        append_plan(h, part, appended)
        plan += part
        p = run_once(h, env={'INTAKED_FAULT': f'{point}:2'})
        assert p.returncode == -9, (point, p.returncode, p.stderr[-2000:])
        h.once()
    h.once('--now', h.iso_now(hours=2))
    figures = check_receipts(h, plan)
    check_consistency(h, appended, acks=False)
    print(f'  repeating senders, fault points: {len(FAULT_POINTS)} kills, {figures}')


def staged_acks(h):
    """The names in outbox/tmp/ (acknowledgements being staged)."""
    try:
        return set(os.listdir(os.path.join(h.spool, 'outbox', 'tmp')))
    except FileNotFoundError:
        return set()


def test_crash_repeating_senders_random_kills(h):
    h.config(calls=[IMRF_DEFAULT_LIMIT], mailbox={'poll_interval': '5s', 'idle': 'yes'},
             limits=WORKERS)
    if LONG:   # the run of the issue: 300 messages, 65 senders, 20 kills
        counts, kills = ([3, 4, 5, 6, 5] * 13)[:65], 20
        counts[-1] += 300 - sum(counts)
    else:
        counts, kills = [2, 3, 4, 5, 6, 4] * 4, 10
    plan = repeating_plan(counts, 'rk')
    rng = random.Random(int(os.environ.get('INTAKED_CRASH_SEED', '14')))
    appended = {}
    # Half the mail is waiting when intaked first starts (a big first
    # batch, many acknowledgements staged at once); the rest comes in
    # while it runs.
    half = len(plan) // 2
    append_plan(h, plan[:half], appended)
    per = (len(plan) - half) // kills
    for k in range(kills):
        part = plan[half + k * per:half + (k + 1) * per] if k < kills - 1 else \
            plan[half + k * per:]
        d = Daemon(h)
        staged_before = staged_acks(h)
        append_plan(h, part, appended)
        if k % 2:
            # A random moment while it fetches, parses, files or sends.
            try:
                d.p.wait(timeout=rng.uniform(0.2, 1.5))
            except subprocess.TimeoutExpired:
                pass
        else:
            # While acknowledgements are staged (the group commit's
            # window), or after 3 s if none is.
            end = time.monotonic() + 3
            while time.monotonic() < end and d.p.poll() is None and \
                    not staged_acks(h) - staged_before:
                time.sleep(0.003)
        assert d.p.poll() is None, ('intaked exited by itself', d.text()[-2000:])
        assert d.kill() == -9
    d = Daemon(h)
    try:
        def drained():
            server = h.bed.messages('intake@example.org')
            queued = glob.glob(os.path.join(h.spool, 'outbox', 'queue', '*'))
            return all('$Filed' in m.flags for m in server) and not queued
        wait_until(drained, 900 if LONG else 120, 'everything filed and sent', step=0.5)
    finally:
        rc = d.stop()
    assert rc == 0, (rc, d.text()[-2000:])
    h.once('--now', h.iso_now(hours=2))
    figures = check_receipts(h, plan)
    check_consistency(h, appended, acks=False)
    print(f'  repeating senders, random kills: {kills} kills, {figures}')


# F4 of RELIABILITY.md: a crash between the ledger record and the rename
# must not let another message of the same submitter, filed at that very
# vN path, make the crashed message look filed.
BD_F4 = 'BD <bangladesh@mofa.gov.bd>'
TO_F4 = 'intake+imrf@example.org'


def test_stale_ledger_record_does_not_hide_a_message(h):
    if 'Other' in h.bed.mailboxes('intake@example.org'):
        h.bed.clear('intake@example.org', mailbox='Other')
    else:
        with h.bed.imap('intake@example.org') as c:
            c.create('Other')
    h.config(mailbox={'folders': 'INBOX, Other'}, limits=WORKERS)
    h.append('intake@example.org', message(BD_F4, TO_F4, 'One', 'First input.\n', utc(2022, 3, 20),
                                           '<f4a@x>'), utc(2022, 3, 20))
    h.once()                                            # bangladesh/v1
    a = h.append('intake@example.org', message(BD_F4, TO_F4, 'A', 'Message A.\n', utc(2022, 3, 21),
                                               '<f4A@x>'), utc(2022, 3, 21))
    p = run_once(h, env={'INTAKED_FAULT': 'after-ledger'})  # A: record for v2, no entry
    assert p.returncode == -9, p.stderr[-1500:]
    h.append('intake@example.org', message(BD_F4, TO_F4, 'B', 'Message B.\n', utc(2022, 3, 22),
                                           '<f4B@x>'), utc(2022, 3, 22), mailbox='Other')
    h.once()                                            # B polled first: takes v2
    filed = {md['raw_sha256'] for _, md in h.entries_all()}
    marked = [m for m in h.bed.messages('intake@example.org') if sha(m.raw) == sha(a)
              and '$Filed' in m.flags]
    assert sha(a) in filed, ('message A lost', 'marked $Filed on the server' if marked else '')
