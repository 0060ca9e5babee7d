"""Every real-world message of ../shared/corpus/peer/ (other projects' MIME
test suites) goes through the whole pipeline: fetched over IMAP, analysed in
the worker, classified, filed with a kind. Read from the shared folder at
run time; never copied into the repository."""
import json
import os
import subprocess

from harness import outside_data
from mail import sha256, utc

# Beside the clone (../shared), or wherever $INTAKED_PEER_CORPUS says.
DEFAULT_CORPUS = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..', '..',
                                               'shared', 'corpus', 'peer'))
KINDS = {'submission', 'unmatched', 'auto-reply', 'bounce', 'list', 'loop', 'malformed'}


def corpus_files():
    corpus = outside_data('INTAKED_PEER_CORPUS', DEFAULT_CORPUS, 'peer corpus')
    out = []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            if f.startswith('LICENSE') or f.endswith('.md'):
                continue
            out.append(os.path.join(root, f))
    assert len(out) >= 150, f'peer corpus at {corpus} holds only {len(out)} messages'
    return sorted(out)


def test_corpus_analysed_without_crash(h):
    files = corpus_files()
    tool = os.path.join(h.build, 'tools', 'analyze')
    p = subprocess.run([tool, *files], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    assert 'AddressSanitizer' not in p.stderr and 'runtime error' not in p.stderr, p.stderr[-2000:]


def test_corpus_filed_with_a_kind(h):
    files = corpus_files()
    h.config()
    appended = {}
    for i, path in enumerate(files):
        with open(path, 'rb') as f:
            raw = f.read()
        if b'\r\n' not in raw:
            raw = raw.replace(b'\n', b'\r\n')
        try:
            h.bed.append('intake@example.org', raw, utc(2022, 3, 1, 0, i // 60, i % 60))
        except Exception as e:  # the server refuses it (NUL bytes...): not ours to file
            print(f'  server refused {os.path.basename(path)}: {e}')
            continue
        appended[sha256(raw)] = path
    # The server may normalise what it stores: compare with what it serves.
    served = {sha256(m) for m in h.bed.fetch_all('intake@example.org')}
    assert len(served) >= len(appended) - 5, (len(served), len(appended))

    h.once()

    entries = h.entries_all()
    filed = {md['raw_sha256']: (rel, md) for rel, md in entries}
    missing = served - set(filed)
    assert not missing, f'{len(missing)} corpus messages were not filed'
    for rel, md in entries:
        assert md['kind'] in KINDS, (rel, md['kind'])
        if md['kind'] == 'malformed':
            assert md.get('reason'), rel
    kinds = {}
    for _, md in entries:
        kinds[md['kind']] = kinds.get(md['kind'], 0) + 1
    print('  corpus kinds: ' + json.dumps(kinds, sort_keys=True))
    # The intake mailbox is fully processed: a second run files nothing.
    before = len(entries)
    h.once()
    assert len(h.entries_all()) == before
