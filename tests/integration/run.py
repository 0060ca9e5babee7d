#!/usr/bin/env python3
"""Integration tests: the real intaked against a real Dovecot and Postfix
that this runner starts on loopback (tests/testbed) and stops afterwards.

usage: run.py [--build DIR] [-k SUBSTRING] [--keep]

Every test_*.py module here holds functions test_NAME(h) taking a Harness
(harness.py). A test that needs what is not there (data from outside the
repository) raises harness.Skip. Prints one line per test and
'N passed, N failed, N skipped' last."""
import argparse
import contextlib
import importlib
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import Harness, Skip  # noqa: E402
from testbed import Testbed  # noqa: E402


def collect(substring):
    tests, modules = [], []
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith('test_') and fname.endswith('.py')):
            continue
        mod = importlib.import_module(fname[:-3])
        modules.append(mod)
        for name, fn in vars(mod).items():
            if name.startswith('test_') and callable(fn):
                full = f'{fname[:-3]}.{name}'
                if not substring or substring in full:
                    tests.append((full, fn))
    return tests, modules


@contextlib.contextmanager
def teardowns(modules):
    """Servers a module started beside the bed (its teardown_run()) stop
    before the bed does, whatever happened."""
    try:
        yield
    finally:
        for mod in modules:
            if hasattr(mod, 'teardown_run'):
                mod.teardown_run()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default='build')
    ap.add_argument('-k', dest='substring')
    ap.add_argument('--keep', action='store_true', help='keep temp dirs')
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tests, modules = collect(args.substring)
    passed = failed = skipped = 0
    base = int(os.environ.get('TESTBED_PORT_BASE', '20000'))
    if 'asan' in os.path.basename(build):
        base += 2000  # so a plain and a sanitizer run can share a machine
    with Testbed(port_base=base) as bed, teardowns(modules):
        for full, fn in tests:
            h = Harness(bed, build, keep=args.keep)
            t0 = time.monotonic()
            try:
                fn(h)
                passed += 1
                print(f'PASS {full} ({time.monotonic() - t0:.1f}s)', flush=True)
            except Skip as why:
                skipped += 1
                print(f'SKIP {full}: {why}', flush=True)
            except Exception:  # a failed assert or anything else: report, go on
                failed += 1
                print(f'FAIL {full} ({time.monotonic() - t0:.1f}s)', flush=True)
                traceback.print_exc()
                h.dump_logs()
            finally:
                h.cleanup(failed_now=False)
    print(f'{passed} passed, {failed} failed, {skipped} skipped')
    return 1 if failed or not tests else 0


if __name__ == '__main__':
    sys.exit(main())
