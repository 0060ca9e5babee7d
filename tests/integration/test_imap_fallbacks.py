"""IMAP fallbacks against the real Dovecot with some capabilities hidden by
a proxy (capproxy.py): after_filing = move:FOLDER without MOVE (UID COPY,
STORE, UID EXPUNGE), and without MOVE and UIDPLUS (copied, then left
marked \\Deleted: a plain EXPUNGE would destroy what other clients marked
\\Deleted); OAUTHBEARER without SASL-IR is in test_oauth.py."""
from capproxy import CapProxy
from mail import utc
from test_connection import INBOX_USER, filed_once, submission


def proxied(h, proxy, **mailbox):
    h.config(mailbox=dict({'url': f'imaps://127.0.0.1:{proxy.port}/INBOX',
                           'after_filing': 'move:Filed'}, **mailbox))


def test_move_without_move_capability_copies_stores_and_expunges(h):
    raws = [h.append(INBOX_USER, submission(i, 'nomove'), utc(2022, 3, 20, 9, i))
            for i in range(3)]
    with CapProxy(h.bed, hide=('MOVE',)) as proxy:
        proxied(h, proxy)
        h.once()
        # The fallback ran, and nothing else moved them.
        assert proxy.hidden > 0
        cmds = proxy.commands
        assert 'UID COPY' in cmds and 'UID STORE' in cmds and 'UID EXPUNGE' in cmds, cmds
        assert not {'MOVE', 'UID MOVE', 'EXPUNGE'} & set(cmds), cmds
        assert cmds.index('UID COPY') < cmds.index('UID EXPUNGE')
        # All in Filed, once; none left in INBOX, not even marked \Deleted.
        assert h.bed.messages(INBOX_USER) == []
        filed = h.bed.messages(INBOX_USER, 'Filed')
        assert sorted(m.raw for m in filed) == sorted(raws)
        filed_once(h, raws)
        # A second run finds nothing to do and copies nothing.
        n = len(proxy.commands)
        p = h.once()
        assert 'event=pending' not in p.stderr
        assert 'UID COPY' not in proxy.commands[n:]
        assert len(h.bed.messages(INBOX_USER, 'Filed')) == 3


def test_move_without_move_or_uidplus_leaves_them_marked_deleted(h):
    raws = [h.append(INBOX_USER, submission(i, 'nouidplus'), utc(2022, 3, 20, 9, i))
            for i in range(2)]
    # Another client's message, marked \Deleted (and already handled, so
    # intaked does not want it): a plain EXPUNGE would destroy it.
    other = submission(9, 'other').replace('\r\n', '\n').replace('\n', '\r\n').encode()
    h.bed.append(INBOX_USER, other, utc(2022, 3, 20, 9, 9), flags='\\Deleted \\Seen $Filed')
    with CapProxy(h.bed, hide=('MOVE', 'UIDPLUS')) as proxy:
        proxied(h, proxy)
        p = h.once()
        assert 'event=imap_no_uidplus' in p.stderr, p.stderr[-2000:]
        cmds = proxy.commands
        assert 'UID COPY' in cmds and 'UID STORE' in cmds, cmds
        assert not {'MOVE', 'UID MOVE', 'EXPUNGE', 'UID EXPUNGE'} & set(cmds), cmds
        filed = h.bed.messages(INBOX_USER, 'Filed')
        assert sorted(m.raw for m in filed) == sorted(raws)
        filed_once(h, raws)
        # Still in INBOX, marked \Deleted and filed; the other one intact.
        inbox = h.bed.messages(INBOX_USER)
        assert sorted(m.raw for m in inbox) == sorted(raws + [other])
        for m in inbox:
            assert {'\\Deleted', '\\Seen', '$Filed'} <= set(m.flags), m.flags
        # Filed, so never pending again: no second copy.
        n = len(proxy.commands)
        p = h.once()
        assert 'event=pending' not in p.stderr
        assert 'UID COPY' not in proxy.commands[n:]
        assert len(h.bed.messages(INBOX_USER, 'Filed')) == 2
