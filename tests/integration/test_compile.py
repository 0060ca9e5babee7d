"""intakectl compile (issue 17): one PDF of the current accepted inputs of
a call, from a spool the real intaked filed from the bed. The PDF is read
back with poppler (pdfinfo, pdftotext, pdffonts) and qpdf --json: page
count, bookmarks, table of contents, bands, Arabic and Chinese text set in
embedded fonts, and a page naming each document that could not be read."""
import json
import os
import pty
import re
import shutil
import subprocess
import sys

from harness import IMRF
from mail import message, multipart, utc
from test_intakectl import ctl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
import make_docs  # noqa: E402

TO = 'intake+imrf@example.org'
ROSTER = '''name,addresses
Bangladesh,@mofa.gov.bd
China,china@mfa.gov.cn
Côte d'Ivoire,civ@diplomatie.gouv.ci
Croatia,croatia@mvep.hr
Egypt,egypt@mfa.gov.eg
France,france@diplomatie.gouv.fr
Mexico,@sre.gob.mx
Zambia,zambia@mfa.gov.zm
'''
CALL = dict(IMRF, ack_per_sender_per_day='0')
AR_TEXT = make_docs.TEXTS['ar'][0][0]
ZH_TEXT = make_docs.TEXTS['zh'][0][0]
PDF = 'application/pdf'
DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
BY_NAME = ['Bangladesh', 'China', "Côte d'Ivoire", 'Croatia', 'Egypt', 'France', 'Zambia']
BY_RECEIVED = ["Côte d'Ivoire", 'China', 'Egypt', 'France', 'Croatia', 'Zambia', 'Bangladesh']


def pdf_pages(n, who):
    """A PDF of n pages with a text layer (one paragraph a page)."""
    paras = [f'{who} page {i + 1}: ' + ' '.join(['statement'] * 30) for i in range(n)]
    return make_docs.make_pdf(paras, False, lines_per_page=6, width=60)


def populate(h):
    """The test call as intaked files it. Bangladesh v1 (body) is superseded
    by v2 (a 3-page PDF); Mexico is late; the stranger is no member."""
    h.config(calls=(CALL,), roster=ROSTER)
    one = lambda frm, subj, body, when, mid: (message(frm, TO, subj, body, when, mid), when)
    att = lambda frm, subj, when, mid, files: (
        multipart(frm, TO, subj, 'Please find our input attached.\n', when, mid, files), when)
    msgs = [
        one('Bangladesh <bangladesh@mofa.gov.bd>', 'Input', 'A first input in the body.\n',
            utc(2022, 3, 20, 14), '<bd1@mofa.gov.bd>'),
        att('Bangladesh <bangladesh@mofa.gov.bd>', 'Revised input', utc(2022, 3, 28, 9),
            '<bd2@mofa.gov.bd>', [('Bangladesh input.pdf', PDF, pdf_pages(3, 'Bangladesh'))]),
        att("Côte d'Ivoire <civ@diplomatie.gouv.ci>", 'Contribution', utc(2022, 3, 21, 10),
            '<civ@gouv.ci>', [('Contribution CIV.pdf', PDF, pdf_pages(1, 'Ivoire'))]),
        one('China <china@mfa.gov.cn>', 'Input', ZH_TEXT + '\n', utc(2022, 3, 22, 10),
            '<cn@mfa.gov.cn>'),
        one('Egypt <egypt@mfa.gov.eg>', 'Input', AR_TEXT + '\n', utc(2022, 3, 23, 10),
            '<eg@mfa.gov.eg>'),
        att('France <france@diplomatie.gouv.fr>', 'Contribution', utc(2022, 3, 24, 10),
            '<fr@gouv.fr>', [('Contribution France.docx', DOCX, make_docs.make_docx('fr'))]),
        att('Croatia <croatia@mvep.hr>', 'Input', utc(2022, 3, 25, 10), '<hr@mvep.hr>',
            [('Croatia input.docx', DOCX, b'PK\x03\x04 this is not a zip archive')]),
        att('Zambia <zambia@mfa.gov.zm>', 'Input', utc(2022, 3, 26, 10), '<zm@mfa.gov.zm>',
            [('Zambia statement.pdf', PDF, b'%PDF-1.4\n1 0 obj garbage\n%%EOF\n')]),
        one('Mexico <mexico@sre.gob.mx>', 'Aporte', 'México aporta su contribución tardía.\n',
            utc(2022, 3, 29, 23, 30), '<mx@sre.gob.mx>'),
        one('A. Stranger <stranger@gmail.test>', 'Input', 'An observer writes in.\n',
            utc(2022, 3, 25, 10), '<st@gmail.test>'),
    ]
    for raw, when in msgs:
        h.append('intake@example.org', raw, when)
    h.once()


def run(*cmd):
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    assert p.returncode == 0, (cmd, p.stderr[-2000:])
    return p.stdout.decode('utf-8')


def page_count(pdf):
    return int(re.search(r'^Pages:\s+(\d+)$', run('pdfinfo', pdf), re.M).group(1))


def bookmarks(pdf):
    """(title, page) of each bookmark, read by qpdf."""
    data = json.loads(run('qpdf', '--json', '--json-key=outlines', pdf))
    return [(o['title'], o['destpageposfrom1']) for o in data['outlines']]


def text(pdf, first=None, last=None):
    args = ['pdftotext', '-layout']
    if first:
        args += ['-f', str(first), '-l', str(last or first)]
    return run(*args, pdf, '-')


def toc(pdf):
    """The table of contents (page 2): [(member, page)]."""
    rows = []
    for line in text(pdf, 2).splitlines():
        m = re.match(r'^\s*(\S.*?)\s{2,}(\d+)\s*$', line)
        if m:
            rows.append((m.group(1), int(m.group(2))))
    return rows


def compile_pdf(h, *args):
    out = os.path.join(h.dir, 'compilation.pdf')
    stdout, _ = ctl(h, 'compile', 'imrf-2022', out, *args)
    return out, stdout


def test_compile_call(h):
    populate(h)
    out, stdout = compile_pdf(h)
    pages = page_count(out)
    assert stdout == (f'compiled 7 inputs of imrf-2022 into {out}: {pages} pages, '
                      + ('2' if shutil.which('soffice') else '3')
                      + ' documents could not be included\n'), stdout

    marks = bookmarks(out)
    assert [t for t, _ in marks] == ['Cover', 'Contents'] + BY_NAME, marks
    assert marks[:2] == [('Cover', 1), ('Contents', 2)], marks
    starts = dict(marks[2:])
    assert toc(out) == marks[2:], (toc(out), marks)
    # Each input takes the pages of its document, as filed; the others one
    # page each (France's short .docx converted, or the page saying why not).
    filed = {md['submitter']['name']: os.path.join(h.spool, rel, md['documents'][0]['file'])
             for rel, md in h.submissions('imrf-2022') if md['version'] == 2
             or md['submitter']['name'] == "Côte d'Ivoire"}
    length = {name: 1 for name in BY_NAME}
    length.update({name: page_count(path) for name, path in filed.items()})
    assert length['Bangladesh'] >= 3, length
    assert starts['Bangladesh'] == 3, starts
    for a, b in zip(BY_NAME, BY_NAME[1:]):
        assert starts[b] == starts[a] + length[a], (a, b, starts, length)
    assert pages == starts['Zambia'], (pages, starts)

    cover = text(out, 1)
    for want in ('Compilation of inputs', 'Progress Declaration, IMRF 2022',
                 '2022-03-29 18:00 EDT'):
        assert want in ' '.join(cover.split()), cover
    counts = dict(re.findall(r'^\s*(Inputs received|On time|Late|In this compilation)\s+(\d+)',
                             cover, re.M))
    assert counts == {'Inputs received': '8', 'On time': '7', 'Late': '1',
                      'In this compilation': '7'}, cover

    # Each input opens with its band; the rest of its pages do not.
    bd = text(out, starts['Bangladesh'])
    assert re.search(r'Bangladesh\s+·\s+received 2022-03-28 05:00 EDT\s+·', bd), bd
    assert 'Bangladesh page 1' in bd and 'received' not in text(out, starts['Bangladesh'] + 1)
    assert 'Ivoire page 1' in text(out, starts["Côte d'Ivoire"])

    # Arabic and Chinese bodies, typeset with embedded fonts, read back.
    eg, cn = text(out, starts['Egypt']), text(out, starts['China'])
    assert 'Arabic' in eg and 'Chinese' in cn, (eg, cn)
    assert ZH_TEXT.rstrip('。') in cn.replace(' ', ''), cn
    # Every Arabic word comes back but the one with the lam-alef ligature
    # (one glyph for two letters), which pdftotext places apart.
    for word in AR_TEXT.rstrip('.').split():
        assert word in eg or '\u0644\u0623' in word, (word, eg)
    fonts = run('pdffonts', out)
    for family in ('NotoNaskhArabic', 'NotoSansCJK'):
        rows = [ln for ln in fonts.splitlines() if family in ln]
        assert rows and all(' yes ' in ln for ln in rows), fonts

    # Unreadable documents: a page naming each; the others compiled.
    zm, hr = text(out, starts['Zambia']), text(out, starts['Croatia'])
    assert 'could not be included' in zm and 'Zambia statement.pdf' in zm, zm
    assert 'could not be included' in hr and 'Croatia input.docx' in hr, hr
    assert 'Mexico' not in text(out) and 'Stranger' not in text(out)


def test_compile_order_and_late(h):
    populate(h)
    out, _ = compile_pdf(h, '--order', 'received')
    assert [t for t, _ in bookmarks(out)][2:] == BY_RECEIVED
    out, stdout = compile_pdf(h, '--include-late')
    assert stdout.startswith('compiled 8 inputs'), stdout
    names = [t for t, _ in bookmarks(out)][2:]
    assert names == BY_NAME[:5] + ['France', 'Mexico', 'Zambia'], names
    mx = text(out, dict(bookmarks(out)[2:])['Mexico'])
    assert 'México aporta su contribución tardía.' in mx and 'Spanish' in mx, mx
    # Usage errors.
    ctl(h, 'compile', 'imrf-2022', out, '--order', 'size', expect=64)
    ctl(h, 'compile', 'no-such-call', out, expect=1)


def test_compile_progress_on_a_terminal(h):
    populate(h)
    out = os.path.join(h.dir, 'tty.pdf')
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(os.path.join(h.build, 'intakectl'),
                 ['intakectl', '-c', h.conf, 'compile', 'imrf-2022', out])
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    shown = b''.join(chunks).decode('utf-8', 'replace')
    assert os.waitstatus_to_exitcode(status) == 0, shown
    for i, name in enumerate(BY_NAME, 1):
        assert f'{i} of 7, {name}' in shown, shown
