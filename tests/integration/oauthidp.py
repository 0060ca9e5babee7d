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
import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID = 'intaked-test-client'
CLIENT_SECRET = 'client-secret-for-tests'


class IdP:
    def __init__(self, port, user, expires_in=3600, rotate=False, tls=None,
                 reject_access=False, client_cert=None, device_interval=1,
                 slow_down_once=False):
        self.port = port
        self.user = user
        self.expires_in = expires_in
        self.rotate = rotate            # issue a new refresh token with each grant
        self.tls = tls                  # (certfile, keyfile): /token over HTTPS
        self.reject_access = reject_access  # introspection: every token inactive
        self.requests = []              # (listener, path) of every HTTP request
        self.token_port = port
        self.refresh_tokens = set()
        self.public_tokens = set()      # refresh tokens usable without a secret
        self.access_tokens = {}         # token -> user
        self.expiry = {}                # token -> time it stops working
        self.grants = []                # (refresh token used, status) per request
        self.introspections = []        # (token, active) per request
        self.lock = threading.Lock()
        self.server = None
        # Client credentials with a certificate (private_key_jwt): the PEM
        # of the certificate whose key signs the client assertion.
        self.client_cert = client_cert
        self.assertions = []            # (header, claims) of each accepted JWT
        self.scopes = []                # scope of each device / client grant
        # Device authorization grant (RFC 8628).
        self.device_interval = device_interval
        self.slow_down_once = slow_down_once
        self.devices = {}               # device_code -> dict(user_code, state, polls)
        self.codes = {}                 # authorization code -> (challenge, redirect_uri)

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
    def _access_token(self):
        """Under self.lock: a new access token, dead after expires_in."""
        at = 'at-' + secrets.token_urlsafe(24)
        self.access_tokens[at] = self.user
        self.expiry[at] = time.time() + self.expires_in
        return {'access_token': at, 'token_type': 'Bearer', 'expires_in': self.expires_in}

    def _grant(self, form):
        kind = form.get('grant_type')
        if kind == 'client_credentials':
            return self._client_credentials(form)
        if kind == 'urn:ietf:params:oauth:grant-type:device_code':
            return self._device_poll(form)
        if kind == 'authorization_code':
            return self._code_grant(form)
        rt = form.get('refresh_token', '')
        # A refresh token of a device sign-in belongs to a public client
        # (no secret), as with Microsoft's "allow public client flows".
        public = rt in self.public_tokens and 'client_secret' not in form
        if (form.get('client_id') != CLIENT_ID or
                (not public and form.get('client_secret') != CLIENT_SECRET)):
            return 401, {'error': 'invalid_client'}
        with self.lock:
            if form.get('grant_type') != 'refresh_token' or rt not in self.refresh_tokens:
                self.grants.append((rt, 400))
                return 400, {'error': 'invalid_grant',
                             'error_description': 'refresh token expired or revoked'}
            body = self._access_token()
            if self.rotate:
                self.refresh_tokens.discard(rt)
                fresh = 'rt-' + secrets.token_urlsafe(24)
                self.refresh_tokens.add(fresh)
                if public:
                    self.public_tokens.add(fresh)
                body['refresh_token'] = fresh
            self.grants.append((rt, 200))
        return 200, body

    # ------------------------------------------- client credentials grant
    def _client_credentials(self, form):
        if form.get('client_id') != CLIENT_ID:
            return 401, {'error': 'invalid_client'}
        if 'client_assertion' in form:
            ok, why = self._check_assertion(form)
            if not ok:
                with self.lock:
                    self.grants.append(('client_assertion', 401))
                return 401, {'error': 'invalid_client', 'error_description': why}
        elif form.get('client_secret') != CLIENT_SECRET:
            with self.lock:
                self.grants.append(('client_secret', 401))
            return 401, {'error': 'invalid_client'}
        with self.lock:
            self.scopes.append(form.get('scope'))
            self.grants.append(('client_credentials', 200))
            return 200, self._access_token()

    def _check_assertion(self, form):
        """RFC 7523 private_key_jwt: RS256 over header.claims, checked with
        the registered certificate; x5t is its SHA-1 thumbprint; aud the
        token endpoint; iss = sub = client_id; not expired."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        if form.get('client_assertion_type') != \
                'urn:ietf:params:oauth:client-assertion-type:jwt-bearer':
            return False, 'bad client_assertion_type'
        try:
            h64, c64, s64 = form['client_assertion'].split('.')
            header, claims = json.loads(b64d(h64)), json.loads(b64d(c64))
            cert = x509.load_pem_x509_certificate(self.client_cert)
            der = cert.public_bytes(serialization.Encoding.DER)
            if header.get('alg') != 'RS256' or header.get('x5t') != b64e(hashlib.sha1(der).digest()):
                return False, 'bad header'
            cert.public_key().verify(b64d(s64), (h64 + '.' + c64).encode(),
                                     padding.PKCS1v15(), hashes.SHA256())
        except Exception as e:          # noqa: BLE001 - any flaw is a refusal
            return False, f'bad assertion: {type(e).__name__}'
        now = time.time()
        if not (claims.get('iss') == claims.get('sub') == CLIENT_ID and
                claims.get('aud') == self.token_url and claims.get('jti') and
                claims.get('exp', 0) > now and claims.get('nbf', now) <= now + 5):
            return False, 'bad claims'
        with self.lock:
            self.assertions.append((header, claims))
        return True, ''

    # ------------------------------------------ device authorization grant
    def _device_start(self, form):
        if form.get('client_id') != CLIENT_ID:
            return 401, {'error': 'invalid_client'}
        dc = 'dc-' + secrets.token_urlsafe(24)
        uc = secrets.token_hex(4).upper()
        with self.lock:
            self.scopes.append(form.get('scope'))
            self.devices[dc] = {'user_code': uc, 'state': 'pending', 'polls': []}
        return 200, {'device_code': dc, 'user_code': uc, 'expires_in': 900,
                     'verification_uri': f'{self.base_url}/device',
                     'interval': self.device_interval}

    def _device_decide(self, form):
        with self.lock:
            for d in self.devices.values():
                if d['user_code'] == form.get('user_code'):
                    d['state'] = form.get('decision', 'approved')
                    return 200, {'ok': True}
        return 404, {'error': 'no such user code'}

    def _device_poll(self, form):
        with self.lock:
            d = self.devices.get(form.get('device_code'))
            if d is None or form.get('client_id') != CLIENT_ID:
                return 400, {'error': 'invalid_grant'}
            d['polls'].append(time.time())
            if self.slow_down_once and len(d['polls']) == 1:
                return 400, {'error': 'slow_down'}
            if d['state'] in ('pending', 'expired', 'denied'):
                code = {'pending': 'authorization_pending', 'expired': 'expired_token',
                        'denied': 'access_denied'}[d['state']]
                return 400, {'error': code}
            if d['state'] == 'used':
                return 400, {'error': 'invalid_grant'}
            d['state'] = 'used'
            body = self._access_token()
            rt = 'rt-' + secrets.token_urlsafe(24)
            self.refresh_tokens.add(rt)
            self.public_tokens.add(rt)
            body['refresh_token'] = rt
            self.grants.append(('device_code', 200))
        return 200, body

    def approve(self, user_code, decision='approved', cafile=None):
        """What the user's browser does: sign in and approve (over HTTPS)."""
        import urllib.request
        ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        data = urllib.parse.urlencode({'user_code': user_code, 'decision': decision}).encode()
        with urllib.request.urlopen(f'{self.base_url}/approve', data, context=ctx) as r:
            return json.load(r)

    def pending_polls(self):
        with self.lock:
            return [list(d['polls']) for d in self.devices.values()]

    # ---------------- authorization code with a loopback redirect and PKCE
    def _authorize(self, query):
        """GET /authorize: the user signs in at once; redirect with a code."""
        redirect = query.get('redirect_uri', '')
        if (query.get('client_id') != CLIENT_ID or query.get('response_type') != 'code' or
                not redirect.startswith('http://127.0.0.1:') or
                query.get('code_challenge_method') != 'S256'):
            return 400, None
        code = 'ac-' + secrets.token_urlsafe(16)
        with self.lock:
            self.scopes.append(query.get('scope'))
            self.codes[code] = (query.get('code_challenge'), redirect)
        sep = '&' if '?' in redirect else '?'
        return 302, redirect + sep + urllib.parse.urlencode(
            {'code': code, 'state': query.get('state', '')})

    def _code_grant(self, form):
        if form.get('client_id') != CLIENT_ID or form.get('client_secret') != CLIENT_SECRET:
            return 401, {'error': 'invalid_client'}
        with self.lock:
            challenge, redirect = self.codes.pop(form.get('code', ''), (None, None))
            verifier = form.get('code_verifier', '').encode()
            if (challenge is None or redirect != form.get('redirect_uri') or
                    b64e(hashlib.sha256(verifier).digest()) != challenge):
                self.grants.append(('authorization_code', 400))
                return 400, {'error': 'invalid_grant'}
            body = self._access_token()
            rt = 'rt-' + secrets.token_urlsafe(24)
            self.refresh_tokens.add(rt)
            body['refresh_token'] = rt
            self.grants.append(('authorization_code', 200))
        return 200, body

    def _introspect(self, form):
        token = form.get('token', '')
        with self.lock:
            user = None if self.reject_access else self.access_tokens.get(token)
            if user is not None and time.time() >= self.expiry.get(token, 0):
                user = None             # expired
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
                elif self.path.startswith('/devicecode') and listener in ('token', 'both'):
                    status, body = idp._device_start(form)
                elif self.path.startswith('/approve') and listener in ('token', 'both'):
                    status, body = idp._device_decide(form)
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

            def do_GET(self):
                with idp.lock:
                    idp.requests.append((listener, self.path))
                url = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                status, location = 404, None
                if url.path == '/authorize' and listener in ('token', 'both'):
                    status, location = idp._authorize(query)
                self.send_response(status)
                if location:
                    self.send_header('Location', location)
                self.send_header('Content-Length', '0')
                self.end_headers()

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
    def base_url(self):
        return self.token_url.rsplit('/', 1)[0]

    @property
    def device_auth_url(self):
        return self.base_url + '/devicecode'

    @property
    def token_url(self):
        if self.tls is None:
            return f'http://127.0.0.1:{self.port}/token'
        return f'https://127.0.0.1:{self.token_port}/token'


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def b64d(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
