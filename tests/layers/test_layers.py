#!/usr/bin/env python3
"""The layer check itself: it passes on the tree and fails, naming the line,
on each kind of breach added on purpose to a copy of it."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(HERE, 'layers.py')


def copy_tree(dst):
    for sub in ('daemon', 'include', 'tests/tools', 'tests/fuzz'):
        shutil.copytree(os.path.join(ROOT, sub), os.path.join(dst, sub))


def append(root, rel, text):
    with open(os.path.join(root, rel), 'a') as f:
        f.write(text)


def run(root):
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


BREACHES = [
    ('an include going up', 'daemon/lib/util.c', '#include "intaked/spool.h"\n',
     'daemon/lib/util.c:', 'of store/, which is above lib/'),
    ('an include across peers', 'daemon/run/loop.c', '#include "../ctl/ctl.h"\n',
     'daemon/run/loop.c:', "another folder's private header"),
    ('a reach into a private header', 'daemon/mail/ack.c', '#include "spool_internal.h"\n',
     'daemon/mail/ack.c:', "another folder's private header"),
    ('a cycle of headers', 'daemon/store/outbox_impl.h', '#include "outbox_impl.h"\n',
     'include cycle: daemon/store/outbox_impl.h -> daemon/store/outbox_impl.h', 'cycle'),
]


def main():
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, 'clean')
        copy_tree(clean)
        rc, out = run(clean)
        if rc != 0:
            print(f'FAIL the tree itself: {out}')
            failures += 1
        for name, rel, text, where, why in BREACHES:
            root = os.path.join(tmp, name.replace(' ', '-'))
            copy_tree(root)
            append(root, rel, text)
            rc, out = run(root)
            if rc == 0 or where not in out or why not in out:
                print(f'FAIL {name}: exit {rc}, said: {out.strip()}')
                failures += 1
            else:
                print(f'ok   {name}: {out.strip().splitlines()[0]}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
