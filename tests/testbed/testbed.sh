#!/usr/bin/env bash
# intaked integration test bed: a private Dovecot (IMAP, IMAPS, LMTP, SASL)
# and a private Postfix (SMTP, submission, SMTPS) on loopback, with
# throwaway CAs. The system's own dovecot/postfix and /etc are not touched.
#
# usage: testbed.sh start|stop RUN_DIR
#        testbed.sh stop-imap|start-imap|stop-mta|start-mta RUN_DIR
#                   (outage tests, on a bed that was started)
#
# RUN_DIR must exist and be short (unix socket paths are limited to 108
# bytes), e.g. $(mktemp -d /tmp/itb.XXXX). Ports are TESTBED_PORT_BASE
# (default 20000) plus 143 IMAP+STARTTLS, 144 IMAP without TLS, 993 IMAPS
# (also on 127.0.0.2/.3/.4 with bad certificates), 24 LMTP, 25 SMTP,
# 587 submission, 465 SMTPS, 26 SMTP without TLS (no STARTTLS, no AUTH): beds running at once need bases >= 1000 apart.
# Dovecot also accepts SASL XOAUTH2/OAUTHBEARER (IMAP, and SMTP AUTH through
# Postfix): it checks each token at http://127.0.0.1:BASE+80/introspect,
# which a test that wants OAuth serves itself (tests/integration/oauthidp.py);
# password logins never consult it.
# start writes RUN_DIR/testbed.env (ports and paths, in shell syntax).
set -euo pipefail
export LC_ALL=C # "." in $EPOCHREALTIME

die() { echo "testbed: $*" >&2; exit 1; }
usage() { echo "usage: $0 start|stop|stop-imap|start-imap|stop-mta|start-mta RUN_DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -d $2 ]] || die "$2: no such directory"
run=$(cd "$2" && pwd -P)
# The longest socket path below RUN_DIR is about 40 bytes.
(( ${#run} <= 60 )) || die "RUN_DIR $run is too long for unix socket paths"

base=${TESTBED_PORT_BASE:-20000}
[[ $base =~ ^[0-9]+$ ]] && (( base >= 1024 && base + 993 <= 65535 )) ||
  die "TESTBED_PORT_BASE=$base: want 1024..64542"
P_LMTP=$((base + 24)) P_SMTP=$((base + 25)) P_SMTP_PLAIN=$((base + 26)) P_IMAP=$((base + 143))
P_IMAP_NOTLS=$((base + 144)) P_SMTPS=$((base + 465))
P_SUBMISSION=$((base + 587)) P_IMAPS=$((base + 993)) P_OAUTH=$((base + 80))
IMAP_ADDRS=("127.0.0.1:$P_IMAP" "127.0.0.1:$P_IMAP_NOTLS" "127.0.0.1:$P_LMTP"
  "127.0.0.1:$P_IMAPS" "127.0.0.2:$P_IMAPS" "127.0.0.3:$P_IMAPS" "127.0.0.4:$P_IMAPS")
MTA_ADDRS=("127.0.0.1:$P_SMTP" "127.0.0.1:$P_SUBMISSION" "127.0.0.1:$P_SMTPS"
  "127.0.0.1:$P_SMTP_PLAIN")

dovecot_conf=$run/dovecot/dovecot.conf
dovecot_pidfile=$run/dovecot/run/master.pid
postfix_etc=$run/postfix/etc
postfix_pidfile=$run/postfix/queue/pid/master.pid

# ---------------------------------------------------------------- processes

# master_pid NAME: the pid in NAME's pid file if it is this bed's master.
# Checked through /proc, so a stale pid file never makes us signal a process
# that merely reuses the number: Dovecot's master keeps "-c CONF" in its
# command line, Postfix's master has MAIL_CONFIG=ETC in its environment.
master_pid() {
  local pidfile want file pid item items
  case $1 in
    dovecot) pidfile=$dovecot_pidfile file=cmdline want=$dovecot_conf ;;
    postfix) pidfile=$postfix_pidfile file=environ want=MAIL_CONFIG=$postfix_etc ;;
  esac
  [[ -s $pidfile ]] || return 1
  pid=$(tr -dc 0-9 <"$pidfile") # Postfix pads it with spaces
  [[ -n $pid ]] && { mapfile -d '' -t items <"/proc/$pid/$file"; } 2>/dev/null || return 1
  for item in "${items[@]}"; do
    [[ $item == "$want" ]] && { echo "$pid"; return 0; }
  done
  return 1
}

# session_members SID: live processes of session SID. Both masters call
# setsid(), so everything they spawn is in the session whose id is their pid
# (and Linux does not reuse a pid while it is still some process's session).
session_members() {
  local f stat fields
  for f in /proc/[0-9]*/stat; do
    { stat=$(<"$f"); } 2>/dev/null || continue
    read -ra fields <<<"${stat##*) }" # state ppid pgrp session ...
    [[ ${fields[3]} == "$1" && ${fields[0]} != Z ]] && echo "${f//[^0-9]/}"
  done
  return 0
}

# alive PID: PID exists and is not a zombie (nothing reaps orphans in some
# containers, so dead masters can linger as zombies).
alive() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  [[ ${stat##*) } != Z* ]]
}

# wait_until SECONDS COMMAND...: poll COMMAND until it succeeds; fail on timeout.
wait_until() {
  local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
  shift
  until "$@"; do
    ((${EPOCHREALTIME/./} < end)) || return 1
    sleep 0.05
  done
}

master_gone() { ! alive "$1"; }
session_gone() { [[ -z $(session_members "$1") ]]; }

# stop_master NAME: SIGTERM the master, wait (10 s at most) for it to exit,
# then end what is left of its session: Dovecot's auth (and its log and
# stats processes) outlive the master while Postfix's smtpd holds a SASL
# connection to it. They are orphans by then: TERM, and KILL after 2 s.
stop_master() {
  local name=$1 marker=$run/$1/.launched pidfile pid left
  [[ $name == dovecot ]] && pidfile=$dovecot_pidfile || pidfile=$postfix_pidfile
  # A start interrupted right after launching the master may have missed
  # the pid file, which the master writes a moment after it detaches.
  if [[ -e $marker ]]; then wait_until 5 test -s "$pidfile" || true; fi
  if ! pid=$(master_pid "$name"); then
    [[ -e $pidfile ]] && echo "testbed: $name is not running (stale $pidfile)" >&2
    rm -f "$pidfile" "$marker"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until 10 master_gone "$pid"; then
    echo "testbed: $name master $pid did not stop within 10 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  left=$(session_members "$pid")
  if [[ -n $left ]]; then
    kill -TERM $left 2>/dev/null || true
    if ! wait_until 2 session_gone "$pid"; then
      left=$(session_members "$pid")
      echo "testbed: killing what is left of $name:" $left >&2
      kill -KILL $left 2>/dev/null || true
      wait_until 2 session_gone "$pid" || echo "testbed: $name left" $left >&2
    fi
  fi
  rm -f "$pidfile" "$marker"
}

listening() ( exec 3<>"/dev/tcp/${1%:*}/${1#*:}" ) 2>/dev/null
# greets HOST:PORT PREFIX: the server's first line starts with PREFIX.
greets() (
  exec 3<>"/dev/tcp/${1%:*}/${1#*:}" && IFS= read -r -t 2 line <&3 && [[ $line == "$2"* ]]
) 2>/dev/null

# wait_ready GREETING HOST:PORT...: every port accepts connections (the
# kernel accepts them as soon as the socket listens, even before the daemon
# is ready) and the first one greets with GREETING. 20 s at most for each.
wait_ready() {
  local greeting=$1 hp
  shift
  for hp; do wait_until 20 listening "$hp" || die "timed out waiting for $hp to listen"; done
  wait_until 20 greets "$1" "$greeting" || die "no \"$greeting\" greeting from $1 within 20 s"
}

start_dovecot() {
  # Sockets left by an earlier run confuse Dovecot: with the penalty socket
  # disabled (mode 0), a stale anvil-auth-penalty makes the first login wait
  # ~3 s for retries instead of failing fast on ENOENT.
  rm -rf "$run/dovecot/run"
  : >"$run/dovecot/.launched"
  # Dovecot binds its listeners before it detaches: a failure here means
  # nothing was left running.
  # The daemons must not inherit our stdout/stderr: a caller reading them
  # through a pipe (subprocess.run(capture_output=True)) would wait forever.
  dovecot -c "$dovecot_conf" </dev/null >"$run/dovecot/start.out" 2>&1 || {
    rm -f "$run/dovecot/.launched"
    cat "$run/dovecot/start.out" >&2
    die "dovecot did not start, see $run/dovecot/dovecot.log"
  }
  # Dovecot writes its pid file, and greets, a moment after it detaches.
  wait_until 10 master_pid dovecot >/dev/null ||
    die "dovecot master is gone, see $run/dovecot/dovecot.log"
  wait_ready '* OK' "${IMAP_ADDRS[@]}"
  rm -f "$run/dovecot/.launched"
}

start_postfix() {
  : >"$run/postfix/.launched"
  # "start" waits (master -w) until the master has initialised or failed.
  # quick-start: skip "postfix check" (run it by hand after editing the
  # templates: postfix -c RUN_DIR/postfix/etc check).
  : >"$run/postfix/queue/quick-start"
  postfix -c "$postfix_etc" start </dev/null >"$run/postfix/start.out" 2>&1 || {
    rm -f "$run/postfix/.launched"
    cat "$run/postfix/start.out" >&2
    die "postfix did not start, see $run/postfix/maillog"
  }
  wait_until 10 master_pid postfix >/dev/null ||
    die "postfix master is gone, see $run/postfix/maillog"
  wait_ready 220 "${MTA_ADDRS[@]}"
  rm -f "$run/postfix/.launched"
}

# ------------------------------------------------------------ certificates

# gen_certs: the throwaway CAs and server certificates in RUN_DIR/ca, kept
# across restarts in the same RUN_DIR. Keys are EC P-256 (fast to make).
gen_certs() {
  local d=$run/ca
  [[ -s $d/expired.pem ]] && return 0
  rm -rf "$d" && mkdir -m 700 "$d"
  new_ca ca "intaked test bed CA"
  new_ca other-ca "unrelated test CA"
  issue ca server localhost "DNS:localhost,IP:127.0.0.1"
  # The bad ones carry the right name where they can, so that each fails for
  # one reason only: unknown issuer, wrong name, expired.
  issue other-ca other-server localhost "DNS:localhost,IP:127.0.0.1,IP:127.0.0.2"
  issue ca wrong-name wrong.example "DNS:wrong.example"
  issue ca expired localhost "DNS:localhost,IP:127.0.0.1,IP:127.0.0.4" \
    -startdate 20200101000000Z -enddate 20200201000000Z
}

ossl() { # openssl with our config; output to a log, shown on failure
  SAN=${SAN:-DNS:unused} CA_DIR=${CA_DIR:-.} openssl "$@" >>"$run/ca/openssl.log" 2>&1 ||
    die "openssl $1 failed: $(tail -5 "$run/ca/openssl.log")"
}

new_ca() { # NAME CN
  local d=$run/ca
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$1.key"
  ossl req -config "$here/openssl.cnf" -new -x509 -extensions v3_ca -days 3650 \
    -key "$d/$1.key" -subj "/CN=$2" -out "$d/$1.pem"
  mkdir "$d/$1.db" && : >"$d/$1.db/index.txt"
}

issue() { # CA NAME CN SAN [openssl ca options]
  local d=$run/ca ca=$1 name=$2 cn=$3 san=$4
  shift 4
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$name.key"
  ossl req -config "$here/openssl.cnf" -new -key "$d/$name.key" -subj "/CN=$cn" -out "$d/$name.csr"
  # "openssl ca" rather than "x509 -req": OpenSSL 3.0's x509 cannot set a
  # validity period in the past, which the expired certificate needs.
  SAN=$san CA_DIR=$d/$ca.db ossl ca -config "$here/openssl.cnf" -batch -notext \
    -rand_serial -extensions v3_server -cert "$d/$ca.pem" -keyfile "$d/$ca.key" \
    -in "$d/$name.csr" -out "$d/$name.pem" "$@"
  rm -f "$d/$name.csr"
}

# ---------------------------------------------------------------- configs

render() { # TEMPLATE OUTPUT
  sed -e "s|@RUN@|$run|g" -e "s|@BASE@|$base|g" -e "s|@DOMAINS@|${domains[*]}|g" \
    -e "s|@P_LMTP@|$P_LMTP|g" -e "s|@P_SMTP@|$P_SMTP|g" -e "s|@P_IMAP@|$P_IMAP|g" \
    -e "s|@P_SMTP_PLAIN@|$P_SMTP_PLAIN|g" \
    -e "s|@P_IMAP_NOTLS@|$P_IMAP_NOTLS|g" -e "s|@P_SMTPS@|$P_SMTPS|g" \
    -e "s|@P_SUBMISSION@|$P_SUBMISSION|g" -e "s|@P_IMAPS@|$P_IMAPS|g" \
    -e "s|@P_OAUTH@|$P_OAUTH|g" \
    "$here/$1" >"$2"
}

gen_configs() {
  local u domains re
  mapfile -t users < <(grep -v -e '^#' -e '^$' "$here/users")
  mapfile -t domains < <(printf '%s\n' "${users[@]}" | cut -d@ -f2 | sort -u)
  re="^($(printf '%s\n' "${domains[@]}" | sed 's/\./\\./g' | paste -sd'|'))\$"

  mkdir -p "$run/dovecot" "$postfix_etc"
  render dovecot.conf.in "$dovecot_conf"
  render dovecot-oauth2.conf.in "$run/dovecot/oauth2.conf"
  render main.cf.in "$postfix_etc/main.cf"
  render master.cf.in "$postfix_etc/master.cf"
  for u in "${users[@]}"; do echo "$u:{PLAIN}secret-${u%%@*}::::::"; done >"$run/dovecot/users"
  for u in "${users[@]}"; do echo "$u OK"; done >"$postfix_etc/mailboxes"
  echo "!/$re/ OK" >"$postfix_etc/other-domains"
  echo "!/@${re#^}/ catchall@example.org" >"$postfix_etc/catchall"
  # Measured: "postfix start" takes ~2 s longer when main.cf or a lookup
  # table is only a second old. Backdate them.
  touch -d "@$((EPOCHSECONDS - 5))" "$postfix_etc"/*

  # Dovecot's and Postfix's unprivileged processes must reach into RUN_DIR
  # (mktemp makes it 0700). Mail is owned by Debian's "mail" user.
  chmod 755 "$run"
  mkdir -p "$run/mail" "$run/home"
  chown mail:mail "$run/mail" "$run/home"
  # Postfix's queue and data directories as /etc/postfix/postfix-files lays
  # them out. "postfix start" would make them in its checks, which take
  # 1-2 s; with them in place every start skips the checks (quick-start).
  # Dovecot starts first and puts the SASL socket in private/.
  local q=$run/postfix/queue d
  install -d -o root -g root -m 755 "$q" "$q/pid"
  for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
    install -d -o postfix -g root -m 700 "$q/$d"
  done
  install -d -o postfix -g postdrop -m 730 "$q/maildrop"
  install -d -o postfix -g postdrop -m 710 "$q/public"
  install -d -o postfix -g root -m 700 "$run/postfix/data"

  cat >"$run/testbed.env" <<EOF
TESTBED_RUN_DIR=$run
TESTBED_PORT_BASE=$base
TESTBED_CA=$run/ca/ca.pem
TESTBED_IMAP_PORT=$P_IMAP
TESTBED_IMAP_NOTLS_PORT=$P_IMAP_NOTLS
TESTBED_IMAPS_PORT=$P_IMAPS
TESTBED_LMTP_PORT=$P_LMTP
TESTBED_SMTP_PORT=$P_SMTP
TESTBED_SMTP_PLAIN_PORT=$P_SMTP_PLAIN
TESTBED_POSTFIX_CONFIG=$postfix_etc
TESTBED_SUBMISSION_PORT=$P_SUBMISSION
TESTBED_SMTPS_PORT=$P_SMTPS
TESTBED_OAUTH_PORT=$P_OAUTH
EOF
}

# ---------------------------------------------------------------- commands

show_logs() {
  local f
  for f in "$run/dovecot/dovecot.log" "$run/postfix/maillog"; do
    [[ -s $f ]] && { echo "--- tail of $f" >&2; tail -n 20 "$f" >&2; }
  done
  return 0
}

stop_all() {
  stop_master postfix
  stop_master dovecot
}

start_all() {
  local hp
  # Fail loudly, and without touching anything, when this bed or another
  # one on the same ports is already running.
  master_pid dovecot >/dev/null && die "dovecot of $run is already running"
  master_pid postfix >/dev/null && die "postfix of $run is already running"
  for hp in "${IMAP_ADDRS[@]}" "${MTA_ADDRS[@]}"; do
    ! listening "$hp" || die "$hp is already in use (another bed with TESTBED_PORT_BASE=$base?)"
  done

  # From here on, a failure (or being killed with TERM/INT/HUP) stops
  # whatever was started.
  started=0
  trap 'if ((!started)); then echo "testbed: start failed, stopping" >&2; show_logs; stop_all; fi' EXIT
  trap 'exit 143' TERM INT HUP
  gen_certs
  gen_configs
  start_dovecot
  start_postfix
  started=1
}

case $cmd in
  start) start_all ;;
  stop) stop_all ;;
  stop-imap) stop_master dovecot ;;
  stop-mta) stop_master postfix ;;
  start-imap | start-mta)
    [[ -s $dovecot_conf ]] || die "$run holds no test bed (run start first)"
    if [[ $cmd == start-imap ]]; then
      master_pid dovecot >/dev/null && die "dovecot of $run is already running"
      start_dovecot
    else
      master_pid postfix >/dev/null && die "postfix of $run is already running"
      start_postfix
    fi
    ;;
  *) usage ;;
esac
