"""Messages written the way missions really write them, and the word rule
of SPEC §4 for the plain texts the tests use (not for CJK)."""
import hashlib
from datetime import datetime, timezone
from email.utils import format_datetime


def utc(y, mo, d, h=0, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc)


def message(frm, to, subject, body, date, msgid, headers=(), cc=None,
            content_type='text/plain; charset="utf-8"', cte='8bit'):
    """A single-part message as text (CRLF is added when appended)."""
    lines = [f'From: {frm}', f'To: {to}']
    if cc:
        lines.append(f'Cc: {cc}')
    lines += [f'Subject: {subject}', f'Date: {format_datetime(date)}',
              f'Message-ID: {msgid}', 'MIME-Version: 1.0',
              f'Content-Type: {content_type}', f'Content-Transfer-Encoding: {cte}']
    lines += list(headers)
    return '\n'.join(lines) + '\n\n' + body


def multipart(frm, to, subject, body, date, msgid, attachments, headers=()):
    """multipart/mixed with a text/plain body and (filename, ctype, bytes)
    attachments, base64-encoded."""
    import base64
    b = 'b1_' + hashlib.sha1(msgid.encode()).hexdigest()[:16]
    out = [f'From: {frm}', f'To: {to}', f'Subject: {subject}',
           f'Date: {format_datetime(date)}', f'Message-ID: {msgid}', 'MIME-Version: 1.0',
           f'Content-Type: multipart/mixed; boundary="{b}"', *headers, '',
           'This is a multi-part message in MIME format.', '',
           f'--{b}', 'Content-Type: text/plain; charset="utf-8"',
           'Content-Transfer-Encoding: 8bit', '', body]
    for name, ctype, data in attachments:
        enc = base64.encodebytes(data).decode('ascii')
        out += [f'--{b}', f'Content-Type: {ctype}; name="{name}"',
                f'Content-Disposition: attachment; filename="{name}"',
                'Content-Transfer-Encoding: base64', '', enc]
    out.append(f'--{b}--')
    return '\n'.join(out) + '\n'


def count_words(text):
    """SPEC §4 for Latin/Cyrillic/Arabic text: whitespace tokens holding a
    letter or digit."""
    return sum(1 for tok in text.split() if any(c.isalnum() for c in tok))


def count_body(text):
    """The part of a mail body that counts: no quoted lines, nothing after
    the signature separator."""
    kept = []
    for line in text.split('\n'):
        if line.rstrip('\r') == '-- ':
            break
        if line.startswith('>'):
            continue
        kept.append(line)
    return count_words('\n'.join(kept))


def sha256(data):
    return hashlib.sha256(data).hexdigest()
