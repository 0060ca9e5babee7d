#!/bin/bash
# ab_run.sh — one intaked --once against a test bed kept running, to
# compare two builds on the same mailboxes, alternating (BENCHMARKS.md,
# issue 18). The bed and the mailboxes stay in W between runs.
#
#   bash tests/bench/ab_run.sh start W [PORT_BASE]
#   bash tests/bench/ab_run.sh run W BUILD LABEL N ACKS WORKERS [make_mailbox.py options]
#   bash tests/bench/ab_run.sh stop W
#
# run: makes the mailbox LABEL once (make_mailbox.py W/src-LABEL N ...),
# imports it afresh, files it with BUILD/intaked into a new spool and
# prints wall s, peak KiB, user and sys s, and the number filed.
set -eu
cd "$(dirname "$0")/../.."
cmd=$1 W=$2
shift 2
case $cmd in
start)
	mkdir -p "$W/bed" && chmod 755 "$W"
	printf 'secret-intake\n' >"$W/pw" && chmod 600 "$W/pw"
	printf 'name,addresses\n' >"$W/roster.csv"
	echo "${1:-57000}" >"$W/base"
	TESTBED_PORT_BASE=$(cat "$W/base") bash tests/testbed/testbed.sh start "$W/bed" >/dev/null
	exit 0 ;;
stop)
	TESTBED_PORT_BASE=$(cat "$W/base") bash tests/testbed/testbed.sh stop "$W/bed" >/dev/null
	exit 0 ;;
esac
O=$1 LABEL=$2 N=$3 ACKS=$4 WORKERS=$5
shift 5
BASE=$(cat "$W/base") USER=intake@example.org
DOVEADM="doveadm -c $W/bed/dovecot/dovecot.conf"
src=$W/src-$LABEL
if [ ! -d "$src" ]; then
	python3 tests/bench/make_mailbox.py "$src" "$N" "$@"
	chown -R mail:mail "$src"
fi
$DOVEADM expunge -u $USER mailbox INBOX all
$DOVEADM import -u $USER "maildir:$src" "" all
SP=$W/spool-$(date +%s%N)
cat >"$W/intaked.conf" <<EOF
[mailbox]
url = imaps://127.0.0.1:$((BASE + 993))/INBOX
user = $USER
password_file = $W/pw
ca_file = $W/bed/ca/ca.pem
timeout = 30s

[smtp]
url = smtp://127.0.0.1:$((BASE + 587))
user = $USER
password_file = $W/pw
ca_file = $W/bed/ca/ca.pem
from = Written Inputs <$USER>
operators = ops@example.org

[spool]
dir = $SP

[limits]
workers = $WORKERS

[call bench]
title = Benchmark call
match_to = intake+bench@example.org
deadline = 2030-12-31 18:00 America/New_York
roster = $W/roster.csv
ack_per_sender_per_day = $ACKS
EOF
/usr/bin/time -f '%e s %M KiB %U user %S sys' "$O/intaked" -c "$W/intaked.conf" --once 2>"$W/last.log"
tail -1 "$W/last.log"
echo "filed=$(grep -c 'event=filed ' "$W/last.log")"
