"""Network faults in front of the real Dovecot, and a foreground intaked to
watch, for the connection tests (test_connection.py, test_oauth.py).

FaultProxy is a TCP proxy on loopback (asyncio, in a thread) between
intaked and the bed's IMAPS port. It passes the TLS stream through
untouched and, per connection in turn, may instead:
  'pass'          forward both ways;
  'silent'        accept and never say a word (nor read what is sent);
  ('cut', N)      forward, then drop both sides once N bytes have come
                  from the server (mid-FETCH for a big enough message).
It is a fault injector, not an IMAP server: every byte intaked reads comes
from Dovecot."""
import asyncio
import os
import re
import signal
import subprocess
import threading
import time


class LoopbackServer:
    """An asyncio server on 127.0.0.1 (TLS with ssl_ctx), run in a thread of
    its own for the length of a with block; subclasses define
    _serve(reader, writer) for one connection."""

    def __init__(self, ssl_ctx=None, limit=1 << 16):
        self.port = None
        self._ssl, self._limit = ssl_ctx, limit
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._tasks = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self):
        self._server = await asyncio.start_server(self._handle, '127.0.0.1', 0,
                                                  ssl=self._ssl, limit=self._limit)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self):
        self._server.close()
        await self._server.wait_closed()
        for t in list(self._tasks):
            t.cancel()

    async def _handle(self, reader, writer):
        self._tasks.add(asyncio.current_task())
        try:
            await self._serve(reader, writer)
        finally:
            self.close_quietly(writer)
            self._tasks.discard(asyncio.current_task())

    @staticmethod
    def close_quietly(writer):
        """Close one side of a pipe whatever state its transport is in."""
        try:
            writer.close()
        except Exception:
            pass


class FaultProxy(LoopbackServer):
    def __init__(self, upstream_port, plan=(), upstream_host='127.0.0.1'):
        super().__init__()
        self.upstream = (upstream_host, upstream_port)
        self.plan = list(plan)          # behaviours of connections 1, 2, ...; then 'pass'
        self.connections = 0
        self.cuts = 0

    async def _serve(self, reader, writer):
        self.connections += 1
        n = self.connections
        how = self.plan[n - 1] if n <= len(self.plan) else 'pass'
        try:
            if how == 'silent':
                await asyncio.sleep(3600)   # cancelled at exit or when intaked leaves
                return
            up_r, up_w = await asyncio.open_connection(*self.upstream)
            limit = how[1] if isinstance(how, tuple) and how[0] == 'cut' else None
            await asyncio.gather(self._pipe(reader, up_w, None),
                                 self._pipe(up_r, writer, limit),
                                 return_exceptions=True)
            up_w.close()
        except asyncio.CancelledError:
            pass

    async def _pipe(self, src, dst, limit):
        sent = 0
        try:
            while True:
                data = await src.read(65536)
                if not data:
                    break
                if limit is not None and sent + len(data) >= limit:
                    dst.write(data[:max(0, limit - sent)])
                    await dst.drain()
                    self.cuts += 1
                    # Drop the connection the hard way (RST), as a dying
                    # router would, not with a polite close.
                    sock = dst.get_extra_info('socket')
                    if sock is not None:
                        import socket
                        import struct
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack('ii', 1, 0))
                    dst.transport.abort()
                    return
                sent += len(data)
                dst.write(data)
                await dst.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.close_quietly(dst)


class Foreground:
    """build/intaked -c CONF --foreground -v as a child; its log in a file."""

    def __init__(self, h, args=(), env=None):
        self.h = h
        self.log_path = os.path.join(h.dir, f'foreground.{len(h.logs)}.log')
        cmd = [os.path.join(h.build, 'intaked'), '-c', h.conf, '--foreground', '-v', *args]
        self.f = open(self.log_path, 'wb')
        self.p = subprocess.Popen(cmd, stdout=self.f, stderr=self.f,
                                  env=dict(os.environ, **(env or {})))
        self.started = time.monotonic()

    def text(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def count(self, pattern):
        return len(re.findall(pattern, self.text()))

    def wait_for(self, pattern, n=1, timeout=30, step=0.02):
        """Wait until pattern (a regex) occurs n times in the log; returns
        the monotonic time it was seen."""
        deadline = time.monotonic() + timeout
        while True:
            if self.count(pattern) >= n:
                return time.monotonic()
            if self.p.poll() is not None:
                raise AssertionError(f'intaked exited ({self.p.returncode}) before '
                                     f'{pattern!r} x{n}:\n{self.text()[-3000:]}')
            if time.monotonic() > deadline:
                raise TimeoutError(f'no {pattern!r} x{n} within {timeout}s:\n'
                                   f'{self.text()[-3000:]}')
            time.sleep(step)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=60)
        finally:
            self.f.close()
            self.h.logs.append(('--foreground', '', self.text()))
        assert rc == 0, f'intaked exited {rc}:\n{self.text()[-3000:]}'
        return rc
