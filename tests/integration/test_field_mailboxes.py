"""Mailboxes as people really use them (issue 13): a secretariat member
reads, flags, marks unread or moves messages in Outlook while intaked
works, on servers with and without keywords (Exchange Online's INBOX has
no \\* in PERMANENTFLAGS) and with and without MOVE/UIDPLUS. Whatever they
do, each input is filed exactly once: what is pending is decided by
intaked's own records (UIDVALIDITY, a UID high-water mark, the ledger),
not by \\Seen or $Filed.

The scenarios are functions of (h, server, after_filing), so that another
IMAP server can be swapped in: server is a context manager whose __enter__
returns an object with .url (the mailbox URL intaked is given, folder
INBOX). The person's actions go through h.bed.imap(user) (plain IMAP:
STORE, COPY, EXPUNGE; MOVE only if offered). Here the server is the bed's
Dovecot, directly or behind capproxy.CapProxy hiding \\* (keywordless) and/or
MOVE and UIDPLUS."""
import contextlib
import json
import os
import re

from capproxy import CapProxy
from harness import Harness
from mail import utc
from test_connection import INBOX_USER, filed_once, submission

FOLDERS = ('INBOX', 'Filed', 'Elsewhere')
RECORD = ('UID SEARCH', 'UID STORE')


# ------------------------------------------------------------ servers

class Direct:
    """The bed's Dovecot as it is (keywords, MOVE, UIDPLUS)."""
    name = 'dovecot'

    def __init__(self, h):
        self.url = f'imaps://127.0.0.1:{h.bed.imaps_port}/INBOX'

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@contextlib.contextmanager
def proxied(h, keywordless=False, hide=(), **kw):
    with CapProxy(h.bed, hide=hide, keywordless=keywordless, **kw) as proxy:
        proxy.url = f'imaps://127.0.0.1:{proxy.port}/INBOX'
        yield proxy


def servers(h):
    """(name, server factory) for every combination run here."""
    return [
        ('keywords', lambda: Direct(h)),
        ('keywordless', lambda: proxied(h, keywordless=True, record=RECORD)),
        ('keywordless-nomove', lambda: proxied(h, keywordless=True, hide=('MOVE', 'UIDPLUS'),
                                               record=RECORD)),
        ('keywords-nomove', lambda: proxied(h, hide=('MOVE', 'UIDPLUS'), record=RECORD)),
    ]


# ------------------------------------------------------- a person's hands

def _uid_of(c, raw):
    # Not one left marked \\Deleted by a COPY without UIDPLUS.
    typ, data = c.uid('SEARCH', 'UNDELETED', 'HEADER', 'Message-ID', _msgid(raw))
    assert typ == 'OK', data
    uids = data[0].split()
    assert len(uids) == 1, (uids, _msgid(raw))
    return uids[0].decode()


def _msgid(raw):
    return re.search(rb'^Message-ID: (<[^>]+>)', raw, re.M | re.I).group(1).decode()


def person_store(h, raw, op, flags, folder='INBOX'):
    """A person's client changes the flags of one message (op: '+FLAGS' or
    '-FLAGS', flags: '(\\\\Seen)')."""
    with h.bed.imap(INBOX_USER) as c:
        c.select(f'"{folder}"')
        typ, data = c.uid('STORE', _uid_of(c, raw), op, flags)
        assert typ == 'OK', data


def person_move(h, raw, src, dst):
    """A person moves one message (COPY, \\Deleted, EXPUNGE of that UID only,
    as clients without MOVE do). Its flags go with it."""
    with h.bed.imap(INBOX_USER) as c:
        c.select(f'"{src}"')
        uid = _uid_of(c, raw)
        typ, data = c.uid('COPY', uid, f'"{dst}"')
        assert typ == 'OK', data
        c.uid('STORE', uid, '+FLAGS.SILENT', '(\\Deleted)')
        typ, data = c.uid('EXPUNGE', uid)
        assert typ == 'OK', data


def fresh(h):
    """A new spool and empty folders: one combination after another in a
    test."""
    h2 = Harness(h.bed, h.build, keep=h.keep)
    for folder in FOLDERS:
        h2.bed.append(INBOX_USER, b'Subject: x\r\n\r\nx\r\n', utc(2022, 1, 1), mailbox=folder)
        h2.bed.clear(INBOX_USER, mailbox=folder)
    return h2


def configure(h, server, after_filing):
    h.config(mailbox={'url': server.url, 'after_filing': after_filing})


def new_work(p):
    """The filing events of one run."""
    return [ln for ln in p.stderr.splitlines() if 'event=filed ' in ln]


# ------------------------------------------------------------ scenarios

def scenario_read_before_intaked_saw_it(h, server, after_filing, tag):
    """Inputs already \\Seen (and \\Flagged) before the first run are filed;
    a second run files nothing; an input that arrives and is read by a
    person between two runs is filed by the next."""
    raws = [h.append(INBOX_USER, submission(i, tag), utc(2022, 3, 20, 9, i)) for i in range(3)]
    person_store(h, raws[0], '+FLAGS', '(\\Seen)')
    person_store(h, raws[1], '+FLAGS', '(\\Flagged)')
    with server as srv:
        configure(h, srv, after_filing)
        p = h.once()
        filed_once(h, raws)
        assert len(new_work(p)) == 3, p.stderr[-3000:]
        p = h.once()
        assert new_work(p) == [] and 'event=duplicate' not in p.stderr, p.stderr[-3000:]
        late = h.append(INBOX_USER, submission(3, tag), utc(2022, 3, 20, 9, 3))
        person_store(h, late, '+FLAGS', '(\\Seen)')
        p = h.once()
        assert len(new_work(p)) == 1, p.stderr[-3000:]
        filed_once(h, raws + [late])
        p = h.once()
        assert new_work(p) == [] and 'event=pending' not in p.stderr, p.stderr[-3000:]
    return srv


def scenario_person_handles_filed_mail(h, server, after_filing, tag):
    """After filing, a person marks the inputs unread, flags one, and moves
    one out and back in: nothing is filed again (the one moved back has a
    new UID; the ledger knows its bytes)."""
    raws = [h.append(INBOX_USER, submission(i, tag), utc(2022, 3, 20, 9, i)) for i in range(2)]
    moving = after_filing.startswith('move:')
    where = after_filing[5:] if moving else 'INBOX'
    with server as srv:
        configure(h, srv, after_filing)
        h.once()
        filed_once(h, raws)
        for raw in raws:
            person_store(h, raw, '-FLAGS', '(\\Seen)', folder=where)
        person_store(h, raws[0], '+FLAGS', '(\\Flagged)', folder=where)
        p = h.once()
        assert new_work(p) == [] and 'event=duplicate' not in p.stderr, p.stderr[-3000:]
        # What the person marked unread stays unread: intaked's records,
        # not \\Seen, say it is done.
        mine = [m for m in h.bed.messages(INBOX_USER, where)
                if m.raw in raws and '\\Deleted' not in m.flags]
        assert mine and all('\\Seen' not in m.flags for m in mine), [m.flags for m in mine]
        # Back into the watched folder (from Filed; or out to another
        # folder and back), unread.
        if moving:
            person_move(h, raws[1], where, 'INBOX')
        else:
            person_move(h, raws[1], 'INBOX', 'Elsewhere')
            person_move(h, raws[1], 'Elsewhere', 'INBOX')
        person_store(h, raws[1], '-FLAGS', '(\\Seen)')
        back = [m for m in h.bed.messages(INBOX_USER) if m.raw == raws[1]
                and '\\Deleted' not in m.flags]
        p = h.once()
        assert new_work(p) == [], p.stderr[-3000:]
        # Fetched and known by its SHA-256; unless it came back with
        # intaked's own $Filed (flag mode, a server with keywords).
        dup = p.stderr.count('event=duplicate ')
        assert dup == (0 if '$Filed' in back[0].flags else 1), p.stderr[-3000:]
        filed_once(h, raws)
        p = h.once()
        assert new_work(p) == [] and 'event=duplicate' not in p.stderr, p.stderr[-3000:]
        filed_once(h, raws)
    return srv


def run_matrix(h, scenario, tag):
    for name, make in servers(h):
        for after_filing in ('flag', 'move:Filed'):
            h2 = fresh(h)
            label = f'{tag}-{name}-{after_filing[:4]}'
            try:
                srv = scenario(h2, make(), after_filing, label)
                if name.startswith('keywordless'):
                    # Never a keyword where the folder takes none.
                    sent = b''.join(srv.lines) + ' '.join(srv.commands).encode()
                    assert b'$Filed' not in sent, sent[-500:]
                print(f'  {label}: ok')
            except Exception:
                h2.dump_logs()
                raise
            finally:
                h2.cleanup()


# ---------------------------------------------------------------- tests

def test_read_before_intaked_saw_it_is_filed_once(h):
    run_matrix(h, scenario_read_before_intaked_saw_it, 'read')


def test_person_handling_filed_mail_refiles_nothing(h):
    run_matrix(h, scenario_person_handles_filed_mail, 'touch')


def test_keywords_go_out_as_atoms(h):
    # Cyrus answers BAD to UNKEYWORD "$Filed": a keyword is an atom
    # (RFC 3501 flag-keyword), never a quoted string, in SEARCH and STORE.
    h.append(INBOX_USER, submission(0, 'atoms'), utc(2022, 3, 20, 9))
    with proxied(h, record=('UID SEARCH', 'UID STORE')) as proxy:
        configure(h, proxy, 'flag')
        h.once()
        search = [ln for ln in proxy.lines if b' UID SEARCH ' in ln.upper()]
        store = [ln for ln in proxy.lines if b' UID STORE ' in ln.upper()]
        assert search and store, proxy.lines
        for ln in search + store:
            assert b'"$Filed"' not in ln and b'{' not in ln, ln
        assert any(re.search(rb' KEYWORD \$Filed\b', ln) for ln in search), search
        assert any(re.search(rb'\(\\Seen \$Filed\)', ln) for ln in store), store


def test_command_rejected_as_malformed_raises_the_alarm(h):
    # A server that refuses our SEARCH as malformed (BAD): its text is in
    # the log and the alarm, at once; no retrying as if it were a
    # temporary fault (exit 70 with --once, not 75).
    h.append(INBOX_USER, submission(0, 'bad'), utc(2022, 3, 20, 9))
    text = b'Invalid flag name in Search command'
    with proxied(h, reject={'UID SEARCH': text}) as proxy:
        h.config(mailbox={'url': proxy.url, 'alarm_after': '30m'},
                 smtp={'operators': 'ops@example.org'})
        p = h.once('--now', '2022-03-29T12:00:00Z', expect=70)
        assert proxy.rejected == 1, proxy.commands
        failed = [ln for ln in p.stderr.splitlines() if 'event=imap-failed' in ln]
        assert failed and text.decode() in failed[0], p.stderr[-3000:]
        assert 'class=protocol' in failed[0], failed[0]
        assert 'event=alarm recipients=2' in p.stderr, p.stderr[-3000:]
        assert os.path.exists(os.path.join(h.spool, 'state', 'alarm'))
        with open(os.path.join(h.spool, 'state', 'alarm')) as f:
            assert text.decode() in f.read()
    assert not h.entries_all()


def scenario_skipped_input_below_the_mark(h, server, after_filing, tag):
    """An input skipped (over twice max_message_size: not downloaded) while
    later ones are filed lies below the high-water mark: it is asked for
    again on every pass and filed once it can be."""
    big = submission(0, tag).replace('\n\n', '\n\n' + 'x' * 76 + '\n', 1) + ('y' * 76 + '\n') * 400
    raws = [h.append(INBOX_USER, big, utc(2022, 3, 20, 9)),
            h.append(INBOX_USER, submission(1, tag), utc(2022, 3, 20, 9, 1))]
    with server as srv:
        h.config(mailbox={'url': srv.url, 'after_filing': after_filing},
                 limits={'max_message_size': '10K'})
        p = h.once()
        assert 'event=message-skipped' in p.stderr and len(new_work(p)) == 1, p.stderr[-3000:]
        with open(os.path.join(h.spool, 'state', 'highwater')) as f:
            state = json.load(f)['INBOX']
        assert len(state['retry']) == 1 and state['mark'] > state['retry'][0], state
        p = h.once()
        assert 'count=1' in p.stderr and new_work(p) == [], p.stderr[-3000:]
        h.config(mailbox={'url': srv.url, 'after_filing': after_filing})
        p = h.once()
        assert len(new_work(p)) == 1, p.stderr[-3000:]
        filed_once(h, raws)
        p = h.once()
        assert 'event=pending' not in p.stderr and new_work(p) == [], p.stderr[-3000:]
    return srv


def test_skipped_input_below_the_mark_is_filed_later(h):
    for name, make in servers(h)[:2]:
        h2 = fresh(h)
        try:
            scenario_skipped_input_below_the_mark(h2, make(), 'flag', f'skip-{name}')
            print(f'  skip-{name}: ok')
        except Exception:
            h2.dump_logs()
            raise
        finally:
            h2.cleanup()
