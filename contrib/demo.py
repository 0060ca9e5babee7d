#!/usr/bin/env python3
"""The intaked demo: real servers on loopback, real mail, the daemon running.

    demo.py [--dir DIR] BUILD          run the demo
    demo.py --stop [--dir DIR] BUILD   stop the servers a demo left running

DIR (default $DEMO_DIR, else BUILD/demo) holds everything and survives the
demo: the configuration, the spool, the mail as received, the publication
page, and the test bed (Dovecot + Postfix with a throwaway CA) in DIR/bed,
which is LEFT RUNNING so that intakectl and a mail client can be tried on
it. A new demo first stops the one in DIR and starts afresh. Ports:
$TESTBED_PORT_BASE (default 25000) plus the bed's offsets (24..993).

The story, on the scheduling clock `--now` sets (the mail is from 2022):
missions write in over March 2022 (contrib/demo/inputs.txt: a .docx, a
.pdf, one over the word limit, an encrypted PDF, an out-of-office reply, a
sender not on the roster, French and Spanish); on the deadline's morning
`intaked --foreground` files them and reminds the missions still missing,
and IMAP IDLE brings it Bangladesh's revised version (v2) while it runs;
overnight France and Mexico write in; the next morning `intaked --once`
files those and sends the coordinators their digest; `intakectl publish`
writes the page."""
import argparse
import base64
import email
import email.policy
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import sys
import time
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
INPUTS = os.path.join(HERE, 'demo')
sys.path.insert(0, os.path.join(TOP, 'tests', 'integration'))
sys.path.insert(0, os.path.join(TOP, 'tests', 'fixtures'))

import make_docs  # noqa: E402
from harness import GCM, IMRF, Harness  # noqa: E402
from testbed import Testbed, TestbedError  # noqa: E402

DEFAULT_PORT_BASE = 25000
CALL = 'imrf-2022'
# The deadline is 2022-03-29 18:00 EDT (22:00Z). The daemon runs at 07:00
# EDT that day (the 1-day reminder is due), the digest goes out at 08:05
# EDT the next morning (digest_at = 08:00).
MORNING = datetime(2022, 3, 29, 11, 0, 0, tzinfo=timezone.utc)
NEXT_MORNING = datetime(2022, 3, 30, 12, 5, 0, tzinfo=timezone.utc)
ROSTER = '''name,addresses
Bangladesh,"@mofa.gov.bd;bangladesh@un.int"
China,china@mfa.gov.cn
Ecuador,@cancilleria.gob.ec
France,france@diplomatie.gouv.fr
Kenya,kenya.mission@mfa.go.ke
Mexico,@sre.gob.mx
Philippines,@dfa.gov.ph
'''
DEMO_IMRF = dict(IMRF, word_limit='5000', reminders='7d, 1d, 3h', remind='missing',
                 digest_at='08:00')
DEMO_GCM = dict(GCM, deadline='2022-04-08 12:00 Europe/Paris')
# The word limit is 5000: the Philippines' annex repeats its six
# recommendations until the document is over it.
ANNEX_RECOMMENDATIONS = 156


def iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%SZ')


def say(text=''):
    print(text, flush=True)


def indent(text, by='    '):
    return ''.join(by + line if line.strip() else line
                   for line in text.splitlines(keepends=True))


# ------------------------------------------------------------ the documents

def paragraphs(name):
    with open(os.path.join(INPUTS, 'text', name), encoding='utf-8') as f:
        return [p.replace('\n', ' ').strip() for p in f.read().split('\n\n') if p.strip()]


def docx(paras):
    body = ''.join('<w:p>%s</w:p>' % make_docs.wt(p) for p in paras)
    return make_docs.docx_bytes(make_docs.docx_document(body))


def philippines_paragraphs():
    recs = [line.strip() for line in
            open(os.path.join(INPUTS, 'text', 'philippines-annex.txt'), encoding='utf-8')
            if line.strip()]
    annex = ['Annex: recommendations from the national consultations']
    annex += ['Recommendation %d. %s' % (i + 1, recs[i % len(recs)])
              for i in range(ANNEX_RECOMMENDATIONS)]
    return paragraphs('philippines.txt') + annex


def documents():
    """The documents the .eml templates name, made at demo time."""
    return {
        'bangladesh-v1.docx': docx(paragraphs('bangladesh-v1.txt')),
        'bangladesh-v2.docx': docx(paragraphs('bangladesh-v2.txt')),
        'philippines.docx': docx(philippines_paragraphs()),
        'france.pdf': make_docs.make_pdf(paragraphs('france.txt'), False),
        'ecuador.pdf': make_docs.make_pdf_encrypted(' '.join(paragraphs('ecuador.txt'))),
    }


def word_count(paras):
    """SPEC section 4 for Latin text: whitespace tokens holding a letter or digit."""
    return sum(1 for p in paras for tok in p.split() if any(c.isalnum() for c in tok))


def expected_words():
    return {'bangladesh-v1.docx': word_count(paragraphs('bangladesh-v1.txt')),
            'bangladesh-v2.docx': word_count(paragraphs('bangladesh-v2.txt')),
            'philippines.docx': word_count(philippines_paragraphs())}


def fill(template, docs):
    """Replace each {{base64 NAME}} line by NAME's bytes, base64 in 76-column lines."""
    out = []
    for line in template.split(b'\n'):
        s = line.strip()
        if s.startswith(b'{{base64 ') and s.endswith(b'}}'):
            data = base64.encodebytes(docs[s[9:-2].decode()]).rstrip(b'\n')
            out.append(data)
        else:
            out.append(line)
    return b'\n'.join(out).replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')


def inputs(docs):
    """[(name, raw, INTERNALDATE or None, phase)] from inputs.txt."""
    out = []
    with open(os.path.join(INPUTS, 'inputs.txt')) as f:
        for line in f:
            if not line.strip() or line.startswith('#'):
                continue
            name, when, phase = line.split()
            with open(os.path.join(INPUTS, name), 'rb') as m:
                raw = fill(m.read(), docs)
            date = None if when == '-' else datetime.fromisoformat(when.replace('Z', '+00:00'))
            out.append((name, raw, date, phase))
    return out


def save_inputs(demo_dir, docs, msgs):
    d = os.path.join(demo_dir, 'inputs')
    os.makedirs(d, exist_ok=True)
    for name, data in list(docs.items()) + [(n, raw) for n, raw, _, _ in msgs]:
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    return d


# ------------------------------------------------------------ the test bed

def bed_dir_for(demo_dir):
    """DIR/bed when its path suits unix sockets (testbed.sh: 60 bytes at
    most) and Dovecot's and Postfix's users can reach it; else a stable
    directory in /tmp named after DIR, which DIR/bed links to."""
    path = os.path.join(demo_dir, 'bed')
    reachable = all(os.stat(p).st_mode & 0o001 for p in parents(demo_dir))
    if len(path) <= 60 and reachable:
        return path, None
    tag = hashlib.sha256(demo_dir.encode()).hexdigest()[:10]
    return path, '/tmp/intaked-demo.' + tag


def parents(path):
    out = []
    while path not in ('/', ''):
        if os.path.exists(path):
            out.append(path)
        path = os.path.dirname(path)
    return out


def stop_bed(demo_dir):
    """Stop the servers of the demo in demo_dir, if any; True if some ran."""
    bed = os.path.join(demo_dir, 'bed')
    if not os.path.exists(os.path.join(bed, 'testbed.env')):
        return False
    tb = Testbed.attach(bed)
    was = tb.master_pids()
    tb.stop()
    return bool(was)


MARKER = '.intaked-demo'


def fresh_demo_dir(demo_dir):
    """Stop an earlier demo in demo_dir and empty it (a bed in /tmp too).
    A directory that holds something other than a demo is left alone."""
    ours = [os.path.join(demo_dir, n) for n in (MARKER, os.path.join('bed', 'testbed.env'))]
    if os.path.isdir(demo_dir) and os.listdir(demo_dir) and not any(map(os.path.exists, ours)):
        sys.exit(f'demo: {demo_dir} is not empty and holds no demo: not touching it '
                 f'(set DEMO_DIR to a new or empty directory)')
    if stop_bed(demo_dir):
        say(f'== Stopped the servers of the previous demo in {demo_dir}')
    link = os.path.join(demo_dir, 'bed')
    if os.path.islink(link):
        shutil.rmtree(os.path.realpath(link), ignore_errors=True)
    shutil.rmtree(demo_dir, ignore_errors=True)
    os.makedirs(demo_dir)
    with open(os.path.join(demo_dir, MARKER), 'w') as f:
        f.write('made by contrib/demo.py: make demo empties this directory\n')


def start_bed(demo_dir, port_base):
    path, elsewhere = bed_dir_for(demo_dir)
    if elsewhere:
        shutil.rmtree(elsewhere, ignore_errors=True)
        os.makedirs(elsewhere)
        os.symlink(elsewhere, path)
    else:
        os.makedirs(path)
    bed = Testbed(run_dir=path, port_base=port_base)
    try:
        bed.start()
    except TestbedError as e:
        sys.exit(f'demo: could not start the servers:\n{e}\n'
                 f'demo: another demo or test bed on these ports? Stop it, or run with '
                 f'TESTBED_PORT_BASE set to another base (now {port_base}).')
    return bed


# ------------------------------------------------------------ the spool

def entries(spool):
    out = []
    for md in sorted(glob.glob(os.path.join(spool, '**', 'metadata.json'), recursive=True)):
        rel = md[len(spool):]
        if os.sep + 'tmp' + os.sep in rel or os.sep + 'files' + os.sep in rel:
            continue
        with open(md, encoding='utf-8') as f:
            out.append((os.path.relpath(os.path.dirname(md), spool), json.load(f)))
    return out


def wait_for(what, cond, timeout=60):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f'demo: timed out waiting for {what}')
        time.sleep(0.1)


def outbox_empty(spool):
    return not os.listdir(os.path.join(spool, 'outbox', 'queue')) \
        if os.path.isdir(os.path.join(spool, 'outbox', 'queue')) else True


def describe(md):
    if md['kind'] != 'submission':
        return f"{md['kind']} from {md['from']}: {md.get('reason') or ''}".rstrip(': ')
    who = md['submitter']['name'] or md['from']
    docs = ', '.join(f"{d['name']} ({d['words']} words)" if not d.get('error')
                     else f"{d['name']} (unreadable: {d['error']})"
                     for d in md.get('documents') or []) or 'the message text'
    over = ', OVER THE LIMIT' if md.get('over_limit') else ''
    return (f"{who}, v{md['version']}: {md['timeliness']}, {md['status']}, "
            f"{md['word_count']} words{over}; {docs}; ack {md['ack']['state']}")


def show_spool(spool):
    say(f'\n== What was filed (spool: {spool})')
    for rel, md in entries(spool):
        say(f'  {rel}\n      {describe(md)}')


# ------------------------------------------------------------ the mail

def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def find_mail(bed, user, pred, timeout=30):
    """The first message of user's INBOX for which pred(msg) holds."""
    found = []

    def look():
        found[:] = [raw for raw in bed.fetch_all(user) if pred(parse(raw))]
        return found
    wait_for(f'mail to {user}', look, timeout)
    return found[0]


def save_mail(demo_dir, name, raw):
    d = os.path.join(demo_dir, 'mail')
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    with open(path, 'wb') as f:
        f.write(raw)
    return path


def save_digest_html(demo_dir, raw):
    """The digest's HTML part as a page beside the raw mail, its chart
    (cid:) saved next to it, and a screenshot when Chromium is there:
    what the coordinator sees in Outlook or Gmail. (html, png or None)."""
    msg = parse(raw)
    part = msg.get_body(('html',))
    if part is None:
        return None, None
    html = part.get_content()
    for img in msg.walk():
        cid = (img['Content-ID'] or '').strip('<>')
        if cid and img.get_content_type() == 'image/png':
            name = f'digest-{CALL}-chart.png'
            with open(os.path.join(demo_dir, 'mail', name), 'wb') as f:
                f.write(img.get_payload(decode=True))
            html = html.replace(f'cid:{cid}', name)
    path = os.path.join(demo_dir, 'mail', f'digest-{CALL}.html')
    with open(path, 'w') as f:
        f.write(html)
    png = os.path.join(demo_dir, 'mail', f'digest-{CALL}.png')
    chromium = shutil.which('chromium')
    if chromium is None:
        return path, None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                        '--no-first-run', '--disable-background-networking',
                        '--disable-component-update', '--disable-sync',
                        f'--user-data-dir={profile}', '--window-size=900,1400',
                        f'--screenshot={png}', 'file://' + path],
                       capture_output=True, timeout=120)
    return path, png if os.path.exists(png) else None


def show_mail(title, raw, path):
    msg = parse(raw)
    say(f'\n== {title}\n   (raw message saved as {path})')
    for k in ('From', 'To', 'Subject', 'Auto-Submitted', 'In-Reply-To'):
        if msg[k]:
            say(f'    {k}: {msg[k]}')
    say()
    say(indent(msg.get_body(('plain',)).get_content().rstrip('\n')))
    for part in msg.iter_attachments():
        say(f'    [attached: {part.get_filename()}, {part.get_content_type()}, '
            f'{len(part.get_payload(decode=True))} bytes]')


# ------------------------------------------------------------ the programs

def run(build, prog, *args, expect=0):
    cmd = [os.path.join(build, prog), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != expect:
        raise RuntimeError(f'demo: {" ".join(cmd)} exited {p.returncode}, want {expect}\n'
                           f'{p.stdout}{p.stderr}')
    return p


def log_lines(text):
    """The daemon's log for reading: info lines, without the level."""
    return indent(''.join(line.replace('level=info ', '')
                          for line in text.splitlines(keepends=True)
                          if 'level=debug' not in line), '  ')


class LogTail:
    """Prints what a log file gained since the last call."""

    def __init__(self, path):
        self.path, self.pos = path, 0

    def show(self):
        with open(self.path) as f:
            f.seek(self.pos)
            text = f.read()
            self.pos = f.tell()
        if text:
            say(log_lines(text).rstrip('\n'))


# ------------------------------------------------------------ the story

class Demo:
    def __init__(self, build, demo_dir, port_base):
        self.build, self.dir, self.port_base = build, demo_dir, port_base
        self.docs = documents()
        self.msgs = inputs(self.docs)
        self.bed = self.h = None

    def intakectl(self, *args, expect=0):
        return run(self.build, 'intakectl', '-c', self.h.conf, *args, expect=expect)

    def setup(self):
        fresh_demo_dir(self.dir)
        self.bed = start_bed(self.dir, self.port_base)
        self.h = Harness(self.bed, self.build, keep=True, workdir=self.dir)
        # A copy of the CA the config names: the config stays usable even
        # if the bed is in /tmp and /tmp is cleared.
        self.ca = os.path.join(self.dir, 'ca.pem')
        shutil.copyfile(self.bed.ca_path, self.ca)
        # poll_interval = 10m: what arrives while the daemon runs comes by IDLE.
        self.h.config(calls=(DEMO_IMRF, DEMO_GCM), roster=ROSTER,
                      mailbox={'ca_file': self.ca, 'poll_interval': '10m'},
                      smtp={'ca_file': self.ca})
        self.spool = self.h.spool
        say(f'== Servers up: Dovecot IMAPS 127.0.0.1:{self.bed.imaps_port}, Postfix '
            f'submission 127.0.0.1:{self.bed.submission_port} (bed {self.bed.run_dir})')
        say(f'   config {self.h.conf}; the generated inputs are in '
            f'{save_inputs(self.dir, self.docs, self.msgs)}')

    def append(self, phase, when=None):
        n = 0
        for name, raw, date, ph in self.msgs:
            if ph == phase:
                date = date or when
                self.bed.append('intake@example.org', raw, date)
                say(f'  appended {name:32} received {date:%Y-%m-%d %H:%M:%S}Z')
                n += 1
        return n

    def foreground(self):
        """intaked --foreground on the deadline's morning: files the backlog,
        reminds, then IDLE brings the live message; SIGTERM ends it."""
        say('\n== Mail that arrived in March (before the daemon runs)')
        backlog = self.append('backlog')
        say(f'\n== On the deadline\'s morning ({MORNING:%Y-%m-%d %H:%M}Z, 07:00 EDT): '
            f'intaked -c {self.h.conf} --foreground --now {iso(MORNING)}')
        log_path = os.path.join(self.dir, 'intaked.log')
        with open(log_path, 'w') as log:
            p = subprocess.Popen([os.path.join(self.build, 'intaked'), '-c', self.h.conf,
                                  '--foreground', '--now', iso(MORNING)],
                                 stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        log = LogTail(log_path)
        try:
            wait_for('the backlog to be filed', lambda: len(entries(self.spool)) >= backlog)
            wait_for('the acknowledgements and reminders to leave',
                     lambda: outbox_empty(self.spool))
            log.show()
            self.live(started, log)
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        log.show()
        if rc != 0:
            raise RuntimeError(f'demo: intaked --foreground exited {rc} on SIGTERM, want 0')
        say(f'  intaked exited {rc} on SIGTERM (its log: {log_path})')

    def live(self, started, log):
        say('\n  ... the backlog is filed, acknowledgements and the reminders due (1 day '
            'before the deadline) are sent;\n  ... intaked now waits in IMAP IDLE '
            '(poll_interval is 10m). Bangladesh sends a revised version:')
        clock = MORNING + timedelta(seconds=int(time.monotonic() - started) + 1)
        t0 = time.monotonic()
        self.append('live', clock)
        v2 = os.path.join(self.spool, 'calls', CALL, 'bangladesh', 'v2', 'metadata.json')
        wait_for('the live message to be filed', lambda: os.path.exists(v2), timeout=60)
        took = time.monotonic() - t0
        wait_for('the v2 acknowledgement to leave', lambda: outbox_empty(self.spool))
        log.show()
        say(f'\n  ... filed as calls/{CALL}/bangladesh/v2 {took:.1f}s after it arrived, and '
            f'acknowledged; now SIGTERM:')

    def next_morning(self):
        say('\n== Overnight mail (after the daemon stopped)')
        self.append('overnight')
        say(f'\n== The next morning ({NEXT_MORNING:%Y-%m-%d %H:%M}Z, 08:05 EDT; digest_at = 08:00): '
            f'intaked -c {self.h.conf} --once --now {iso(NEXT_MORNING)}')
        p = run(self.build, 'intaked', '-c', self.h.conf, '--once', '--now', iso(NEXT_MORNING))
        say(log_lines(p.stderr))

    def publish(self):
        out = os.path.join(self.dir, 'site')
        self.intakectl('publish', CALL, out)
        return os.path.join(out, CALL, 'index.html')

    def show_results(self, page):
        show_spool(self.spool)
        bed, d = self.bed, self.dir

        def reply_to(msgid):
            return lambda m: m['In-Reply-To'] == msgid
        ack1 = find_mail(bed, 'bangladesh@mofa.gov.bd', reply_to('<CAF3s9Xk1demo01@mofa.gov.bd>'))
        show_mail("The acknowledgement of Bangladesh's .docx, in the mission's mailbox", ack1,
                  save_mail(d, 'ack-bangladesh-v1.eml', ack1))
        ack2 = find_mail(bed, 'bangladesh@mofa.gov.bd', reply_to('<CAF3s9Xk1demo07@mofa.gov.bd>'))
        show_mail("The acknowledgement of Bangladesh's revised version (v2)", ack2,
                  save_mail(d, 'ack-bangladesh-v2.eml', ack2))
        rem = find_mail(bed, 'france@diplomatie.gouv.fr',
                        lambda m: m['Auto-Submitted'] == 'auto-generated')
        show_mail('The reminder France received on the morning of the deadline', rem,
                  save_mail(d, 'reminder-france.eml', rem))
        digest = find_mail(bed, 'coord@example.org', lambda m: True)
        show_mail("The digest in the coordinator's mailbox (coord@example.org)", digest,
                  save_mail(d, f'digest-{CALL}.eml', digest))
        self.digest_html, self.digest_png = save_digest_html(d, digest)
        self.show_where(page)

    def show_where(self, page):
        conf = self.h.conf
        ctl = os.path.join(self.build, 'intakectl')
        say(f'''
== Where everything is
  publication page   {page}
  spool              {self.spool}
  config             {conf}
  mail (raw)         {os.path.join(self.dir, 'mail')}/  (the acks, reminder and digest above)
  digest as HTML     {self.digest_html or '-'}  (rendered: {self.digest_png or 'no chromium'})
  generated inputs   {os.path.join(self.dir, 'inputs')}/
  daemon log         {os.path.join(self.dir, 'intaked.log')}
  servers            {self.bed.run_dir} (still running: IMAPS 127.0.0.1:{self.bed.imaps_port}, \
submission 127.0.0.1:{self.bed.submission_port}, CA {os.path.join(self.dir, 'ca.pem')})

== Try next
  {ctl} -c {conf} status
  {ctl} -c {conf} calls
  {ctl} -c {conf} list {CALL}
  {ctl} -c {conf} show {self.v2_id()}
  {ctl} -c {conf} missing {CALL}
  {ctl} -c {conf} export {CALL} --format xlsx -o {os.path.join(self.dir, CALL + '.xlsx')}
  {ctl} -c {conf} diff {self.v2_id()}
  {os.path.join(self.build, 'intaked')} -c {conf} --foreground   (Ctrl-C to stop)
  make demo-stop{self.stop_hint()}      stops the servers
  (the bed's mail users are in tests/testbed/users, password secret-LOCALPART)''')

    def v2_id(self):
        with open(os.path.join(self.spool, 'calls', CALL, 'bangladesh', 'v2',
                               'metadata.json')) as f:
            return json.load(f)['id']

    def stop_hint(self):
        """The make arguments that name this demo's directory, if any."""
        if self.dir != os.path.join(self.build, 'demo'):
            return f' DEMO_DIR={self.dir}'
        if self.build != os.path.join(TOP, 'build'):
            return f' O={self.build}'
        return ''

    def run(self):
        self.setup()
        try:
            self.foreground()
            self.next_morning()
            page = self.publish()
            self.show_results(page)
        except BaseException:
            say('demo: failed; stopping the servers (logs stay in '
                f'{self.bed.run_dir})', )
            self.bed.stop()
            raise
        return 0


def main():
    ap = argparse.ArgumentParser(description='The intaked demo (see the module docstring).')
    ap.add_argument('build', nargs='?', default='build')
    ap.add_argument('--dir', help='demo directory (default $DEMO_DIR, else BUILD/demo)')
    ap.add_argument('--stop', action='store_true', help='stop the servers a demo left running')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    demo_dir = os.path.abspath(args.dir or os.environ.get('DEMO_DIR') or
                               os.path.join(build, 'demo'))
    if args.stop:
        ran = stop_bed(demo_dir)
        say(f'demo: {"stopped the servers of" if ran else "no servers running for"} '
            f'the demo in {demo_dir}')
        return 0
    port_base = int(os.environ.get('TESTBED_PORT_BASE') or DEFAULT_PORT_BASE)
    return Demo(build, demo_dir, port_base).run()


if __name__ == '__main__':
    sys.exit(main())
