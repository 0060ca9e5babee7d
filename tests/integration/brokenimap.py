"""A fault injector, not an IMAP server: a TLS listener on loopback that
speaks just enough IMAP to lead intaked to one broken response (garbage,
lies about sizes, endless lines, silence, a dropped connection). Used by
test_faults.py to show that intaked reports, exits 75 and never crashes or
hangs."""
import os
import socket
import ssl
import threading

GREETING = b'* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] broken server ready\r\n'
MESSAGE = (b'From: a@mofa.gov.bd\r\nTo: intake+imrf@example.org\r\nSubject: x\r\n'
           b'Message-ID: <broken@x>\r\n\r\nbody\r\n')


def _normal(verb, tag):
    t = tag.encode()
    if verb == 'CAPABILITY':
        return b'* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n' + t + b' OK done\r\n'
    if verb == 'LOGIN':
        return t + b' OK logged in\r\n'
    if verb in ('SELECT', 'EXAMINE'):
        return (b'* FLAGS (\\Seen $Filed)\r\n* OK [PERMANENTFLAGS (\\Seen $Filed \\*)] ok\r\n'
                b'* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n'
                + t + b' OK [READ-WRITE] selected\r\n')
    if verb == 'UID SEARCH':
        return b'* SEARCH 1\r\n' + t + b' OK searched\r\n'
    if verb == 'UID FETCH':
        return (b'* 1 FETCH (UID 1 INTERNALDATE "20-Mar-2022 10:00:00 +0000" RFC822.SIZE %d '
                b'BODY[] {%d}\r\n' % (len(MESSAGE), len(MESSAGE)) + MESSAGE + b')\r\n'
                + t + b' OK fetched\r\n')
    if verb == 'LOGOUT':
        return b'* BYE bye\r\n' + t + b' OK\r\n'
    return t + b' OK\r\n'


HANG = object()
CLOSE = object()

# name -> (greeting, {verb: response bytes with {tag}, or HANG / CLOSE})
SCENARIOS = {
    'garbage-greeting': (b'\x00\xff\xfe\x01 garbage \x7f\r\n', {}),
    'bye-greeting': (b'* BYE not today\r\n', {}),
    'silent': (HANG, {}),
    'capability-garbage': (b'* OK ready\r\n', {'CAPABILITY': b'* CAPABILITY (((\x00\r\n{tag} OK\r\n'}),
    'login-wrong-tags': (GREETING, {'LOGIN': b'* OK\r\nWRONGTAG OK\r\n{tag} XYZZY what\r\n'}),
    'login-hangs': (GREETING, {'LOGIN': HANG}),
    'select-garbage': (GREETING, {'SELECT': b'* 99999999999999999999 EXISTS\r\n'
                                            b'* OK [UIDVALIDITY x] \r\n{tag} OK\r\n'}),
    'select-cut': (GREETING, {'SELECT': b'* FLAGS (\\Se'}),
    'select-endless-line': (GREETING, {'SELECT': b'* OK ' + b'A' * (8 << 20)}),
    'search-garbage': (GREETING, {'UID SEARCH': b'* SEARCH 1 two -3 \x00\r\n{tag} OK\r\n'}),
    'fetch-literal-lie': (GREETING, {'UID FETCH': b'* 1 FETCH (UID 1 BODY[] {999999999}\r\nshort'}),
    'fetch-huge-literal': (GREETING, {'UID FETCH': b'* 1 FETCH (UID 1 BODY[] {18446744073709551615}\r\n'}),
    'fetch-unbalanced': (GREETING, {'UID FETCH': b'* 1 FETCH (UID 1 BODY[] {4}\r\nabcd)))) ((\r\n'
                                                 b'{tag} OK\r\n'}),
    'fetch-hangs': (GREETING, {'UID FETCH': HANG}),
    'fetch-no': (GREETING, {'UID FETCH': b'{tag} NO [SERVERBUG] broken\r\n'}),
}


class BrokenImap:
    """with BrokenImap(bed, port, scenario) as srv: ... — serves every
    connection with the scenario (srv.use(other) switches) until closed."""

    def __init__(self, bed, port, scenario):
        self.use(scenario)
        ca = os.path.join(bed.run_dir, 'ca')
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(os.path.join(ca, 'server.pem'), os.path.join(ca, 'server.key'))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(8)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def use(self, scenario):
        """Serve the next connections with another scenario."""
        self.greeting, self.overrides = SCENARIOS[scenario]
        self.commands = []

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=10)

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _send(self, s, data, tag=''):
        if data is HANG:
            self.stop.wait(120)
            return False
        if data is CLOSE:
            return False
        s.sendall(data.replace(b'{tag}', tag.encode()))
        return True

    def _serve(self, conn):
        try:
            conn.settimeout(60)
            s = self.ctx.wrap_socket(conn, server_side=True)
            f = s.makefile('rb')
            if not self._send(s, self.greeting):
                return
            while not self.stop.is_set():
                line = f.readline(65536)
                if not line:
                    return
                parts = line.decode('ascii', 'replace').split()
                if len(parts) < 2:
                    continue
                tag, verb = parts[0], parts[1].upper()
                if verb == 'UID' and len(parts) > 2:
                    verb = 'UID ' + parts[2].upper()
                self.commands.append(verb)
                if verb in self.overrides:
                    resp = self.overrides[verb]
                    if not self._send(s, resp, tag) or resp is not None and b'{tag}' not in resp:
                        return  # a cut response: drop the connection after it
                    continue
                self._send(s, _normal(verb, tag), tag)
                if verb == 'LOGOUT':
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass


class FakeSmtp:
    """A listener that records what an SMTP client sends it: with cert
    (a name in the bed's ca/ directory, e.g. 'expired') it speaks implicit
    TLS with that certificate; without, plain SMTP whose EHLO offers AUTH
    but no STARTTLS. A client that verifies properly sends nothing (TLS) or
    never AUTH (plain)."""

    def __init__(self, bed, port, cert=None):
        self.ctx = None
        if cert:
            ca = os.path.join(bed.run_dir, 'ca')
            self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ctx.load_cert_chain(os.path.join(ca, cert + '.pem'),
                                     os.path.join(ca, cert + '.key'))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(8)
        self.received = []       # lines the client sent
        self.handshakes = 0      # completed TLS handshakes
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(timeout=10)

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(20)
            s = conn
            if self.ctx:
                s = self.ctx.wrap_socket(conn, server_side=True)
                self.handshakes += 1
            f = s.makefile('rb')
            s.sendall(b'220 fake.example ESMTP\r\n')
            while True:
                line = f.readline(4096)
                if not line:
                    return
                self.received.append(line.decode('ascii', 'replace').strip())
                verb = line[:4].upper()
                if verb in (b'EHLO', b'HELO'):
                    s.sendall(b'250-fake.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n')
                elif verb == b'QUIT':
                    s.sendall(b'221 bye\r\n')
                    return
                else:
                    s.sendall(b'530 5.7.0 no\r\n')
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass
