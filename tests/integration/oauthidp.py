"""A small OAuth 2.0 identity provider on loopback for the OAuth tests: the
token endpoint intaked talks to (refresh-token grant, RFC 6749 §6) and the
introspection endpoint (RFC 7662) the test bed's Dovecot checks every
XOAUTH2/OAUTHBEARER token with (tests/testbed/dovecot-oauth2.conf.in). It is
the identity provider under test, not a stand-in for the IMAP or SMTP
server: those stay the real Dovecot and Postfix.

The token endpoint is HTTPS with a certificate from the bed's CA (on a
port of its own), as a private identity provider would be: intaked must be
given that CA (token_ca_file). Dovecot's introspection stays plain HTTP on
oauth_port (dovecot-oauth2.conf.in).

    with IdP(bed.oauth_port, user='intake@example.org',
             tls=bed.server_cert()) as idp:
        rt = idp.issue_refresh_token()
        ...
        idp.revoke(rt)          # the next grant with rt gets invalid_grant
"""
import json
import secrets
import ssl
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = 'intaked-test-client'
CLIENT_SECRET = 'client-secret-for-tests'


class IdP:
    def __init__(self, port, user, expires_in=3600, rotate=False, tls=None,
                 reject_access=False):
        self.port = port
        self.user = user
        self.expires_in = expires_in
        self.rotate = rotate            # issue a new refresh token with each grant
        self.tls = tls                  # (certfile, keyfile): /token over HTTPS
        self.reject_access = reject_access  # introspection: every token inactive
        self.requests = []              # (listener, path) of every HTTP request
        self.token_port = port
        self.refresh_tokens = set()
        self.access_tokens = {}         # token -> user
        self.grants = []                # (refresh token used, status) per request
        self.introspections = []        # (token, active) per request
        self.lock = threading.Lock()
        self.server = None

    # ------------------------------------------------------------ tokens
    def issue_refresh_token(self):
        rt = 'rt-' + secrets.token_urlsafe(24)
        with self.lock:
            self.refresh_tokens.add(rt)
        return rt

    def revoke(self, refresh_token):
        with self.lock:
            self.refresh_tokens.discard(refresh_token)

    def revoke_access_tokens(self):
        with self.lock:
            self.access_tokens.clear()

    # ----------------------------------------------------------- serving
    def _grant(self, form):
        if (form.get('client_id') != CLIENT_ID or
                form.get('client_secret') != CLIENT_SECRET):
            return 401, {'error': 'invalid_client'}
        rt = form.get('refresh_token', '')
        with self.lock:
            if form.get('grant_type') != 'refresh_token' or rt not in self.refresh_tokens:
                self.grants.append((rt, 400))
                return 400, {'error': 'invalid_grant',
                             'error_description': 'refresh token expired or revoked'}
            at = 'at-' + secrets.token_urlsafe(24)
            self.access_tokens[at] = self.user
            body = {'access_token': at, 'token_type': 'Bearer',
                    'expires_in': self.expires_in}
            if self.rotate:
                self.refresh_tokens.discard(rt)
                fresh = 'rt-' + secrets.token_urlsafe(24)
                self.refresh_tokens.add(fresh)
                body['refresh_token'] = fresh
            self.grants.append((rt, 200))
        return 200, body

    def _introspect(self, form):
        token = form.get('token', '')
        with self.lock:
            user = None if self.reject_access else self.access_tokens.get(token)
            self.introspections.append((token, user is not None))
        if user is None:
            return 200, {'active': False}
        return 200, {'active': True, 'username': user}

    def _handler(self, listener):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                with idp.lock:
                    idp.requests.append((listener, self.path))
                n = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(min(n, 65536)).decode('utf-8', 'replace')
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                # /token only where intaked is told to look (HTTPS when
                # tls is given), /introspect only on Dovecot's port.
                if self.path.startswith('/token') and listener in ('token', 'both'):
                    status, body = idp._grant(form)
                elif self.path.startswith('/introspect') and listener in ('introspect', 'both'):
                    status, body = idp._introspect(form)
                else:
                    status, body = 404, {'error': 'not_found'}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        return Handler

    def _serve(self, port, listener, context=None):
        server = ThreadingHTTPServer(('127.0.0.1', port), self._handler(listener))
        server.daemon_threads = True
        if context is not None:
            server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.servers.append(server)
        return server.server_address[1]

    def __enter__(self):
        self.servers = []
        if self.tls is None:
            self._serve(self.port, 'both')
            return self
        self._serve(self.port, 'introspect')
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.tls)
        self.token_port = self._serve(0, 'token', ctx)
        return self

    def __exit__(self, *exc):
        for server in self.servers:
            server.shutdown()
            server.server_close()

    @property
    def token_url(self):
        if self.tls is None:
            return f'http://127.0.0.1:{self.port}/token'
        return f'https://127.0.0.1:{self.token_port}/token'
