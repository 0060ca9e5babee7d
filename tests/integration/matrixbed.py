"""The server matrix's beds (issue 13): the intake mailbox on Dovecot, Cyrus
IMAP or Courier IMAP, acknowledgements through Postfix or OpenSMTPD, the
missions' mailboxes always on the bed's Dovecot.

    view = matrix_view(h.bed, 'courier', 'opensmtpd')
    h.bed = view                  # the Harness now works on that pair
    h.config(smtp=view.smtp, mailbox={'after_filing': 'move:' + view.filed})

Cyrus, Courier and OpenSMTPD (testbed.AltServer) start the first time a
test asks for them and stop at the end of the run (stop_all)."""
import asyncio
import ssl

from netfault import LoopbackServer
from testbed import AltServer

INBOX_USER = 'intake@example.org'

# What each IMAP server is, as far as the tests need to know.
#   filed     the folder after_filing = move: files into (Courier keeps
#             every folder under INBOX, with "." as separator)
#   keywords  whether the intake mailbox stores $Filed (PERMANENTFLAGS \*)
IMAP_SERVERS = {
    'dovecot': {'filed': 'Filed', 'keywords': True},
    'cyrus': {'filed': 'Filed', 'keywords': True},
    'courier': {'filed': 'INBOX.Filed', 'keywords': False},   # IMAP_KEYWORDS=0
}
MTAS = ('postfix', 'opensmtpd')

_running = {}       # name -> AltServer or TlsFront, per bed port base


class TlsFront(LoopbackServer):
    """Implicit TLS (the bed's certificate) in front of a plain SMTP
    server: Debian 12's OpenSMTPD cannot do TLS with OpenSSL 3 (see
    altbed.sh), and intaked sends nothing without it. Bytes pass untouched."""

    def __init__(self, bed, upstream_port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*bed.server_cert())
        super().__init__(ctx)
        self.upstream = ('127.0.0.1', upstream_port)

    async def _pipe(self, src, dst):
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, ssl.SSLError, asyncio.CancelledError):
            pass
        finally:
            self.close_quietly(dst)

    async def _serve(self, reader, writer):
        try:
            up_r, up_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            return
        await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer),
                             return_exceptions=True)


def _server(bed, name):
    key = (bed.port_base, name)
    if key not in _running:
        if name == 'smtps-front':
            _running[key] = TlsFront(bed, _server(bed, 'opensmtpd').port).__enter__()
        else:
            _running[key] = AltServer(bed, name).start()
    return _running[key]


def stop_all():
    """Stop every server started here, the TLS front first."""
    for key in sorted(_running, key=lambda k: k[1] != 'smtps-front'):
        s = _running.pop(key)
        if isinstance(s, TlsFront):
            s.__exit__(None, None, None)
        else:
            s.stop()


class MatrixView:
    """The bed as a Harness uses it, with INBOX_USER's mailbox on another
    IMAP server and the acknowledgements through another MTA. Everything
    else (the missions' mailboxes, logs) is the bed's Dovecot."""

    def __init__(self, bed, imap, mta):
        self.bed, self.server, self.mta = bed, imap, mta
        self.imap_bed = bed if imap == 'dovecot' else _server(bed, imap)
        self.filed = IMAP_SERVERS[imap]['filed']
        self.keywords = IMAP_SERVERS[imap]['keywords']
        self.imaps_port = self.imap_bed.imaps_port
        self.smtp = {}      # [smtp] keys for h.config: Postfix's are the default
        if mta == 'opensmtpd':
            front = _server(bed, 'smtps-front')
            self.smtp = {'url': f'smtps://127.0.0.1:{front.port}', 'user': None,
                         'password_file': None}

    def __getattr__(self, name):
        return getattr(self.bed, name)

    def _on(self, user):
        return self.imap_bed if user == INBOX_USER else self.bed

    # The IMAP helpers, on whichever server holds the user's mailbox.
    def imap(self, user):
        return self._on(user).imap(user)

    def append(self, user, *a, **kw):
        return self._on(user).append(user, *a, **kw)

    def messages(self, user, *a, **kw):
        return self._on(user).messages(user, *a, **kw)

    def fetch_all(self, user, *a, **kw):
        return self._on(user).fetch_all(user, *a, **kw)

    def count(self, user, *a, **kw):
        return self._on(user).count(user, *a, **kw)

    def wait_for_messages(self, user, *a, **kw):
        return self._on(user).wait_for_messages(user, *a, **kw)

    def mailboxes(self, user):
        return self._on(user).mailboxes(user)

    def clear(self, user, mailbox='INBOX'):
        if user == INBOX_USER and mailbox == 'Filed':
            mailbox = self.filed
        return self._on(user).clear(user, mailbox)

    def restart_imap(self):
        self.imap_bed.stop_imap()
        self.imap_bed.start_imap()

    def imap_log(self):
        return self.imap_bed.log('dovecot')


def matrix_view(bed, imap, mta='postfix'):
    """A MatrixView whose intake mailbox (INBOX and the filed folder) is empty."""
    view = MatrixView(bed, imap, mta)
    view.clear(INBOX_USER)
    view.clear(INBOX_USER, view.filed)
    return view
