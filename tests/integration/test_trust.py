"""Sender authentication (issue 14, item 4), against the real bed: only
the Authentication-Results of our own receiving server count (RFC 8601
authserv-id), parsed with comments and quoted strings, dmarc=pass only for
the From domain; a forged message never supersedes a mission's verified
input, is acknowledged to its From address only, and becomes current only
by intakectl accept."""
import email
import email.policy
import json
import os
import subprocess

from harness import IMRF
from mail import message, utc
from reliability import wait_until

TO = 'intake+imrf@example.org'
MX = 'mx.example.org'
CALL = dict(IMRF, require_auth='dmarc')


def ctl(h, *args, expect=0):
    p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', h.conf, *args],
                       capture_output=True, text=True, timeout=120)
    h.logs.append(('intakectl ' + ' '.join(args), p.stdout, p.stderr))
    assert p.returncode == expect, (args, p.returncode, p.stdout[-1500:], p.stderr[-1500:])
    return p.stdout


def ar(value):
    return f'Authentication-Results: {value}'


def put(h, frm, msgid, day, headers, reply_to=None, subject='Input'):
    hs = list(headers) + ([f'Reply-To: {reply_to}'] if reply_to else [])
    raw = message(frm, TO, subject, f'Our written input {msgid}.\n', utc(2022, 3, day),
                  msgid, headers=hs)
    return h.append('intake@example.org', raw, utc(2022, 3, day))


def by_msgid(h):
    return {md['message_id']: (rel, md) for rel, md in h.submissions('imrf-2022')}


def test_require_auth_needs_authserv_id(h):
    h.config(calls=[CALL])
    p = h.once(expect=78)
    line = next(i for i, ln in enumerate(open(h.conf), 1) if ln.startswith('require_auth'))
    assert f'intaked.conf:{line}' in p.stderr and 'authserv_id' in p.stderr, p.stderr[-1500:]


def test_only_our_servers_results_count(h):
    h.config(calls=[CALL], mailbox={'authserv_id': f'{MX}, mx2.example.org'})
    cases = {
        # A header the sender wrote, naming another server: ignored.
        '<foreign@x>': ('France <france@diplomatie.gouv.fr>', 20,
                        [ar('evil.example; dmarc=pass header.from=diplomatie.gouv.fr')]),
        # A result written inside a comment is no result.
        '<comment@x>': ('Mexico <mision@sre.gob.mx>', 21,
                        [ar(f'{MX}; spf=pass (dmarc=pass) smtp.mailfrom=sre.gob.mx; '
                            'dmarc=fail header.from=sre.gob.mx')]),
        # dmarc=pass for another domain than the From header's.
        '<mismatch@x>': ('China <china@mfa.gov.cn>', 22,
                         [ar(f'{MX}; dmarc=pass header.from=evil.test')]),
        # Our server's header on top says fail; a forged one below says pass.
        '<below@x>': ('Bangladesh <bangladesh@mofa.gov.bd>', 23,
                      [ar(f'{MX}; dmarc=fail header.from=mofa.gov.bd'),
                       ar(f'{MX}; dmarc=pass header.from=mofa.gov.bd')]),
    }
    for mid, (frm, day, hs) in cases.items():
        put(h, frm, mid, day, hs)
    h.once()
    got = by_msgid(h)
    for mid in cases:
        md = got[mid][1]
        assert md['submitter']['verified'] is False, (mid, md['submitter'], md['auth'])
    # The genuine thing, with a version, quoted strings and comments, from
    # the second listed server: verified.
    put(h, 'France <france@diplomatie.gouv.fr>', '<genuine@x>', 24,
        [ar('mx2.example.org 1; (a comment; dmarc=fail) spf=pass '
            'smtp.mailfrom="france@diplomatie.gouv.fr"; dkim=pass (good (nested) sig) '
            'header.d=diplomatie.gouv.fr; dmarc=pass (p=reject dis=none) '
            'header.from=Diplomatie.Gouv.FR')])
    h.once()
    md = by_msgid(h)['<genuine@x>'][1]
    assert md['submitter']['verified'] is True, md['auth']
    assert (md['auth']['spf'], md['auth']['dkim'], md['auth']['dmarc']) == \
        ('pass', 'pass', 'pass'), md['auth']


def acks_to(h, user):
    out = []
    for raw in h.inbox(user):
        m = email.message_from_bytes(raw, policy=email.policy.compat32)
        if m['Auto-Submitted'] and m['In-Reply-To']:
            out.append(m['In-Reply-To'].strip())
    return out


def test_forgery_never_supersedes_the_verified_input(h):
    h.config(calls=[CALL], mailbox={'authserv_id': MX})
    bd = 'Bangladesh <bangladesh@mofa.gov.bd>'
    put(h, bd, '<real@x>', 20, [ar(f'{MX}; dmarc=pass header.from=mofa.gov.bd')])
    h.once()
    put(h, bd, '<forged@x>', 21, [ar(f'{MX}; dmarc=fail header.from=mofa.gov.bd')],
        reply_to='stranger@gmail.test', subject='Corrected input')
    h.once()
    got = by_msgid(h)
    (rel1, md1), (rel2, md2) = got['<real@x>'], got['<forged@x>']
    assert rel1.endswith('/v1') and rel2.endswith('/v2'), (rel1, rel2)
    assert md1['submitter']['verified'] and not md2['submitter']['verified']
    assert md2.get('held') is True, md2           # filed, marked for a decision
    # The mission's verified input stays current everywhere.
    js = {r['id']: r for r in json.loads(ctl(h, 'list', 'imrf-2022', '--json'))}
    assert js[md1['id']]['current'] and not js[md2['id']]['current'], js
    assert js[md2['id']]['held'] is True, js
    rows = {ln.split()[0]: ln for ln in ctl(h, 'list', 'imrf-2022').splitlines()[1:-1]}
    # list shows ids to 21 characters and marks superseded versions "old"
    assert 'v2 held' in rows[md2['id'][:21]] and ' old ' not in rows[md1['id'][:21]], rows
    ex = {r['id']: r for r in json.loads(ctl(h, 'export', 'imrf-2022', '--format', 'json'))}
    assert ex[md1['id']]['current'] and not ex[md2['id']]['current'], ex
    index = json.load(open(os.path.join(h.spool, 'calls', 'imrf-2022', 'index.json')))
    bd_index = [s for s in index['submitters'] if s['slug'] == md1['submitter']['slug']][0]
    assert bd_index['current'] == 'v1', bd_index
    assert [v['version'] for v in bd_index['versions']] == [1, 2], bd_index
    out = os.path.join(h.dir, 'site')
    ctl(h, 'publish', 'imrf-2022', out)
    page = json.load(open(os.path.join(out, 'imrf-2022', 'submissions.json')))  # its own folder
    assert [(r['id'], r['version']) for r in page['submissions']] == [(md1['id'], 1)], page
    # The digest names it as needing a decision.
    digest = ctl(h, 'digest', 'imrf-2022')
    assert 'decision' in digest and md2['id'] in digest, digest
    assert 'held:' in ctl(h, 'show', md2['id'])
    # Its acknowledgement went to the From address, never the Reply-To.
    wait_until(lambda: '<forged@x>' in acks_to(h, 'bangladesh@mofa.gov.bd'), 30,
               'the acknowledgement of the forged message at its From address')
    assert '<forged@x>' not in acks_to(h, 'stranger@gmail.test')
    assert md2['ack']['to'] == 'bangladesh@mofa.gov.bd', md2['ack']
    # The coordinators decide: accepted, it is current.
    ctl(h, 'accept', md2['id'])
    js = {r['id']: r for r in json.loads(ctl(h, 'list', 'imrf-2022', '--json'))}
    assert js[md2['id']]['current'] and not js[md1['id']]['current'], js
    index = json.load(open(os.path.join(h.spool, 'calls', 'imrf-2022', 'index.json')))
    bd_index = [s for s in index['submitters'] if s['slug'] == md1['submitter']['slug']][0]
    assert bd_index['current'] == 'v2', bd_index
    ctl(h, 'accept', md1['id'], expect=1)          # nothing to accept: it was verified
