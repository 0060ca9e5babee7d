"""intakectl publish (issues 7, 17): the static page of a call from a spool
the real intaked filed, checked as text and as headless Chromium renders
it (test_publication.py has the PDFs, columns, templates and languages)."""
import html.parser
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse

from test_intakectl import HOSTILE_FILE, HOSTILE_SUBJECT, ctl, populate

CHROMIUM = shutil.which('chromium')
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update',
                  '--disable-sync']


class Page(html.parser.HTMLParser):
    """What a test needs of index.html: lang, the rows (row header and cell
    texts), links, and every element seen."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.rows, self.links, self.tags = [], [], []
        self._row = self._cell = None
        self._in_tbody = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == 'html':
            self.lang = attrs.get('lang')
        elif tag == 'tbody':
            self._in_tbody = True
        elif tag == 'tr' and self._in_tbody:
            self._row = []
        elif tag in ('th', 'td') and self._row is not None:
            self._cell = ''
        elif tag == 'a':
            self.links.append(attrs.get('href'))

    def handle_endtag(self, tag):
        if tag == 'tbody':
            self._in_tbody = False
        elif tag in ('th', 'td') and self._row is not None and self._cell is not None:
            self._row.append(' '.join(self._cell.split()))
            self._cell = None
        elif tag == 'tr' and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def read(path, mode='r'):
    with open(path, mode) as f:
        return f.read()


def check_links(page, out, spool_files):
    """Every link stays inside the site and names a copy of a spool file,
    or a PDF made of one."""
    docs = [href for href in page.links if href != 'submissions.json']
    for href in docs:
        assert '://' not in href and not href.startswith('/'), href
        path = os.path.realpath(os.path.join(out, urllib.parse.unquote(href)))
        assert path.startswith(os.path.realpath(out) + os.sep), href
        assert os.path.isfile(path), href
        data = read(path, 'rb')
        if href.endswith('/message.txt'):   # the body without quotes and signature
            assert any(data.strip() in f.replace(b'\r\n', b'\n') for f in spool_files), href
            continue
        assert data in spool_files or (href.endswith('.pdf') and data.startswith(b'%PDF-')), href
    return docs


def chromium(out, *args):
    profile = tempfile.mkdtemp(prefix='chromium.', dir=os.path.dirname(out))
    try:
        p = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f'--user-data-dir={profile}', *args,
                            'file://' + os.path.join(out, 'index.html')],
                           capture_output=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        return p.stdout.decode('utf-8')
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_publish_page(h):
    e = populate(h)
    top = os.path.join(h.dir, 'site')
    out = os.path.join(top, 'imrf-2022')
    stdout, _ = ctl(h, 'publish', 'imrf-2022', top, '--include-late', '--originals')
    assert stdout == f'published 3 submissions of imrf-2022 to {out}/index.html\n', stdout
    spool_files = set()
    for rel, md in h.submissions('imrf-2022'):
        for d in md['documents']:
            spool_files.add(h.read(rel, d['file']))
        if md['counted'] == 'body':
            spool_files.add(h.read(rel, 'body.txt'))

    text = read(os.path.join(out, 'index.html'))
    assert '<script' not in text.lower() and '<img' not in text.lower()
    assert '&lt;img src=x onerror=alert(1)&gt;.txt' in text
    assert 'alert(1)&lt;/script' not in text      # no subjects on the page
    page = Page(text)
    assert page.lang == 'en'
    assert 'script' not in page.tags and 'img' not in page.tags, page.tags
    # The current version of each member: Bangladesh v2, not v1; the
    # sender the roster does not know is left out unless asked for.
    assert [r[0] for r in page.rows] == ['Bangladesh', 'France', 'Mexico'], page.rows
    [fr] = [r for r in page.rows if r[0] == 'France']
    assert fr[1] == '2022-03-29 17:00 EDT', fr
    assert fr[2] == f'{HOSTILE_FILE} (original)' and fr[4] == '10', fr
    [bd] = [r for r in page.rows if r[0] == 'Bangladesh']
    assert bd[2].startswith('Bangladesh input.txt'), bd
    docs = check_links(page, out, spool_files)
    assert len(docs) == 5, docs   # 2 PDFs, their 2 originals, Mexico's text

    data = json.loads(read(os.path.join(out, 'submissions.json')))
    assert data['call'] == 'imrf-2022' and data['language'] == 'en'
    assert [s['id'] for s in data['submissions']] == [
        e[k][1]['id'] for k in ('bd2', 'fr1', 'mx1')]
    assert data['submissions'][1]['documents'][0]['name'] == HOSTILE_FILE

    if CHROMIUM is None:
        print('SKIP chromium part: chromium is not installed (contrib/install-deps.sh installs it)')
    else:
        dom = chromium(out, '--dump-dom')
        rendered = Page(dom)
        assert 'script' not in rendered.tags and 'img' not in rendered.tags, rendered.tags
        assert '&lt;img src=x onerror=alert(1)&gt;.txt' in dom, dom[:3000]
        assert rendered.rows == page.rows, (rendered.rows, page.rows)
        assert check_links(rendered, out, spool_files) == docs
        for name, size in (('page.png', '1200,900'), ('page-phone.png', '390,844')):
            shot = os.path.join(h.dir, name)
            chromium(out, f'--screenshot={shot}', f'--window-size={size}')
            with open(shot, 'rb') as f:
                assert f.read(8) == b'\x89PNG\r\n\x1a\n', shot
            assert os.path.getsize(shot) > 10000, shot

    # Again into the same OUTDIR by default: the accepted versions, as PDF.
    stdout, _ = ctl(h, 'publish', 'imrf-2022', top, '--no-unverified')
    assert stdout.startswith('published 2 submissions'), stdout
    page = Page(read(os.path.join(out, 'index.html')))
    assert [r[0] for r in page.rows] == ['Bangladesh', 'France'], page.rows
    assert len(check_links(page, out, spool_files)) == 2
    assert not os.path.exists(os.path.join(out, 'files', 'mexico'))
    assert os.listdir(top) == ['imrf-2022'], os.listdir(top)

    # French labels and lang for a French call.
    ctl(h, 'publish', 'gcm-2022', top)
    page = Page(read(os.path.join(top, 'gcm-2022', 'index.html')))
    assert page.lang == 'fr' and [r[0] for r in page.rows] == ['China'], page.rows


def test_publish_refuses_foreign_directories(h):
    populate(h)
    mine = os.path.join(h.dir, 'mine')
    os.makedirs(os.path.join(mine, 'imrf-2022'))
    with open(os.path.join(mine, 'imrf-2022', 'notes.txt'), 'w') as f:
        f.write('not a site')
    _, err = ctl(h, 'publish', 'imrf-2022', mine, expect=1)
    assert 'notes.txt was not written by intakectl publish' in err, err
    assert os.listdir(os.path.join(mine, 'imrf-2022')) == ['notes.txt']
    ctl(h, 'publish', 'no-such-call', os.path.join(h.dir, 'x'), expect=1)
    with open(os.path.join(h.dir, 'afile'), 'w') as f:
        f.write('a file')
    _, err = ctl(h, 'publish', 'imrf-2022', os.path.join(h.dir, 'afile', 'x'), expect=74)
    assert 'afile' in err, err
