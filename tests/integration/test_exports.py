"""Exports for spreadsheets (issue 16, item 2): intakectl export --format
xlsx read back by openpyxl (a reader no one here wrote), and the CSV's
UTF-8 BOM and ISO 8601 columns, against a spool the real intaked filed."""
import csv
import io
import os
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

try:
    import openpyxl
except ImportError:   # Debian's python3-openpyxl under another python3 (pyenv)
    sys.path.append('/usr/lib/python3/dist-packages')
    import openpyxl

from mail import multipart, utc
from test_intakectl import IMRF_TO, ctl, populate

BROKEN_PDF = b'%PDF-1.4\nthis is not really a PDF\n'


def add_unreadable(h):
    """A version whose attachment cannot be read; its (relpath, metadata)."""
    h.append('intake@example.org',
             multipart('Misión de México <mexico@sre.gob.mx>', IMRF_TO, 'Aporte revisado',
                       'Adjunto.\n', utc(2022, 3, 29, 23, 45), '<mx2@sre.gob.mx>',
                       [('Aporte de México.pdf', 'application/pdf', BROKEN_PDF)]),
             utc(2022, 3, 29, 23, 45))
    h.once()
    [hit] = [(rel, md) for rel, md in h.entries_all() if md.get('message_id') == '<mx2@sre.gob.mx>']
    return hit


def wall(iso, zone):
    """The wall time in zone of a metadata time, naive, to the minute (as
    a spreadsheet shows it)."""
    t = datetime.strptime(iso, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=timezone.utc)
    return t.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0)


def sheet_rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], r)) for r in rows[1:]]


def test_xlsx_typed_sheets(h):
    e = populate(h)
    mx2 = add_unreadable(h)
    spool = {md['id']: (rel, md) for rel, md in list(e.values()) + [mx2]
             if md.get('call') == 'imrf-2022' and md['kind'] == 'submission'}
    path = os.path.join(h.dir, 'imrf.xlsx')

    # Binary to a terminal is wrong: -o is required for xlsx.
    _, err = ctl(h, 'export', 'imrf-2022', '--format', 'xlsx', expect=64)
    assert '-o' in err, err
    ctl(h, 'export', 'imrf-2022', '--format', 'xlsx', '-o', path)
    assert not os.path.exists(path + '.tmp')
    # A file that cannot be written is an I/O error (74), nothing left behind.
    nowhere = os.path.join(h.dir, 'no-such-dir', 'x.xlsx')
    _, err = ctl(h, 'export', 'imrf-2022', '--format', 'xlsx', f'--output={nowhere}', expect=74)
    assert 'x.xlsx' in err and not os.path.exists(os.path.dirname(nowhere)), err

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ['Submissions', 'Missing', 'Unreadable'], wb.sheetnames
    for ws in wb.worksheets:
        assert ws.freeze_panes == 'A2', (ws.title, ws.freeze_panes)
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith('A1:'), ws.title

    head, rows = sheet_rows(wb['Submissions'])
    for col in ('submitter', 'version', 'current', 'received_local', 'received_at', 'words',
                'deadline_local', 'deadline_at', 'extension', 'language', 'id'):
        assert col in head, head
    assert {r['id'] for r in rows} == set(spool), rows
    for r in rows:
        rel, md = spool[r['id']]
        assert r['path'] == rel
        assert isinstance(r['received_local'], datetime), r
        assert r['received_local'] == wall(md['received_at'], md['zone']), (r, md)
        assert r['received_at'] == md['received_at'], r
        assert isinstance(r['deadline_local'], datetime), r
        assert r['deadline_local'] == wall(md['deadline'], md['zone']), (r, md)
        assert r['extension'] == ('yes' if md['extended'] else 'no'), r
        assert r['language'] in (md.get('language') or '', None), r
        assert r['version'] == md['version'] and isinstance(r['version'], int), r
        if md['word_count'] is None:
            assert r['words'] in ('', None), r
        else:
            assert r['words'] == md['word_count'] and isinstance(r['words'], int), r
    cur = {r['id']: r['current'] for r in rows}
    assert cur[e['bd1'][1]['id']] is False and cur[e['bd2'][1]['id']] is True, cur
    assert cur[e['mx1'][1]['id']] is False and cur[mx2[1]['id']] is True, cur
    # The date cells are formatted as dates, to the minute.
    ws = wb['Submissions']
    cell = ws.cell(row=2, column=head.index('received_local') + 1)
    assert cell.is_date and cell.number_format == 'yyyy-mm-dd hh:mm', cell.number_format
    assert rows[0]['submitter'] == 'Bangladesh', rows[0]

    # Missing: the members the missing command names.
    out, _ = ctl(h, 'missing', 'imrf-2022')
    mhead, missing = sheet_rows(wb['Missing'])
    assert mhead[0] == 'member' and 'deadline_local' in mhead, mhead
    assert len(missing) == 1 and missing[0]['member'] in out, (missing, out)
    assert isinstance(missing[0]['deadline_local'], datetime), missing

    # Unreadable: the document metadata says could not be read.
    uhead, bad = sheet_rows(wb['Unreadable'])
    errs = [(md['id'], d['name'], d['error']) for _, md in spool.values()
            for d in md['documents'] if d.get('error')]
    assert errs and errs[0][1] == 'Aporte de México.pdf', errs
    assert [(r['id'], r['document'], r['reason']) for r in bad] == errs, bad


def test_csv_bom_and_iso(h):
    e = populate(h)
    out, _ = ctl(h, 'export', 'imrf-2022', '--format', 'csv')
    assert out.startswith('\ufeff'), out[:20]
    rows = list(csv.DictReader(io.StringIO(out[1:], newline='')))
    fr = [r for r in rows if r['id'] == e['fr1'][1]['id']][0]
    assert fr['received_at'] == '2022-03-29T21:00:00Z', fr
    assert fr['received_local'] == '2022-03-29 17:00 EDT', fr
    assert fr['deadline_at'] == '2022-03-29T22:00:00Z', fr
    assert fr['deadline_local'] == '2022-03-29 18:00 EDT', fr
    assert fr['extension'] == 'no' and fr['language'] == 'fr' and fr['current'] == 'true', fr
    mx = [r for r in rows if r['id'] == e['mx1'][1]['id']][0]
    assert mx['submitter'] == 'Mexico', mx

    out2, _ = ctl(h, 'export', 'imrf-2022', '--format', 'csv', '--no-bom')
    assert out2 == out[1:], out2[:40]
    path = os.path.join(h.dir, 'imrf.csv')
    ctl(h, 'export', 'imrf-2022', '--format', 'csv', '--output', path)
    with open(path, 'rb') as f:
        raw = f.read()
    assert raw.startswith(b'\xef\xbb\xbfsubmitter,') and b'\r\n' in raw, raw[:40]
    assert raw.decode('utf-8').replace('\r\n', '\n') == out, path
