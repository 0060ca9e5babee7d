"""test_digest_html.py — the digest's HTML alternative (issue 16) through the
real Postfix and Dovecot: intakectl digest --send, intaked --once delivers
it, read back over IMAP; the MIME structure (mixed > alternative text+HTML,
CSV kept), every roster member's row, escaping of a hostile roster name,
and a headless Chromium rendering of the HTML at 900x1200."""
import email
import email.policy
import os
import shutil
import struct
import subprocess
import tempfile

from test_intakectl import ctl, populate

CHROMIUM = shutil.which('chromium')
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                  '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync']
HOSTILE = "Côte <b>d'Ivoire</b> & Co"
MEMBERS = ('Bangladesh', 'France', 'Mexico', 'China')


def screenshot(h, html_path, shot):
    profile = tempfile.mkdtemp(prefix='chromium.', dir=h.dir)
    try:
        p = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f'--user-data-dir={profile}',
                            '--window-size=900,1200', f'--screenshot={shot}',
                            'file://' + html_path], capture_output=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n', path
    return struct.unpack('>II', head[16:24])


def test_digest_html(h):
    populate(h)
    with open(os.path.join(h.dir, 'roster.csv'), 'a', encoding='utf-8') as f:
        f.write(f'"{HOSTILE}",civ@example.ci\n')
    ctl(h, 'digest', 'imrf-2022', '--send')
    h.once()
    [raw] = h.mails('coord@example.org', 1)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg.get_content_type() == 'multipart/mixed', raw[:2000]
    parts = list(msg.iter_parts())
    assert parts[0].get_content_type() == 'multipart/alternative', raw[:2000]
    alt = list(parts[0].iter_parts())
    assert [p.get_content_type() for p in alt] == ['text/plain', 'multipart/related']
    related = list(alt[1].iter_parts())
    assert [p.get_content_type() for p in related] == ['text/html', 'image/png']
    assert related[1]['Content-ID'] == '<chart@intaked>'
    chart = related[1].get_content()
    assert chart[:8] == b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', chart[16:24]) == (600, 160)
    assert [p.get_content_type() for p in parts[1:]] == ['text/csv'], raw[:2000]
    text = parts[0].get_body(('plain',)).get_content()
    assert 'Deadline passed' in text, text
    html = related[0].get_content()
    assert '<img src="cid:chart@intaked"' in html, html[:3000]
    for name in MEMBERS:
        assert f'>{name}</td>' in html, (name, html[:3000])
    assert 'Côte &lt;b&gt;d&#39;Ivoire&lt;/b&gt; &amp; Co' in html, html[:3000]
    assert "<b>d'Ivoire" not in html
    low = html.lower()
    # The chart is the only image, and inline: nothing is fetched from outside.
    assert '<script' not in low and low.count('src=') == 1 and low.count('<img') == 1
    if CHROMIUM is None:
        print('SKIP chromium part: chromium is not installed')
        return
    # A file page cannot resolve cid: as a mail reader does: the chart's file.
    with open(os.path.join(h.dir, 'chart.png'), 'wb') as f:
        f.write(chart)
    page = os.path.join(h.dir, 'digest.html')
    with open(page, 'w', encoding='utf-8') as f:
        f.write(html.replace('cid:chart@intaked', 'chart.png'))
    shot = os.path.join(h.dir, 'digest.png')
    screenshot(h, page, shot)
    assert png_size(shot) == (900, 1200), png_size(shot)
    assert os.path.getsize(shot) > 10000, os.path.getsize(shot)
    keep = os.environ.get('DIGEST_SHOT')
    if keep:
        shutil.copyfile(shot, keep)
