#!/usr/bin/env python3
"""Drivers of imap_bench.sh (standard library only).

  imap_bench.py idle-raw  PORT CA N          Dovecot alone: APPEND -> untagged
                                             EXISTS seen by an IDLE client
  imap_bench.py idle-intaked PORT CA N BUILD CONF
                                             APPEND -> intaked's event=filed and
                                             event=ack-sent, one message at a time
  imap_bench.py big PORT CA BYTES            APPEND one message of ~BYTES bytes

The IMAP user is the bed's intake@example.org. Times are monotonic, from
the tagged OK of the APPEND (the message exists on the server from then
on). Prints one JSON object."""
import imaplib
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time

USER, PASSWORD = 'intake@example.org', 'secret-intake'


def ctx(ca):
    return ssl.create_default_context(cafile=ca)


def message(i, tag):
    return (f'From: Mission {i} <desk{i}@mission{i}.example>\r\n'
            f'To: intake+bench@example.org\r\nSubject: Latency probe {i}\r\n'
            f'Message-ID: <{tag}.{i}.{time.time_ns()}@bench.example>\r\n'
            f'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
            f'Written input {i}: the delegation supports the declaration.\r\n').encode()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def summary(values):
    return {'n': len(values), 'p50': round(pct(values, 50), 3),
            'p95': round(pct(values, 95), 3), 'max': round(max(values), 3),
            'mean': round(statistics.mean(values), 3)}


def appender(port, ca):
    a = imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=ctx(ca))
    a.login(USER, PASSWORD)
    return a


def idle_raw(port, ca, n):
    s = ctx(ca).wrap_socket(socket.create_connection(('127.0.0.1', port)),
                            server_hostname='127.0.0.1')
    f = s.makefile('rb')
    f.readline()
    for tag, cmd in ((b'a', b'LOGIN %s %s' % (USER.encode(), PASSWORD.encode())),
                     (b'b', b'SELECT INBOX')):
        s.sendall(tag + b' ' + cmd + b'\r\n')
        while not f.readline().startswith(tag + b' '):
            pass
    s.sendall(b'c IDLE\r\n')
    f.readline()
    a = appender(port, ca)
    lat = []
    for i in range(n):
        a.append('INBOX', None, None, message(i, 'raw'))
        t0 = time.monotonic()
        while b'EXISTS' not in f.readline():
            pass
        lat.append(time.monotonic() - t0)
    s.sendall(b'DONE\r\nd LOGOUT\r\n')
    a.logout()
    return {'append_to_exists': summary(lat)}


class Log:
    """intaked's stderr, line by line, with the monotonic time each came."""

    def __init__(self, stream):
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self.cv:
                self.lines.append((time.monotonic(), line))
                self.cv.notify_all()

    def wait(self, needle, n, timeout=60):
        """Time of the n-th line holding needle."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                hits = [t for t, l in self.lines if needle in l]
                if len(hits) >= n:
                    return hits[n - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f'{needle} x{n}: ' + ''.join(
                        l for _, l in self.lines[-20:]))
                self.cv.wait(left)


def idle_intaked(port, ca, n, build, conf):
    p = subprocess.Popen([os.path.join(build, 'intaked'), '-c', conf, '--foreground', '-v'],
                         stderr=subprocess.PIPE, text=True)
    log = Log(p.stderr)
    try:
        log.wait('event=imap_idle ', 1)
        a = appender(port, ca)
        filed, acked = [], []
        for i in range(n):
            a.append('INBOX', None, None, message(i, 'idle'))
            t0 = time.monotonic()
            filed.append(log.wait('event=filed ', i + 1) - t0)
            acked.append(log.wait('event=ack-sent ', i + 1) - t0)
            # Back in IDLE before the next one: one message at a time.
            log.wait('event=imap_idle ', i + 2)
        a.logout()
    finally:
        p.terminate()
        p.wait(timeout=60)
    stop = [l for _, l in log.lines if 'event=stopping' in l]
    return {'append_to_filed': summary(filed), 'append_to_ack_sent': summary(acked),
            'stopping': stop[-1].strip() if stop else None}


def big(port, ca, size):
    import base64
    att = base64.encodebytes(os.urandom(size * 3 // 4 - 2000)).replace(b'\n', b'\r\n')
    raw = (b'From: Mission <france@diplomatie.gouv.fr>\r\nTo: intake+bench@example.org\r\n'
           b'Subject: Annexes\r\nMessage-ID: <big.%d@bench.example>\r\nMIME-Version: 1.0\r\n'
           b'Content-Type: multipart/mixed; boundary="BB"\r\n\r\n--BB\r\n'
           b'Content-Type: text/plain\r\n\r\nOur input, with annexes.\r\n--BB\r\n'
           b'Content-Type: application/octet-stream; name="annex.bin"\r\n'
           b'Content-Disposition: attachment; filename="annex.bin"\r\n'
           b'Content-Transfer-Encoding: base64\r\n\r\n' % time.time_ns()) + att + b'--BB--\r\n'
    a = appender(port, ca)
    a.append('INBOX', None, None, raw)
    a.logout()
    return {'bytes': len(raw)}


def main():
    cmd, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if cmd == 'idle-raw':
        out = idle_raw(port, ca, int(sys.argv[4]))
    elif cmd == 'idle-intaked':
        out = idle_intaked(port, ca, int(sys.argv[4]), sys.argv[5], sys.argv[6])
    elif cmd == 'big':
        out = big(port, ca, int(sys.argv[4]))
    else:
        sys.exit(__doc__)
    print(json.dumps(out))


if __name__ == '__main__':
    main()
