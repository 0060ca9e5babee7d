#!/usr/bin/env python3
"""intakectl publish of 200 inputs, half .docx and half .pdf of 5 pages each
(issue 17): the time to the page, conversions in parallel up to the cores.

usage: publish_bench.py BUILD DIR [INPUTS]   (default 200)

DIR/spool gets one call "bench" with INPUTS verified, accepted members
(make_spool.py's metadata, one version each); the .docx have 5 pages of
text with page breaks, the PDF is LibreOffice's own 5-page export of one
of them. Prints the seconds `intakectl publish bench DIR/www` took."""
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spool  # noqa: E402

W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'
WORDS = ('migration governance cooperation dignity safe orderly regular pathways '
         'review progress declaration member states commitment').split()


def docx(seed, pages=5, words_per_page=240):
    rng = random.Random(seed)
    paras = []
    for p in range(pages):
        for _ in range(6):
            text = ' '.join(rng.choice(WORDS) for _ in range(words_per_page // 6))
            paras.append(f'<w:p><w:r><w:t>{text}.</w:t></w:r></w:p>')
        if p < pages - 1:
            paras.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document '
           f'xmlns:w="{W}"><w:body>{"".join(paras)}</w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml',
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
                   'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/word/document.xml" ContentType="application/vnd.'
                   'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr('_rels/.rels',
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                   'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                   'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr('word/document.xml', doc)
    return buf.getvalue()


def five_page_pdf(top):
    src = os.path.join(top, 'sample.docx')
    with open(src, 'wb') as f:
        f.write(docx(0))
    subprocess.run(['soffice', f'-env:UserInstallation=file://{top}/profile', '--headless',
                    '--convert-to', 'pdf', '--outdir', top, src], check=True,
                   capture_output=True, timeout=300)
    with open(os.path.join(top, 'sample.pdf'), 'rb') as f:
        return f.read()


def fill(top, n):
    sys.argv = ['make_spool.py', top, str(n), '1']
    make_spool.main()
    pdf = five_page_pdf(top)
    calls = os.path.join(top, 'spool', 'calls', make_spool.CALL)
    for s in range(n):
        d = os.path.join(calls, f'mission-{s:04d}', 'v1')
        with open(os.path.join(d, 'metadata.json')) as f:
            md = json.load(f)
        kind = 'docx' if s % 2 == 0 else 'pdf'
        data = docx(s + 1) if kind == 'docx' else pdf
        name = f'input-{s}.{kind}'
        with open(os.path.join(d, 'files', name), 'wb') as f:
            f.write(data)
        md.update(status='accepted', timeliness='on_time')
        md['submitter']['verified'] = True
        md['documents'][0].update(name=name, file=f'files/{name}', type=kind, size=len(data))
        with open(os.path.join(d, 'metadata.json'), 'w') as f:
            json.dump(md, f)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    build, top = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    if os.path.exists(top):
        shutil.rmtree(top)
    os.makedirs(top)
    fill(top, n)
    out = os.path.join(top, 'www')
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(build, 'intakectl'), '-c', os.path.join(top, 'intaked.conf'),
                        'publish', make_spool.CALL, out], capture_output=True, text=True)
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f'publish failed ({p.returncode}): {p.stderr[-2000:]}')
    pdfs = sum(1 for _, _, fs in os.walk(out) for f in fs if f.endswith('.pdf'))
    print(f'{p.stdout.strip()}\npublish of {n} inputs ({n - n // 2} .docx, {n // 2} .pdf, '
          f'5 pages each) on {os.cpu_count()} cores: {took:.1f} s, {pdfs} PDFs')


if __name__ == '__main__':
    main()
