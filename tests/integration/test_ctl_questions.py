"""intakectl answers questions (issue 16, item 5): an entry named by its
id, a prefix of it or the spool path the daemon's log prints; list filters
and --json; output within 100 columns; calls that tell roster members from
other senders; remind --dry-run that says why not."""
import json
import re
from datetime import datetime, timedelta, timezone

from harness import GCM, IMRF
from test_intakectl import FUTURE, ctl, populate


def test_entry_by_id_prefix_or_path(h):
    got = populate(h)
    rel, md = got['bd2']
    out, _ = ctl(h, 'show', md['id'])
    assert md['id'] in out, out
    # The path the log prints, bare, with a slash, under the spool.
    for name in (rel, rel + '/', f'{h.spool}/{rel}'):
        out2, _ = ctl(h, 'show', name)
        assert out2 == out, (name, out2)
    # The shortest prefix that no other entry shares.
    ids = [m['id'] for _, m in h.entries_all()]
    n = next(k for k in range(8, len(md['id']))
             if sum(i.startswith(md['id'][:k]) for i in ids) == 1)
    out2, _ = ctl(h, 'show', md['id'][:n])
    assert out2 == out
    # A prefix shared by several entries names them and is a usage error.
    _, err = ctl(h, 'show', md['id'][:4], expect=64)
    assert 'ambiguous' in err and md['id'] in err, err
    ctl(h, 'show', 'calls/imrf-2022/bangladesh/v9', expect=1)
    ctl(h, 'show', 'calls/../../etc/passwd', expect=1)
    # Every command that names an entry takes the same forms.
    out, _ = ctl(h, 'resend-ack', rel)
    assert 'queued' in out, out


def test_show_status_is_one_word_when_it_says_it_all(h):
    got = populate(h)
    out, _ = ctl(h, 'show', got['mx1'][0])          # late = flag: status late, timeliness late
    [line] = [ln for ln in out.splitlines() if ln.startswith('status:')]
    assert re.fullmatch(r'status:\s+late', line), line
    out, _ = ctl(h, 'show', got['bd2'][0])
    [line] = [ln for ln in out.splitlines() if ln.startswith('status:')]
    assert re.fullmatch(r'status:\s+accepted \(on time\)', line), line


def rows_json(h, *flags):
    out, _ = ctl(h, 'list', 'imrf-2022', '--json', *flags)
    return {r['id']: r for r in json.loads(out)}


def test_list_filters(h):
    got = populate(h)
    everything = rows_json(h)
    assert len(everything) == 5, sorted(everything)      # bd1, bd2, fr1, mx1, st1
    ids = {k: got[k][1]['id'] for k in ('bd1', 'bd2', 'fr1', 'mx1', 'st1')}
    assert set(rows_json(h, '--current')) == {ids['bd2'], ids['fr1'], ids['mx1'], ids['st1']}
    assert set(rows_json(h, '--late')) == {ids['mx1']}
    assert set(rows_json(h, '--unverified')) == {ids['st1']}
    assert set(rows_json(h, '--since', '2022-03-28')) == {ids['bd2'], ids['fr1'], ids['mx1']}
    assert set(rows_json(h, '--since', '2022-03-29T22:00:00Z')) == {ids['mx1']}
    assert set(rows_json(h, '--current', '--since', '2022-03-29')) == {ids['fr1'], ids['mx1']}
    assert rows_json(h, '--over-limit') == {}
    assert rows_json(h, '--unreadable') == {}
    ctl(h, 'list', 'imrf-2022', '--since', 'last week', expect=64)
    # The human table: the same rows, within 100 columns.
    out, _ = ctl(h, 'list', 'imrf-2022', '--late')
    assert ids['mx1'][:21] in out and ids['bd2'][:21] not in out, out
    # A shown id is enough for show.
    ctl(h, 'show', ids['mx1'][:21])
    for args in (('list', 'imrf-2022'), ('calls',), ('missing', 'imrf-2022'),
                 ('show', got['fr1'][0]), ('status',)):
        out, _ = ctl(h, *args)
        wide = [ln for ln in out.splitlines() if len(ln) > 100]
        assert not wide, (args, wide)


def test_calls_tells_members_from_other_senders(h):
    populate(h)
    out, _ = ctl(h, 'calls')
    [imrf] = [ln for ln in out.splitlines() if ln.startswith('imrf-2022')]
    # Bangladesh, France, Mexico of 4 members; the stranger is not one.
    assert re.search(r'\b3 of 4\b', imrf) and re.search(r'\b1 other\b', imrf), out
    assert re.search(r'MISSING', out) and re.search(r'\b1 of 4\b', imrf), out


def test_remind_dry_run_says_why_not(h):
    populate(h, calls=(dict(IMRF, reminders='7d'), GCM, dict(FUTURE, remind='all')))
    # Past the deadline: nothing is due, and it says so.
    out, _ = ctl(h, 'remind', 'imrf-2022', '--dry-run')
    assert 'deadline' in out and 'passed' in out, out
    later = (datetime.now(timezone.utc) + timedelta(days=25)).strftime('%Y-%m-%dT%H:%M:%SZ')
    out, _ = ctl(h, '--now', later, 'remind', 'future-2030', '--dry-run')
    lines = out.splitlines()
    # One line per member: Bangladesh's roster entry has a domain only.
    [bd] = [ln for ln in lines if ln.startswith('Bangladesh')]
    assert 'bangladesh@un.int' in bd, bd
    [fr] = [ln for ln in lines if ln.startswith('France')]
    assert 'france@diplomatie.gouv.fr' in fr, fr
    # Before the first offset: when the next reminder falls.
    out, _ = ctl(h, 'remind', 'future-2030', '--dry-run')
    assert 'next reminder' in out, out
    # A call without reminders says so.
    out, _ = ctl(h, 'remind', 'gcm-2022', '--dry-run')
    assert 'no reminders' in out, out
