"""intakectl publish (issue 17): a page a UN website can post, from a spool
the real intaked filed. Documents as PDF through LibreOffice with tracked
changes accepted and comments left out (read back with pdftotext), the
columns, introduction, template, fragment and languages, one folder per
call with nothing foreign overwritten, and a body published without its
quoted lines and signature."""
import io
import os
import shutil
import subprocess
import zipfile

from harness import GCM, IMRF, Skip
from mail import message, multipart, utc

IMRF_TO, GCM_TO = 'intake+imrf@example.org', 'intake+gcm@example.org'
DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main'

ACCEPTED = 'Bangladesh supports an ambitious declaration and a review in 2026.'
DELETED = 'DELETEDCLAUSE on voluntary pledges only'
COMMENT = 'SECRETCOMMENT ask the capital first'

BODY = ('Mexico welcomes the draft and supports the review.\n\n'
        '> On 20 March the co-facilitators wrote:\n> QUOTEDLINE please send inputs\n\n'
        '-- \nDesk Officer (Migration)\nPermanent Mission of Mexico\n')


def tracked_docx():
    """A .docx with an insertion, a deletion and a comment, as Word writes
    them: accepted, it reads ACCEPTED."""
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:document xmlns:w="{W}"><w:body><w:p>'
           '<w:commentRangeStart w:id="0"/>'
           '<w:r><w:t xml:space="preserve">Bangladesh supports an ambitious declaration </w:t></w:r>'
           f'<w:del w:id="1" w:author="Desk"><w:r><w:delText xml:space="preserve">{DELETED} '
           '</w:delText></w:r></w:del>'
           '<w:ins w:id="2" w:author="Desk"><w:r><w:t>and a review in 2026.</w:t></w:r></w:ins>'
           '<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>'
           '</w:p></w:body></w:document>\n')
    comments = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:comments xmlns:w="{W}"><w:comment w:id="0" w:author="Reviewer">'
                f'<w:p><w:r><w:t>{COMMENT}</w:t></w:r></w:p></w:comment></w:comments>\n')
    rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
    ct = 'application/vnd.openxmlformats-officedocument.wordprocessingml'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml',
                   '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType='
                   '"application/xml"/>'
                   f'<Override PartName="/word/document.xml" ContentType="{ct}.document.main+xml"/>'
                   f'<Override PartName="/word/comments.xml" ContentType="{ct}.comments+xml"/>'
                   '</Types>')
        z.writestr('_rels/.rels',
                   '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://'
                   'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                   f'Id="rId1" Type="{rel}/officeDocument" Target="word/document.xml"/>'
                   '</Relationships>')
        z.writestr('word/_rels/document.xml.rels',
                   '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns="http://'
                   'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                   f'Id="rId5" Type="{rel}/comments" Target="comments.xml"/></Relationships>')
        z.writestr('word/document.xml', doc)
        z.writestr('word/comments.xml', comments)
    return buf.getvalue()


def populate(h, with_docx=True):
    """Bangladesh: a .docx with tracked changes and a comment under a "RE:"
    subject (a text without them: with_docx False, so that nothing needs
    LibreOffice); France: a PDF; Mexico: the body only, with a quote and a
    signature; China (gcm-2022): the body."""
    h.config(calls=(IMRF, GCM))
    pdf = subprocess.run(['qpdf', '--empty', '-'], capture_output=True, check=True).stdout
    bd = (('Bangladesh input.docx', DOCX_TYPE, tracked_docx()) if with_docx else
          ('Bangladesh input.pdf', 'application/pdf', pdf))
    msgs = [
        multipart('"Mission of Bangladesh" <bangladesh@mofa.gov.bd>', IMRF_TO,
                  'RE: Call for inputs', 'Please find our input attached.\n',
                  utc(2022, 3, 28, 9), '<bd1@mofa.gov.bd>', [bd]),
        multipart('France ONU <france@diplomatie.gouv.fr>', IMRF_TO, 'Contribution',
                  'Veuillez trouver ci-joint notre contribution.\n', utc(2022, 3, 29, 12),
                  '<fr1@diplomatie.gouv.fr>', [('Contribution France.pdf', 'application/pdf',
                                                 pdf)]),
        message('Misión de México <mexico@sre.gob.mx>', IMRF_TO, 'RE: RE: inputs', BODY,
                utc(2022, 3, 29, 13), '<mx1@sre.gob.mx>'),
        message('China Mission <china@mfa.gov.cn>', GCM_TO, 'Contribution de la Chine',
                'La Chine soutient le Pacte.\n', utc(2022, 11, 7, 10, 29), '<cn1@mfa.gov.cn>'),
    ]
    for raw in msgs:
        h.append('intake@example.org', raw, utc(2022, 3, 29, 14))
    h.once()


def ctl(h, *args, expect=0):
    """intakectl with time for LibreOffice on a busy machine."""
    cmd = [os.path.join(h.build, 'intakectl'), '-c', h.conf, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    h.logs.append(('intakectl ' + ' '.join(args), p.stdout, p.stderr))
    assert p.returncode == expect, (
        f'intakectl {" ".join(args)} exited {p.returncode}, want {expect}\n'
        f'{p.stdout[-2000:]}\n{p.stderr[-2000:]}')
    return p.stdout, p.stderr


def need_tools():
    for tool in ('soffice', 'pdftotext', 'qpdf'):
        if shutil.which(tool) is None:
            raise Skip(f'{tool} is not installed (contrib/install-deps.sh test installs it)')


def pdftext(path):
    return ' '.join(subprocess.run(['pdftotext', '-q', path, '-'], capture_output=True,
                                   check=True, text=True).stdout.split())


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def test_publish_docx_tracked_changes_and_comment(h):
    need_tools()
    populate(h)
    out = os.path.join(h.dir, 'www')
    stdout, _ = ctl(h, 'publish', 'imrf-2022', out)
    site = os.path.join(out, 'imrf-2022')
    assert stdout == f'published 3 submissions of imrf-2022 to {out}/imrf-2022/index.html\n', stdout
    files = listing(site)
    pdfs = [f for f in files if f.startswith('files/bangladesh/') and f.endswith('.pdf')]
    assert pdfs == ['files/bangladesh/Bangladesh_input.pdf'], files
    text = pdftext(os.path.join(site, pdfs[0]))
    assert ACCEPTED in text, text
    assert 'DELETEDCLAUSE' not in text and 'SECRETCOMMENT' not in text, text
    # No original without --originals; the PDF France sent, as it came.
    assert not [f for f in files if f.endswith('.docx')], files
    assert 'files/france/Contribution_France.pdf' in files, files
    html = open(os.path.join(site, 'index.html'), encoding='utf-8').read()
    assert 'href="files/bangladesh/Bangladesh_input.pdf">Bangladesh input.docx</a>' in html
    for gone in ('RE:', 'Late', 'Status', 'Subject', ' / '):
        assert gone not in html, gone
    # With --originals, the .docx too, byte for byte.
    stdout, _ = ctl(h, 'publish', 'imrf-2022', out, '--originals')
    assert 'files/bangladesh/Bangladesh_input.docx' in listing(site)


def test_publish_body_without_quotes_and_signature(h):
    need_tools()
    populate(h, with_docx=False)
    out = os.path.join(h.dir, 'www')
    ctl(h, 'publish', 'imrf-2022', out)
    text = open(os.path.join(out, 'imrf-2022', 'files', 'mexico', 'message.txt')).read()
    assert text == 'Mexico welcomes the draft and supports the review.\n', repr(text)


def test_publish_columns_intro_template_fragment_lang(h):
    need_tools()
    populate(h, with_docx=False)
    out = os.path.join(h.dir, 'www')
    intro = os.path.join(h.dir, 'intro.txt')
    with open(intro, 'w') as f:
        f.write('Inputs received for the <first> reading.\n\nThey are posted as sent.\n')
    ctl(h, 'publish', 'imrf-2022', out, '--columns', 'member,words', '--intro', intro,
        '--lang', 'en,fr')
    site = os.path.join(out, 'imrf-2022')
    en = open(os.path.join(site, 'index.en.html'), encoding='utf-8').read()
    fr = open(os.path.join(site, 'index.fr.html'), encoding='utf-8').read()
    assert open(os.path.join(site, 'index.html'), encoding='utf-8').read() == en
    assert '<th scope="col">Member</th><th scope="col">Words</th></tr>' in en, en
    assert '<th scope="col">Délégation</th><th scope="col">Mots</th></tr>' in fr, fr
    assert '<html lang="fr">' in fr and 'href="index.en.html"' in fr
    assert '<p>Inputs received for the &lt;first&gt; reading.</p>' in en, en
    assert 'Received' not in en and 'Documents' not in en

    templ = os.path.join(h.dir, 'site.html')
    with open(templ, 'w') as f:
        f.write('<!DOCTYPE html><html lang="{{lang}}"><head><title>{{title}}</title></head>\n'
                '<body><div id="un-header"></div>\n{{list}}\n<p>{{deadline}}</p></body></html>\n')
    ctl(h, 'publish', 'imrf-2022', out, '--template', templ)
    page = open(os.path.join(site, 'index.html'), encoding='utf-8').read()
    assert page.startswith('<!DOCTYPE html><html lang="en"><head><title>'), page[:200]
    assert '<div id="un-header"></div>' in page and '<table class="intaked-inputs">' in page
    # The default columns, labelled in plain English (no gettext context).
    assert '<th scope="col">Received</th>' in page and '\x04' not in page, page
    assert '{{' not in page

    with open(templ, 'a') as f:
        f.write('{{titel}}\n')
    _, err = ctl(h, 'publish', 'imrf-2022', out, '--template', templ, expect=64)
    assert f'{templ}:5: unknown placeholder {{{{titel}}}}' in err, err
    _, err = ctl(h, 'publish', 'imrf-2022', out, '--columns', 'member,subject', expect=64)
    assert '"subject" is no column' in err, err

    stdout, _ = ctl(h, 'publish', 'imrf-2022', out, '--fragment')
    assert stdout.endswith('/imrf-2022/fragment.html\n'), stdout
    frag = open(os.path.join(site, 'fragment.html'), encoding='utf-8').read()
    assert frag.startswith('<section class="intaked-list" lang="en">'), frag[:100]
    assert '<html' not in frag and '<style' not in frag
    assert not os.path.exists(os.path.join(site, 'index.html'))


def test_publish_call_folders_and_foreign_files(h):
    need_tools()
    populate(h, with_docx=False)
    out = os.path.join(h.dir, 'www')
    os.makedirs(out)
    with open(os.path.join(out, 'index.html'), 'w') as f:
        f.write('the site editor\'s own page')
    ctl(h, 'publish', 'imrf-2022', out)
    ctl(h, 'publish', 'gcm-2022', out)
    assert sorted(os.listdir(out)) == ['gcm-2022', 'imrf-2022', 'index.html'], os.listdir(out)
    assert open(os.path.join(out, 'index.html')).read() == 'the site editor\'s own page'
    assert os.path.exists(os.path.join(out, 'imrf-2022', 'index.html'))
    # A file someone added to a call's folder: never replaced nor removed.
    added = os.path.join(out, 'imrf-2022', 'files', 'translation-fr.pdf')
    with open(added, 'w') as f:
        f.write('a translation')
    _, err = ctl(h, 'publish', 'imrf-2022', out, expect=1)
    assert 'files/translation-fr.pdf was not written by intakectl publish' in err, err
    assert open(added).read() == 'a translation'
    os.unlink(added)
    ctl(h, 'publish', 'imrf-2022', out)


def test_publish_without_libreoffice(h):
    populate(h)
    out = os.path.join(h.dir, 'www')
    env = dict(os.environ, PATH='/nonexistent')
    env.pop('INTAKED_SOFFICE', None)
    cmd = [os.path.join(h.build, 'intakectl'), '-c', h.conf, 'publish', 'imrf-2022', out]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert 'LibreOffice (soffice) is not installed' in p.stderr, p.stderr
    assert '--originals' in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(out, 'imrf-2022'))
    p = subprocess.run(cmd + ['--originals'], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    site = os.path.join(out, 'imrf-2022')
    assert 'files/bangladesh/Bangladesh_input.docx' in listing(site)
    html = open(os.path.join(site, 'index.html'), encoding='utf-8').read()
    assert 'PDF not available: LibreOffice (soffice) is not installed' in html, html
