"""make demo, end to end: contrib/demo.py with its own test bed, left
running, then make demo-stop.

The demo starts a bed of its own next to the runner's, on the runner's
base + 3: its ports (base+27, 28, 29, 83, 146, 147, 468, 590, 996) are none of
the runner's bed (base+24, 25, 26, 80, 143, 144, 465, 587, 993) nor of the
other tests' extra servers (base+800, 801), and stay inside the runner's
block of 1000 (base+1000 would not: an ASan run, on base+2000, would take
base+3000..3993, a block its runner was not given). The demo lives in the
test's directory (--dir), never in BUILD/demo: a user's demo is not touched."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

from testbed import Testbed

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
DEMO = os.path.join(TOP, 'contrib', 'demo.py')
DEMO_PORT_OFFSET = 3


def demo_module():
    spec = importlib.util.spec_from_file_location('demo', DEMO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_demo(h, demo_dir):
    env = dict(os.environ, TESTBED_PORT_BASE=str(h.bed.port_base + DEMO_PORT_OFFSET))
    p = subprocess.run([sys.executable, DEMO, '--dir', demo_dir, h.build], env=env,
                       capture_output=True, text=True, timeout=300)
    h.logs.append(('(make demo)', p.stdout, p.stderr))
    assert p.returncode == 0, f'demo exited {p.returncode}\n{p.stdout[-3000:]}{p.stderr[-3000:]}'
    return p.stdout


def printed(out, label):
    """The path the demo printed after label in its 'Where everything is'."""
    m = re.search(r'^  %s +(\S+)' % re.escape(label), out, re.M)
    assert m, f'the demo did not print its {label}'
    return m.group(1)


def demo_stop(h, demo_dir):
    p = subprocess.run(['make', '-s', '-C', TOP, 'demo-stop', f'O={h.build}',
                        f'DEMO_DIR={demo_dir}'], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f'make demo-stop exited {p.returncode}\n{p.stdout}{p.stderr}'


def alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return not f.read().rpartition(') ')[2].startswith('Z')
    except FileNotFoundError:
        return False


def intakectl(h, conf, *args):
    p = subprocess.run([os.path.join(h.build, 'intakectl'), '-c', conf, *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f'intakectl {" ".join(args)} exited {p.returncode}\n{p.stderr}'
    return p.stdout


def check_output(out):
    words = demo_module().expected_words()
    # The mission's acknowledgement of the .docx, with the document's count.
    assert ('- Bangladesh - IMRF 2022 written input.docx: %d words' %
            words['bangladesh-v1.docx']) in out, out
    assert 'This is version 2 of your input' in out, out
    assert re.search(r'^  intaked exited 0 on SIGTERM', out, re.M), out
    assert 'Subject: Daily digest: Progress Declaration, IMRF 2022, 2022-03-30' in out, out
    assert 'Over the word limit:        1' in out and 'Documents that could not be read' in out


def check_left_behind(h, out, demo_dir):
    """What a user pokes at afterwards: a readable config and spool, a page,
    the digest as received, and the servers still up."""
    conf = printed(out, 'config')
    assert os.path.isfile(printed(out, 'publication page'))
    assert os.path.isfile(os.path.join(demo_dir, 'mail', 'digest-imrf-2022.eml'))
    intakectl(h, conf, 'status')
    assert 'Bangladesh' in intakectl(h, conf, 'list', 'imrf-2022')
    pids = Testbed.attach(os.path.join(demo_dir, 'bed')).master_pids()
    assert set(pids) == {'dovecot', 'postfix'} and all(map(alive, pids.values())), pids
    return conf, pids


def test_demo(h):
    demo_dir = os.path.join(h.dir, 'demo')
    try:
        out = run_demo(h, demo_dir)
        check_output(out)
        conf, first = check_left_behind(h, out, demo_dir)
        # A second demo stops the first one's servers and starts afresh.
        out = run_demo(h, demo_dir)
        assert 'Stopped the servers of the previous demo' in out
        assert not any(map(alive, first.values())), first
        conf, pids = check_left_behind(h, out, demo_dir)
    finally:
        demo_stop(h, demo_dir)
        # The test's directory is private (0700), so the demo put its bed
        # in /tmp and linked it: the harness removes only the link.
        bed = os.path.join(demo_dir, 'bed')
        if os.path.islink(bed):
            shutil.rmtree(os.path.realpath(bed), ignore_errors=True)
    assert not any(map(alive, pids.values())), f'servers still running after demo-stop: {pids}'
    intakectl(h, conf, 'status')  # the config still names a CA that is there
