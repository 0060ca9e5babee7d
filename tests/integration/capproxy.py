"""An IMAP proxy in front of the bed's real Dovecot that hides some of its
capabilities, so that intaked's fallbacks run against a real server: UID
COPY + STORE + UID EXPUNGE when MOVE is hidden, no expunge at all without
UIDPLUS, AUTHENTICATE without an initial response without SASL-IR.

It terminates TLS with the bed's certificate for 127.0.0.1 (intaked trusts
the bed's CA as usual) and talks TLS to Dovecot's IMAPS port. Every byte
either way is passed on, except the hidden names in capability lists: the
greeting's and tagged responses' [CAPABILITY ...] code and untagged
"* CAPABILITY" responses. Literals ({N}) pass through unread, so a message
body that quotes a CAPABILITY line is not touched. It also notes the
command names intaked sent ("UID COPY", "AUTHENTICATE OAUTHBEARER +IR"),
never their arguments, except the whole lines of the commands named in
record (e.g. 'UID SEARCH', 'UID STORE': for checking the exact bytes).

keywordless=True makes a folder look like Exchange Online's INBOX: no \\*
and no keyword in PERMANENTFLAGS, so that the client must not count on
storing a keyword. reject={'UID SEARCH': b'Invalid flag name in Search
command'} answers that command with a tagged BAD carrying the text, as
Cyrus 3.6 does to UNKEYWORD "$Filed", instead of passing it on.

    with CapProxy(bed, hide=('MOVE',)) as proxy:
        url = f'imaps://127.0.0.1:{proxy.port}/INBOX'
"""
import asyncio
import re
import ssl

from netfault import LoopbackServer

LITERAL = re.compile(rb'\{(\d+)\+?\}\r\n$')
CAP_LINE = re.compile(rb'^\* CAPABILITY (.*?)(\r\n)$', re.I)
CAP_CODE = re.compile(rb'^(\S+ (?:OK|NO|BAD|PREAUTH) \[CAPABILITY )([^\]]*)(\].*)$', re.I | re.S)
PERM_CODE = re.compile(rb'^(\* OK \[PERMANENTFLAGS \()([^)]*)(\)\].*)$', re.I | re.S)
LINE_MAX = 1 << 24


class CapProxy(LoopbackServer):
    def __init__(self, bed, hide=('MOVE',), keywordless=False, record=(), reject=None):
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(*bed.server_cert())
        super().__init__(server_ctx, LINE_MAX)
        self.upstream = (bed.host, bed.imaps_port)
        self.hide = {c.upper().encode() for c in hide}
        self.keywordless = keywordless
        self.record = {r.upper() for r in record}
        self.reject = {k.upper(): v for k, v in (reject or {}).items()}
        self.hidden = 0                 # capability names removed
        self.lines = []                 # whole lines of the recorded commands
        self.rejected = 0
        self.commands = []              # command names intaked sent, in order
        self.connections = 0
        self._client_ctx = bed.ssl_context()

    # ------------------------------------------------------------ rewriting
    def _strip(self, caps):
        names = caps.split(b' ')
        kept = [c for c in names if c.upper() not in self.hide]
        self.hidden += len(names) - len(kept)
        return b' '.join(kept)

    def filter_line(self, line):
        """A server line with the hidden capabilities taken out."""
        m = PERM_CODE.match(line) if self.keywordless else None
        if m:
            flags = [f for f in m.group(2).split(b' ') if f.startswith(b'\\') and f != b'\\*']
            return m.group(1) + b' '.join(flags) + m.group(3)
        m = CAP_LINE.match(line)
        if m:
            return b'* CAPABILITY ' + self._strip(m.group(1)) + m.group(2)
        m = CAP_CODE.match(line)
        if m:
            return m.group(1) + self._strip(m.group(2)) + m.group(3)
        return line

    def note_command(self, line):
        """The command's name (noted), or None for a continuation line."""
        words = line.rstrip(b'\r\n').split(b' ')
        if len(words) < 2:      # a continuation line (SASL data, DONE)
            return None
        name = words[1].upper()
        if name == b'UID' and len(words) > 2:
            name += b' ' + words[2].upper()
        elif name == b'AUTHENTICATE' and len(words) > 2:
            name += b' ' + words[2].upper() + (b' +IR' if len(words) > 3 else b'')
        name = name.decode('ascii', 'replace')
        self.commands.append(name)
        if name in self.record:
            self.lines.append(line)
        return name

    # ------------------------------------------------------------- piping
    async def _pipe(self, src, dst, on_line, back=None):
        try:
            while True:
                line = await src.readline()
                if not line:
                    break
                literal = LITERAL.search(line)
                answer = self._rejection(line) if back is not None else None
                if answer is not None:
                    self.note_command(line)
                    back.write(answer)
                    await back.drain()
                    continue
                dst.write(on_line(line))
                if literal:
                    dst.write(await src.readexactly(int(literal.group(1))))
                await dst.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError,
                asyncio.CancelledError):
            pass
        finally:
            self.close_quietly(dst)

    def _rejection(self, line):
        """The tagged BAD for a client line to reject, else None."""
        words = line.split(b' ')
        if len(words) < 2 or not self.reject:
            return None
        name = words[1].upper() + (b' ' + words[2].upper() if words[1].upper() == b'UID'
                                   and len(words) > 2 else b'')
        text = self.reject.get(name.decode('ascii', 'replace').strip())
        if text is None:
            return None
        self.rejected += 1
        return words[0] + b' BAD ' + text + b'\r\n'

    def _client_line(self, line):
        self.note_command(line)
        return line

    async def _serve(self, reader, writer):
        self.connections += 1
        try:
            up_r, up_w = await asyncio.open_connection(
                *self.upstream, ssl=self._client_ctx, server_hostname=self.upstream[0],
                limit=LINE_MAX)
            await asyncio.gather(self._pipe(reader, up_w, self._client_line, writer),
                                 self._pipe(up_r, writer, self.filter_line),
                                 return_exceptions=True)
        except (ConnectionError, ssl.SSLError, asyncio.CancelledError):
            pass
