"""Nothing hidden (issue 14, items 2 and 7): a document behind hundreds of
inline parts or deep in nested multiparts is examined, or else listed as
unexamined with over_limit unknown (never "within the limit"); an input
shared as a link is recorded and the mission asked to attach it; senders
the roster does not verify are published only on request, by address.
Each case goes through the real bed: appended to the intake mailbox,
intaked --once, then metadata.json, the acknowledgement delivered to the
mission, the digest and intakectl's output."""
import base64
import email
import email.policy
import json
import os
import sys

from harness import IMRF
from mail import message, utc
from test_intakectl import ctl
from test_publish import Page, read

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'fixtures'))
import make_docs  # noqa: E402

FR = 'france@diplomatie.gouv.fr'
TO = IMRF['match_to']
CALL = dict(IMRF, word_limit='1000')
DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
WHEN = utc(2022, 3, 20, 14)
BODY = 'Please find our input attached.'  # 5 words


def docx_of(n):
    """A .docx of exactly n words."""
    text = ' '.join(f'word{i}' for i in range(n))
    return make_docs.docx_bytes(make_docs.docx_document(
        '<w:p>%s</w:p>' % make_docs.wt(text)))


def docx_part(name, n):
    return [f'Content-Type: {DOCX}; name="{name}"',
            f'Content-Disposition: attachment; filename="{name}"',
            'Content-Transfer-Encoding: base64', '',
            base64.encodebytes(docx_of(n)).decode('ascii')]


def head(msgid, subject, ctype):
    return [f'From: France ONU <{FR}>', f'To: {TO}', f'Subject: {subject}',
            'Date: Sun, 20 Mar 2022 14:00:00 +0000', f'Message-ID: {msgid}',
            'MIME-Version: 1.0', f'Content-Type: {ctype}', '']


def inline_flood(msgid, inline_parts, words):
    """BODY, then inline_parts inline text parts, then a docx of words."""
    b = 'flood'
    out = head(msgid, 'Input of France', f'multipart/mixed; boundary="{b}"')
    out += [f'--{b}', 'Content-Type: text/plain; charset=utf-8', '', BODY]
    for i in range(inline_parts):
        out += [f'--{b}', 'Content-Type: text/plain; charset=utf-8',
                'Content-Disposition: inline', '', f'Signature {i}']
    out += [f'--{b}'] + docx_part('France input.docx', words) + [f'--{b}--', '']
    return '\n'.join(out)


def nested(msgid, depth, words):
    """depth multiparts inside each other, the body and the docx in the
    innermost one."""
    out = head(msgid, 'Input of France (nested)', 'multipart/mixed; boundary="n0"')
    for i in range(1, depth):
        out += [f'--n{i - 1}', f'Content-Type: multipart/mixed; boundary="n{i}"', '']
    last = f'n{depth - 1}'
    out += [f'--{last}', 'Content-Type: text/plain; charset=utf-8', '', BODY,
            f'--{last}'] + docx_part('Deep input.docx', words) + [f'--{last}--']
    for i in range(depth - 2, -1, -1):
        out.append(f'--n{i}--')
    return '\n'.join(out + [''])


def ack_text(h, user=FR, n=1):
    acks = h.mails(user, n)
    msg = email.message_from_bytes(acks[n - 1], policy=email.policy.default)
    return msg.get_body(('plain',)).get_content()


def only_submission(h):
    [(rel, md)] = h.submissions()
    return rel, md


def test_500_inline_parts_then_a_5000_word_docx(h):
    h.config(calls=(CALL,))
    h.append('intake@example.org', inline_flood('<flood@diplomatie.gouv.fr>', 500, 5000), WHEN)
    h.once()
    _, md = only_submission(h)
    assert (md['word_count'], md['counted'], md['over_limit']) == (5000, 'documents', True), md
    docx = [d for d in md['documents'] if d['name'] == 'France input.docx']
    assert len(docx) == 1 and docx[0]['words'] == 5000, md['documents']
    assert md['unexamined'] == [], md['unexamined']
    text = ack_text(h)
    assert 'France input.docx: 5000 words' in text and 'exceeds the limit' in text, text


def test_parts_beyond_the_limit_are_named_and_over_limit_unknown(h):
    h.config(calls=(CALL,), limits={'max_mime_parts': '100'})
    h.append('intake@example.org', inline_flood('<cut@diplomatie.gouv.fr>', 500, 5000), WHEN)
    h.once()
    rel, md = only_submission(h)
    docx = [u for u in md['unexamined'] if u['name'] == 'France input.docx']
    assert len(docx) == 1, md['unexamined']
    assert docx[0]['reason'] == 'parts' and docx[0]['part'] == '502', docx
    assert all(u['reason'] == 'parts' for u in md['unexamined'])
    assert md['word_count'] == 5 and md['over_limit'] is None, md
    text = ack_text(h)
    assert 'France input.docx' in text and 'not examined' in text, text
    assert 'unknown' in text, text

    out, _ = ctl(h, 'digest', 'imrf-2022')
    assert 'France input.docx' in out and 'not examined' in out, out
    out, _ = ctl(h, 'list', 'imrf-2022')
    assert 'unknown' in out, out
    [row] = json.loads(ctl(h, 'list', 'imrf-2022', '--json')[0])
    assert row['over_limit'] is None, row
    out, _ = ctl(h, 'export', 'imrf-2022', '--format', 'csv')
    header, line = out.splitlines()[:2]
    col = header.split(',').index('over_limit')
    assert line.split(',')[col] == 'unknown', out
    [rec] = json.loads(ctl(h, 'export', 'imrf-2022', '--format', 'json')[0])
    assert rec['over_limit'] is None and rec['unexamined'] == md['unexamined']
    out, _ = ctl(h, 'show', md['id'])
    assert 'unknown' in out and 'France input.docx' in out, out
    index = json.loads(read(os.path.join(h.spool, 'calls', 'imrf-2022', 'index.json')))
    [sub] = index['submitters']
    assert sub['versions'][0]['over_limit'] is None, index


def test_51_deep_multipart_is_examined(h):
    h.config(calls=(CALL,))
    h.append('intake@example.org', nested('<deep@diplomatie.gouv.fr>', 51, 5000), WHEN)
    h.once()
    _, md = only_submission(h)
    assert (md['word_count'], md['over_limit']) == (5000, True), md
    assert [d['words'] for d in md['documents']] == [5000], md['documents']
    assert md['unexamined'] == [], md['unexamined']


def test_depth_beyond_the_limit_is_named(h):
    h.config(calls=(CALL,))
    h.append('intake@example.org', nested('<abyss@diplomatie.gouv.fr>', 120, 5000), WHEN)
    h.once()
    _, md = only_submission(h)
    assert md['documents'] == [], md['documents']
    assert md['over_limit'] is None, md
    assert all(u['reason'] == 'depth' for u in md['unexamined']), md['unexamined']
    [u] = [u for u in md['unexamined'] if u['name'] == 'Deep input.docx']
    assert u['part'].startswith('1.1.1.') and u['part'].count('.') >= 99, u
    assert md['over_limit'] is None
    text = ack_text(h)
    assert 'Deep input.docx' in text and 'not examined' in text and 'unknown' in text, text


ONEDRIVE = ('https://mofa-my.sharepoint.com/:w:/g/personal/desk_mofa_gov_bd/'
            'EaBcDeFgHiJ?e=4Xyz')


def link_message(msgid, body_words=0):
    b = 'alt'
    extra = ' '.join(['text'] * body_words)
    plain = f'Dear colleagues, our input is here: {ONEDRIVE} {extra}\n'
    html = (f'<p>Dear colleagues, our input is <a href="{ONEDRIVE.replace("&", "&amp;")}">'
            f'here</a>. {extra}</p>')
    out = head(msgid, 'Input of France', f'multipart/alternative; boundary="{b}"')
    out += [f'--{b}', 'Content-Type: text/plain; charset=utf-8', '', plain,
            f'--{b}', 'Content-Type: text/html; charset=utf-8', '', html, f'--{b}--', '']
    return '\n'.join(out)


def test_onedrive_link_is_recorded_and_asked_for(h):
    h.config(calls=(CALL,))
    h.append('intake@example.org', link_message('<link@diplomatie.gouv.fr>'), WHEN)
    h.once()
    _, md = only_submission(h)
    assert md['linked_documents'] == [{'url': ONEDRIVE, 'service': 'onedrive'}], md
    assert md['counted'] == 'body' and md['over_limit'] is None, md
    text = ack_text(h)
    assert ONEDRIVE in text and 'attach' in text and 'unknown' in text, text
    out, _ = ctl(h, 'digest', 'imrf-2022')
    assert ONEDRIVE in out, out


def test_link_beside_an_attached_document_is_recorded_not_counted(h):
    h.config(calls=(CALL,))
    b = 'mix'
    raw = head('<both@diplomatie.gouv.fr>', 'Input of France',
               f'multipart/mixed; boundary="{b}"')
    raw += [f'--{b}', 'Content-Type: text/plain; charset=utf-8', '',
            f'Our input is attached; also on {ONEDRIVE}',
            f'--{b}'] + docx_part('France input.docx', 300) + [f'--{b}--', '']
    h.append('intake@example.org', '\n'.join(raw), WHEN)
    h.once()
    _, md = only_submission(h)
    assert md['linked_documents'] == [{'url': ONEDRIVE, 'service': 'onedrive'}], md
    assert md['counted'] == 'documents' and md['word_count'] == 300
    assert md['over_limit'] is False, md


def test_publish_leaves_out_strangers_unless_asked(h):
    h.config(calls=(CALL,))
    h.append('intake@example.org',
             message(f'France ONU <{FR}>', TO, 'Input of France', 'The real input.\n',
                     WHEN, '<real@diplomatie.gouv.fr>'), WHEN)
    h.append('intake@example.org',
             message('France <stranger@gmail.test>', TO, 'Input of France',
                     'A stranger writes as France.\n', WHEN, '<fake@gmail.test>'), WHEN)
    h.once()
    top = os.path.join(h.dir, 'site')
    out = os.path.join(top, 'imrf-2022')
    stdout, _ = ctl(h, 'publish', 'imrf-2022', top)
    assert stdout.startswith('published 1 submission '), stdout
    page = Page(read(os.path.join(out, 'index.html')))
    assert [r[0] for r in page.rows] == ['France'], page.rows
    assert 'stranger' not in read(os.path.join(out, 'submissions.json'))

    stdout, _ = ctl(h, 'publish', 'imrf-2022', top, '--include-unverified')
    assert stdout.startswith('published 2 submissions'), stdout
    page = Page(read(os.path.join(out, 'index.html')))
    heads = [r[0] for r in page.rows]
    stranger = 'stranger@gmail.test (unverified sender)'   # the member cell says so
    assert heads.count('France') == 1 and stranger in heads, page.rows
    data = json.loads(read(os.path.join(out, 'submissions.json')))
    [js] = [s for s in data['submissions'] if not s['verified']]
    assert js['submitter'] is None and js['address'] == 'stranger@gmail.test', js
