"""Acknowledgements that cannot be delivered, and an MTA that is down."""
import glob
import os

from mail import message, utc
from netfault import FaultProxy


def test_permanent_refusal_is_recorded_as_failed(h):
    h.config()
    h.append('intake@example.org',
             message('Ghost <ghost@gmail.test>', 'intake+imrf@example.org', 'Input',
                     'Our input.\n', utc(2022, 3, 20), '<ghost1@gmail.test>'),
             utc(2022, 3, 20))
    h.once('-v')  # a 5xx for one recipient is final, not a server outage: exit 0
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'failed', md['ack']
    assert md['ack']['to'] == 'ghost@gmail.test'
    assert md['ack']['error'], md['ack']     # what the server said
    assert len(glob.glob(os.path.join(h.spool, 'outbox/failed/*'))) == 1
    assert glob.glob(os.path.join(h.spool, 'outbox/queue/*')) == []


def test_mta_down_then_up_delivers_exactly_once(h):
    h.config()
    h.append('intake@example.org',
             message('France ONU <france@diplomatie.gouv.fr>', 'intake+imrf@example.org',
                     'Contribution', 'Notre contribution.\n', utc(2022, 3, 21),
                     '<mta1@diplomatie.gouv.fr>'),
             utc(2022, 3, 21))
    h.bed.stop_mta()
    try:
        h.once(expect=75)  # filed, acknowledgement queued, SMTP unreachable
        [(rel, md)] = h.submissions()
        assert md['ack']['state'] == 'queued', md['ack']
    finally:
        h.bed.start_mta()
    # The retry is due only after its backoff: move the scheduling clock on
    # by two hours (the longest backoff is one hour, expiry three days).
    h.once('--now', h.iso_now(hours=2))
    [(rel, md)] = h.submissions()
    assert md['ack']['state'] == 'sent', md['ack']
    assert len(h.mails('france@diplomatie.gouv.fr', 1)) == 1
    h.once('--now', h.iso_now(hours=3))
    assert len(h.inbox('france@diplomatie.gouv.fr')) == 1


SENDERS = ['France ONU <france@diplomatie.gouv.fr>', 'Chile <chile@minrel.gob.cl>',
           'Ghost <ghost@gmail.test>', 'Kenya <kenya@mfa.go.ke>', 'Peru <peru@rree.gob.pe>',
           'Japan <japan@mofa.go.jp>']


def _append_inputs(h, senders):
    for i, sender in enumerate(senders):
        h.append('intake@example.org',
                 message(sender, 'intake+imrf@example.org', f'Input {i}', f'Our input {i}.\n',
                         utc(2022, 3, 20, 9, i), f'<flush{i}@example.net>'),
                 utc(2022, 3, 20, 9, i))


def _acks_through_proxy(h, smtp=None):
    """Run --once with the submission port behind a counting proxy; return
    how many connections intaked opened, and the ack records by address."""
    with FaultProxy(h.bed.submission_port) as proxy:
        h.config(smtp=dict({'url': f'smtp://127.0.0.1:{proxy.port}'}, **(smtp or {})))
        h.once('-v')
        connections = proxy.connections
    return connections, {md['ack']['to']: md['ack'] for _, md in h.submissions()}


def test_one_smtp_session_per_flush_and_a_refusal_fails_one(h):
    """Six acknowledgements leave in one session; the refused recipient in the
    middle fails alone and the session after it is a fresh one."""
    _append_inputs(h, SENDERS)
    connections, acks = _acks_through_proxy(h)
    assert acks['ghost@gmail.test']['state'] == 'failed', acks
    sent = [a for to, a in acks.items() if to != 'ghost@gmail.test']
    assert [a['state'] for a in sent] == ['sent'] * 5, acks
    assert connections == 2, f'{connections} SMTP connections for 6 acknowledgements'
    assert len(h.mails('france@diplomatie.gouv.fr', 1)) == 1


def test_smtp_session_is_capped(h):
    """[smtp] session_max = 2: five acknowledgements take three sessions."""
    _append_inputs(h, [s for s in SENDERS if 'ghost' not in s])
    connections, acks = _acks_through_proxy(h, smtp={'session_max': '2'})
    assert [a['state'] for a in acks.values()] == ['sent'] * 5, acks
    assert connections == 3, f'{connections} SMTP connections for 5 acknowledgements, 2 a session'
