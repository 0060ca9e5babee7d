"""Acknowledgements that cannot be delivered, and an MTA that is down."""
import glob
import os

from mail import message, utc


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
