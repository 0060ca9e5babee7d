"""intakectl diff and the digest's "v2 replaces v1" line (issue 16, item 4):
two versions of one mission filed by the real intaked from the real bed,
compared word by word."""
import os

from harness import IMRF
from mail import count_words, message, multipart, utc
from test_intakectl import IMRF_TO, ctl

BD = '"Mission of Bangladesh" <bangladesh@mofa.gov.bd>'
KEPT = 'This closing paragraph does not change at all.'
UNCHANGED = 'An opening paragraph that stays as it was.'
REMOVED = 'We ask for more funding.'
ADDED = 'Climate adaptation is our priority <script>alert(1)</script>'
V1 = (f'{UNCHANGED}\n\nBangladesh supports a strong declaration. {REMOVED} Thank you.\n\n'
      f'{KEPT}\n')
V2 = (f'{UNCHANGED}\n\nBangladesh supports a strong declaration. Thank you. {ADDED}\n\n'
      f'{KEPT}\n')


def file_two_versions(h, attach=False):
    """v1 and v2 of Bangladesh's input, in the body or as a document."""
    h.config(calls=(IMRF,))
    for n, (text, day) in enumerate(((V1, 20), (V2, 27)), 1):
        date = utc(2022, 3, day, 10)
        msgid = f'<bd{n}@mofa.gov.bd>'
        if attach:
            raw = multipart(BD, IMRF_TO, f'Input v{n}', 'Please find our input attached.\n',
                            date, msgid, [('input.txt', 'text/plain', text.encode())])
        else:
            raw = message(BD, IMRF_TO, f'Input v{n}', text, date, msgid)
        h.append('intake@example.org', raw, date)
        h.once()
    entries = sorted(rel for rel, md in h.entries_all() if rel.startswith('calls/'))
    assert [os.path.basename(e) for e in entries] == ['v1', 'v2'], entries
    return entries


def test_diff_body_versions(h):
    v1, v2 = file_two_versions(h)
    out, _ = ctl(h, 'diff', v2)
    assert f'[-{REMOVED}-]' in out, out
    assert f'{{+{ADDED}+}}' in out, out
    added, removed = count_words(ADDED), count_words(REMOVED)
    assert f'+{added} / −{removed} words' in out, out
    # Unchanged paragraphs collapse to "…"; the changed one is shown whole.
    assert UNCHANGED not in out and KEPT not in out and '…' in out, out
    assert 'Bangladesh supports a strong declaration.' in out, out
    assert '\033[' not in out, out            # no colour when not a tty
    # By id as well, and a first version supersedes nothing.
    md = dict(h.entries_all())[v2]
    assert ctl(h, 'diff', md['id'])[0] == out
    _, err = ctl(h, 'diff', v1, expect=1)
    assert 'supersedes no version' in err, err


def test_diff_html_escapes(h):
    _, v2 = file_two_versions(h)
    out, _ = ctl(h, 'diff', v2, '--html')
    assert '<script>' not in out, out
    assert '&lt;script&gt;alert(1)&lt;/script&gt;' in out, out
    assert f'<del>{REMOVED}</del>' in out, out
    assert '<ins>Climate adaptation' in out, out
    dest = os.path.join(h.dir, 'diff.html')
    out2, _ = ctl(h, 'diff', v2, '--html', '-o', dest)
    assert out2 == '' and open(dest, encoding='utf-8').read() == out


def test_diff_document_versions(h):
    """The counted text of a document is kept (text.txt): diff compares
    the documents, not the covering mails (which are the same)."""
    _, v2 = file_two_versions(h, attach=True)
    assert os.path.exists(os.path.join(h.spool, v2, 'text.txt'))
    out, _ = ctl(h, 'diff', v2)
    assert f'[-{REMOVED}-]' in out and f'{{+{ADDED}+}}' in out, out


def test_digest_says_what_changed(h):
    file_two_versions(h)
    out, _ = ctl(h, 'digest', 'imrf-2022')
    line = f'v2 replaces v1: +{count_words(ADDED)} / −{count_words(REMOVED)} words'
    assert line in out, out


def test_diff_older_entries_use_body(h):
    """Entries filed before text.txt was kept: their body.txt is compared."""
    v1, v2 = file_two_versions(h)
    for rel in (v1, v2):
        os.unlink(os.path.join(h.spool, rel, 'text.txt'))
    out, _ = ctl(h, 'diff', v2)
    assert '(body.txt)' in out and f'[-{REMOVED}-]' in out, out
    assert f'+{count_words(ADDED)} / −{count_words(REMOVED)} words' in out, out
