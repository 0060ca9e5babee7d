#!/usr/bin/env python3
"""treemem.py OUT COMMAND... — run COMMAND and sample, every 20 ms, the
memory of its whole process tree (the command and every descendant alive
at that moment) from /proc/PID/smaps_rollup. Writes to OUT the peaks of
the sums: "rss_kb pss_kb". RSS counts a shared library once per process
that maps it; PSS shares each page among the processes mapping it, so
the sum of PSS is what the tree really holds. Exits with COMMAND's status."""
import os
import subprocess
import sys
import time


def children_map():
    kids = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(root):
    kids, out, todo = children_map(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def rollup(pid):
    rss = pss = 0
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                if line.startswith('Rss:'):
                    rss = int(line.split()[1])
                elif line.startswith('Pss:'):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    proc = subprocess.Popen(cmd)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        sums = [rollup(p) for p in tree(proc.pid)]
        peak_rss = max(peak_rss, sum(s[0] for s in sums))
        peak_pss = max(peak_pss, sum(s[1] for s in sums))
        time.sleep(0.02)
    with open(out, 'w') as f:
        f.write(f'{peak_rss} {peak_pss}\n')
    sys.exit(proc.returncode)


if __name__ == '__main__':
    main()
