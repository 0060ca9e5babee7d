#!/bin/sh
# imap_bench.sh — the mailbox side of intaked against a private Dovecot and
# Postfix (tests/testbed) on loopback; prints the Markdown of BENCHMARKS.md,
# "Connection, IDLE and large mailboxes".
#
#   sh tests/bench/imap_bench.sh [BUILD_DIR]
#
# (a) IDLE latency: N_IDLE (100) messages APPENDed one at a time to an
#     idling intaked --foreground; APPEND done -> event=filed and ->
#     event=ack-sent (logged when Postfix has answered 250 to the
#     acknowledgement's DATA), p50/p95; and Dovecot alone (a bare IDLE
#     client: APPEND done -> untagged EXISTS), the floor of (a).
# (b) a mailbox of N_BIG (10 000) messages (~20 KB, tests/bench/
#     make_mailbox.py, put in with doveadm import): intaked --once files
#     them all; mbsync (isync) pulls the same mailbox to a Maildir before
#     and after; wall time of each, ratio against the faster mbsync.
# (c) peak RSS of each (GNU time %M = the largest process of the tree;
#     intaked also logs its own maxrss and its workers'), at N_SMALL (1 000)
#     and N_BIG messages, and for one 50 MB message (streamed to disk).
# (d) a mailbox as missions fill it: N_DOCS (2 000) messages from 65
#     senders, every other one with a .docx or .pdf of 2-20 pages,
#     acknowledgements on: intaked --once with one analysis worker and with
#     workers = auto, against mbsync before and after.
#
# Environment: BENCH_PORT_BASE (31000), N_IDLE, N_SMALL, N_BIG, BIG_BYTES
# (50000000), N_DOCS, BENCH_PARTS (default "idle bulk big docs": the parts
# to run), PERF (set: part (d) once more under perf record, summarised). Needs mbsync and /usr/bin/time (contrib/install-deps.sh bench).
set -eu

O=${1:-build}
cd "$(dirname "$0")/../.."
BASE=${BENCH_PORT_BASE:-31000}
N_IDLE=${N_IDLE:-100}
N_SMALL=${N_SMALL:-1000}
N_BIG=${N_BIG:-10000}
BIG_BYTES=${BIG_BYTES:-50000000}
N_DOCS=${N_DOCS:-2000}
BENCH_PARTS=${BENCH_PARTS:-idle bulk big docs}
part() { case " $BENCH_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
USER=intake@example.org

for tool in mbsync /usr/bin/time doveadm; do
	command -v "$tool" >/dev/null || { echo "imap_bench: $tool missing (sh contrib/install-deps.sh bench)" >&2; exit 1; }
done
make -s O="$O" all >/dev/null

W=$(mktemp -d /tmp/ib.XXXXXX)
chmod 755 "$W" # the bed's unprivileged daemons reach through it
BED=$W/bed
mkdir "$BED"
cleanup() {
	TESTBED_PORT_BASE=$BASE tests/testbed/testbed.sh stop "$BED" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
TESTBED_PORT_BASE=$BASE tests/testbed/testbed.sh start "$BED" >/dev/null
CA=$BED/ca/ca.pem
IMAPS=$((BASE + 993))
SUBMISSION=$((BASE + 587))
DOVEADM="doveadm -c $BED/dovecot/dovecot.conf"

# ------------------------------------------------------------- config
printf 'secret-intake\n' >"$W/pw" && chmod 600 "$W/pw"
printf 'name,addresses\n' >"$W/roster.csv"
conf() { # FILE SPOOL ACKS_PER_SENDER POLL [WORKERS]
	cat >"$1" <<EOF
[mailbox]
url = imaps://127.0.0.1:$IMAPS/INBOX
user = $USER
password_file = $W/pw
ca_file = $CA
idle = yes
poll_interval = $4
timeout = 30s

[smtp]
url = smtp://127.0.0.1:$SUBMISSION
user = $USER
password_file = $W/pw
ca_file = $CA
from = Written Inputs <$USER>
operators = ops@example.org

[spool]
dir = $2

[limits]
workers = ${5:-auto}

[call bench]
title = Benchmark call
match_to = intake+bench@example.org
deadline = 2030-12-31 18:00 America/New_York
roster = $W/roster.csv
ack_per_sender_per_day = $3
EOF
}

empty_inbox() { $DOVEADM expunge -u $USER mailbox INBOX all; }

fill_inbox() { # LABEL N [make_mailbox.py options]: made once per LABEL
	src=$W/src-$1
	shift
	if [ ! -d "$src" ]; then
		python3 tests/bench/make_mailbox.py "$src" "$@"
		chown -R mail:mail "$src"
	fi
	empty_inbox
	$DOVEADM import -u $USER "maildir:$src" "" all
}

# timed NAME COMMAND...: wall seconds and peak RSS (KiB) into $W/NAME.time
timed() {
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$W/$name.time" "$@"
}

# Every run writes into a directory of its own and nothing is deleted until
# the end: on ext4, inodes freed in the last minutes are skipped one by one
# when new ones are allocated (ext4's recently_deleted()), so a run would
# pay for the previous run's cleanup.
mbsync_run() { # NAME
	mkdir "$W/maildir-$1"
	cat >"$W/mbsyncrc" <<EOF
IMAPAccount bench
Host localhost
Port $IMAPS
User $USER
Pass secret-intake
SSLType IMAPS
CertificateFile $CA

IMAPStore remote
Account bench

MaildirStore local
Path $W/maildir-$1/
Inbox $W/maildir-$1/INBOX

Channel bench
Master :remote:INBOX
Slave :local:
Sync Pull
Create Slave
SyncState *
EOF
	timed "$1" mbsync -q -c "$W/mbsyncrc" bench 2>"$W/$1.err" || { cat "$W/$1.err" >&2; exit 1; }
	got=$(find "$W/maildir-$1/INBOX/new" "$W/maildir-$1/INBOX/cur" -type f | wc -l)
	[ "$got" -eq "$N" ] || { echo "imap_bench: mbsync copied $got of $N" >&2; exit 1; }
}

intaked_run() { # NAME [ACKS_PER_SENDER [WORKERS]]
	conf "$W/intaked.conf" "$W/spool-$1" "${2:-0}" 60s "${3:-auto}"
	timed "$1" python3 tests/bench/treemem.py "$W/$1.tree" \
		"$O/intaked" -c "$W/intaked.conf" --once 2>"$W/$1.log"
	filed=$(grep -c 'event=filed ' "$W/$1.log" || true)
	[ "$filed" -eq "$N" ] || { echo "imap_bench: intaked filed $filed of $N" >&2; tail "$W/$1.log" >&2; exit 1; }
}


# ---------------------------------------------------------- (a) IDLE
RAW={} IDLE={} BIG={} progress=0
if part idle; then
	empty_inbox
	RAW=$(python3 tests/bench/imap_bench.py idle-raw $IMAPS "$CA" 20)
	empty_inbox
	conf "$W/idle.conf" "$W/idle-spool" 5 60s
	IDLE=$(python3 tests/bench/imap_bench.py idle-intaked $IMAPS "$CA" "$N_IDLE" "$O" "$W/idle.conf")
fi

# --------------------------------------------------- (b), (c) bulk
if part bulk; then
	N=$N_SMALL
	fill_inbox small "$N"
	mbsync_run mbsync_small
	intaked_run intaked_small
	N=$N_BIG
	fill_inbox big "$N"
	mbsync_run mbsync_big1
	intaked_run intaked_big
	mbsync_run mbsync_big2
	progress=$(grep -c 'event=progress ' "$W/intaked_big.log" || true)
fi

# ---------------------------------------------- (c) one 50 MB message
if part big; then
	empty_inbox
	BIG=$(python3 tests/bench/imap_bench.py big $IMAPS "$CA" "$BIG_BYTES")
	conf "$W/intaked.conf" "$W/spool-big" 0 60s
	timed big "$O/intaked" -c "$W/intaked.conf" --once -v 2>"$W/big.log"
	grep -q 'event=imap_streamed' "$W/big.log" || { echo "imap_bench: 50 MB message not streamed" >&2; exit 1; }
fi

# ------------------------------- (d) a mailbox as missions fill it
if part docs; then
	N=$N_DOCS
	# intaked marks what it filed ($Filed): each run gets the mailbox afresh.
	fill_inbox docs "$N" --docs --senders 65
	mbsync_run mbsync_docs1
	intaked_run intaked_docs 5 auto
	if [ -n "${PERF:-}" ]; then
		# Where the time goes: the same run under perf (the daemon and
		# its workers), summarised by process and by library below.
		fill_inbox docs
		conf "$W/intaked.conf" "$W/spool-perf" 5 60s auto
		perf record -q -F 999 -g -o "$W/perf.data" -- \
			"$O/intaked" -c "$W/intaked.conf" --once 2>"$W/perf.log"
		perf report -i "$W/perf.data" --no-children --sort comm,dso --stdio 2>/dev/null |
			grep -E '^ +[0-9]' | head -15 >"$W/perf-dso.txt"
		perf report -i "$W/perf.data" --no-children --sort sym --stdio 2>/dev/null |
			grep -E '^ +[0-9]' | head -25 >"$W/perf-sym.txt"
	fi
	fill_inbox docs
	intaked_run intaked_docs_1worker 5 1
	mbsync_run mbsync_docs2
fi

# ------------------------------------------------------------ report
python3 - "$W" "$RAW" "$IDLE" "$BIG" "$N_SMALL" "$N_BIG" "$progress" "$N_DOCS" <<'EOF'
import json, os, re, sys
w, raw, idle, big, n_small, n_big, progress, n_docs = sys.argv[1:]
raw, idle, big = json.loads(raw), json.loads(idle), json.loads(big)
def t(name):
    e, m = open(f'{w}/{name}.time').read().split()[-2:]
    return float(e), int(m)
def own(name):
    m = re.search(r'maxrss_kb=(\d+) worker_maxrss_kb=(\d+)', open(f'{w}/{name}.log').read())
    return int(m.group(1)), int(m.group(2))
def ran(name):
    return os.path.exists(f'{w}/{name}.time')
print('### Results\n')
if idle:
    a, f, r = idle['append_to_ack_sent'], idle['append_to_filed'], raw['append_to_exists']
    print(f"(a) IDLE latency, {a['n']} messages one at a time:\n")
    print('| measured | p50 s | p95 s | max s |\n|---|---|---|---|')
    print(f"| APPEND -> acknowledgement accepted by Postfix (intaked) | {a['p50']} | {a['p95']} | {a['max']} |")
    print(f"| APPEND -> filed (intaked) | {f['p50']} | {f['p95']} | {f['max']} |")
    print(f"| APPEND -> EXISTS at a bare IDLE client (Dovecot alone, {r['n']} messages) | {r['p50']} | {r['p95']} | {r['max']} |")
    print()
runs = (('mbsync_small', n_small), ('intaked_small', n_small), ('mbsync_big1', n_big),
        ('intaked_big', n_big), ('mbsync_big2', n_big), ('big', 1), ('mbsync_docs1', n_docs),
        ('intaked_docs_1worker', n_docs), ('intaked_docs', n_docs), ('mbsync_docs2', n_docs))
def tree(name):
    try:
        return open(f'{w}/{name}.tree').read().split()
    except OSError:
        return '', ''
print('(b), (c), (d) first sync and peak memory (GNU time: the largest process; intaked '
      'logs its own and its largest worker\'s peak; the tree columns are the peaks of '
      'the sums over intaked and all its workers and converters, sampled every 20 ms '
      'by tests/bench/treemem.py; PSS counts shared pages once):\n')
print('| run | messages | wall s | largest process KiB | intaked itself KiB | worker KiB | '
      'tree RSS KiB | tree PSS KiB | acks sent |')
print('|---|---|---|---|---|---|---|---|---|')
for name, n in runs:
    if not ran(name):
        continue
    e, m = t(name)
    s = k = acks = ''
    if not name.startswith('mbsync'):
        s, k = own(name)
        acks = open(f'{w}/{name}.log').read().count('event=outbox-sent ')
    label = f"one message of {big['bytes']} bytes" if name == 'big' else name
    trss, tpss = tree(name)
    print(f'| {label} | {n} | {e:.1f} | {m} | {s} | {k} | {trss} | {tpss} | {acks} |')
def ratio(run, a, b):
    return t(run)[0] / min(t(a)[0], t(b)[0])
if ran('intaked_big'):
    print(f'\ntext-only, {n_big} messages, acknowledgements off: intaked / faster mbsync '
          f'**{ratio("intaked_big", "mbsync_big1", "mbsync_big2"):.2f}x**; {progress} progress lines.')
    (s1, _), (s2, _) = own('intaked_small'), own('intaked_big')
    print(f'RSS of intaked itself, {n_big} against {n_small} messages: {100 * (s2 / s1 - 1):+.0f} %.')
for name, what in (('perf-dso.txt', 'by process and library'), ('perf-sym.txt', 'by function')):
    if os.path.exists(f'{w}/{name}'):
        print(f'\nperf, the run with documents ({what}), self time:\n\n```')
        print(open(f'{w}/{name}').read().rstrip())
        print('```')
if ran('intaked_docs'):
    print(f'\nwith documents and acknowledgements, {n_docs} messages: intaked / faster mbsync '
          f'**{ratio("intaked_docs", "mbsync_docs1", "mbsync_docs2"):.2f}x** '
          f'(one worker: {ratio("intaked_docs_1worker", "mbsync_docs1", "mbsync_docs2"):.2f}x).')
EOF
