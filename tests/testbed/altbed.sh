#!/usr/bin/env bash
# The other servers of the server matrix: Cyrus IMAP, Courier IMAP and
# OpenSMTPD, run from their Debian packages as unpacked by fetch-servers.sh,
# each in a private mount namespace where the package's tree is laid over
# /etc, /usr and /var, and /run and /dev get private copies (overlayfs; the
# changes land in RUN_DIR/NAME/ov). The system's own /etc, /usr, /var are
# never written: nothing is installed, and Dovecot and Postfix stay.
#
# usage: altbed.sh start|stop cyrus|courier|opensmtpd RUN_DIR
#
# Ports (TESTBED_PORT_BASE + ...): cyrus IMAPS 1101, IMAP+STARTTLS 1102;
# courier IMAPS 1201; opensmtpd SMTP 1301 (no TLS, no AUTH: see below). The
# IMAP servers know intake@example.org (password secret-intake) with an
# INBOX and a Filed folder; OpenSMTPD accepts mail from 127.0.0.1 and hands
# it to the main bed's Dovecot over LMTP (base+24).
# TLS uses the main bed's certificate for 127.0.0.1 (TESTBED_CERT and
# TESTBED_KEY; TESTBED_CA signs it). Logs: RUN_DIR/NAME/log (everything
# the servers send to syslog, and their stderr).
#
# stop sends TERM to the pids start recorded, then (3 s later at most) KILL to
# whatever still runs in the namespace (it has a mount namespace of its own, so its
# processes, and only they, share that namespace's id).
set -Eeuo pipefail
export LC_ALL=C
# A failure under set -e says where, instead of exiting silently.
trap 'echo "altbed: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
# ALTBED_TRACE=FILE: every command, appended to FILE (set -x).
if [[ -n ${ALTBED_TRACE:-} ]]; then
  exec {BASH_XTRACEFD}>>"$ALTBED_TRACE"
  set -x
fi

die() { echo "altbed: $*" >&2; exit 1; }
[[ $# -eq 3 ]] || die "usage: $0 start|stop cyrus|courier|opensmtpd RUN_DIR"
cmd=$1 name=$2
[[ $name =~ ^(cyrus|courier|opensmtpd)$ ]] || die "unknown server $name"
[[ -d $3 ]] || die "$3: no such directory"
run=$(cd "$3" && pwd -P)
rd=$run/$name
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
servers=${INTAKED_SERVERS_DIR:-/opt/intaked-testbed/servers}
base=${TESTBED_PORT_BASE:-20000}
P_LMTP=$((base + 24))
P_CYRUS_IMAPS=$((base + 1101)) P_CYRUS_IMAP=$((base + 1102))
P_COURIER_IMAPS=$((base + 1201)) P_SMTPD=$((base + 1301))
USER_ADDR=intake@example.org USER_PASS=secret-intake

# ------------------------------------------------------------- processes

# alive PID: PID exists and is not a zombie. No fork (read is a builtin):
# stop polls this while a busy server may leave little room for new processes.
alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  [[ ${stat##*) } != Z* ]]
}

# ns_members NS: live pids whose mount namespace is NS ("mnt:[N]").
ns_members() {
  local f pid pat=${1//\[/\\[}
  pat=${pat//\]/\\]} # -lname takes a pattern: "mnt:\[N\]"
  for f in $(find /proc/[0-9]*/ns/mnt -maxdepth 0 -lname "$pat" 2>/dev/null || true); do
    pid=${f#/proc/} pid=${pid%%/*}
    alive "$pid" && echo "$pid"
  done
  return 0
}

wait_until() { # SECONDS COMMAND...
  local end=$((${EPOCHREALTIME/./} + $1 * 1000000))
  shift
  until "$@"; do
    ((${EPOCHREALTIME/./} < end)) || return 1
    sleep 0.05
  done
}

none_alive() { local p; for p; do alive "$p" && return 1; done; return 0; }
ns_empty() { [[ -z $(ns_members "$1") ]]; }

stop_server() {
  local ns pids left
  [[ -s $rd/ns ]] || return 0
  ns=$(<"$rd/ns")
  pids=$(cat "$rd/pids" 2>/dev/null || true)
  # Only pids still in our namespace: a stale file never signals a stranger.
  pids=$(for p in $pids; do
    if [[ $(readlink "/proc/$p/ns/mnt" 2>/dev/null) == "$ns" ]]; then echo "$p"; fi
  done)
  [[ -n $pids ]] && kill -TERM $pids 2>/dev/null || true
  # Cyrus' master, with clients connected, may take longer than a test
  # should wait: what is left after 3 s is killed.
  wait_until 3 none_alive $pids || true
  left=$(ns_members "$ns")
  if [[ -n $left ]]; then
    kill -KILL $left 2>/dev/null || true
    wait_until 5 ns_empty "$ns" || echo "altbed: $name left" $(ns_members "$ns") >&2
  fi
  rm -f "$rd/ns" "$rd/pids"
}

listening() ( exec 3<>"/dev/tcp/127.0.0.1/$1" ) 2>/dev/null
wait_listening() { # PORT...
  local p
  for p; do
    wait_until 20 listening "$p" || {
      tail -n 30 "$rd/log" >&2 || true
      echo "altbed: $name: port $p does not listen after 20 s (log: $rd/log)" >&2
      return 1
    }
  done
}

# ------------------------------------------------------- inside namespace

# overlay DIR: DIR seen through overlayfs, the package's DIR (if any) over
# the system's, changes kept in RUN_DIR/NAME/ov/DIR.
overlay() {
  local d=$1 lower=/$1
  [[ -d $servers/$name/$d ]] && lower=$servers/$name/$d:/$d
  mkdir -p "$rd/ov/$d/up" "$rd/ov/$d/work"
  mount -t overlay "altbed-$name" \
    -o "lowerdir=$lower,upperdir=$rd/ov/$d/up,workdir=$rd/ov/$d/work" "/$d"
}

# syslog: a /dev/log that appends to RUN_DIR/NAME/log (no syslogd here;
# Cyrus and Courier log only there).
start_syslog() {
  rm -f /dev/log
  setsid python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
with open(sys.argv[1], "ab", 0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$rd/log" </dev/null >>"$rd/log" 2>&1 &
  echo $! >>"$rd/pids"
  wait_until 5 test -S /dev/log || die "no /dev/log"
}

tls_files() { # DIR OWNER: cert.pem, key.pem and both.pem (key first, Courier)
  install -d -m 755 "$1"
  install -m 644 "$TESTBED_CERT" "$1/cert.pem"
  install -m 600 -o "$2" "$TESTBED_KEY" "$1/key.pem"
  cat "$TESTBED_KEY" "$TESTBED_CERT" >"$1/both.pem"
  chown "$2" "$1/both.pem" && chmod 600 "$1/both.pem"
}

inside() {
  for d in etc usr var run dev; do overlay "$d"; done
  readlink /proc/self/ns/mnt >"$rd/ns"
  : >"$rd/pids"
  start_syslog
  # A restart keeps what the first start set up (mail, users, databases).
  if [[ ! -e $rd/set-up ]]; then
    "setup_$name"
    : >"$rd/set-up"
  fi
  "launch_$name"
}

# ------------------------------------------------------------------ Cyrus

setup_cyrus() {
  install -d -o mail -g mail -m 750 /var/lib/cyrus /var/spool/cyrus /var/spool/cyrus/mail \
    /var/lib/cyrus/{db,user,quota,sieve,msg,proc,ptclient,lock,socket} \
    /run/cyrus /run/cyrus/socket /run/cyrus/proc /run/cyrus/lock
  tls_files /etc/cyrus-tls mail
  cat >/etc/imapd.conf <<EOF
configdirectory: /var/lib/cyrus
proc_path: /run/cyrus/proc
mboxname_lockpath: /run/cyrus/lock
defaultpartition: default
partition-default: /var/spool/cyrus/mail
lmtpsocket: /run/cyrus/socket/lmtp
idlesocket: /run/cyrus/socket/idle
notifysocket: /run/cyrus/socket/notify
# Runs as Debian's "mail" user (the package's "cyrus" user is not made).
cyrus_user: mail
# Cyrus 3's upstream defaults (Debian's file turns both off): folders at the
# top level, "/" as separator, as most installations have them.
altnamespace: yes
unixhierarchysep: yes
virtdomains: userid
hashimapspool: true
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: /etc/sasldb2
sasl_mech_list: PLAIN LOGIN
autocreate_quota: 0
autocreate_inbox_folders: Filed
tls_server_cert: /etc/cyrus-tls/cert.pem
tls_server_key: /etc/cyrus-tls/key.pem
# No idled: an IDLE client is told of new mail at the next poll of this
# interval (Cyrus' default is 60 s).
imapidlepoll: 1
syslog_prefix: cyrus
EOF
  cat >/etc/cyrus.conf <<EOF
START {
  recover cmd="ctl_cyrusdb -r"
}
SERVICES {
  imap  cmd="imapd" listen="127.0.0.1:$P_CYRUS_IMAP" prefork=0 maxchild=20
  imaps cmd="imapd -s" listen="127.0.0.1:$P_CYRUS_IMAPS" prefork=0 maxchild=20
}
EVENTS {
  checkpoint cmd="ctl_cyrusdb -c" period=30
}
EOF
  printf %s "$USER_PASS" | saslpasswd2 -p -c -f /etc/sasldb2 -u "${USER_ADDR#*@}" "${USER_ADDR%@*}"
  chown mail:mail /etc/sasldb2
}

launch_cyrus() {
  setsid /usr/lib/cyrus/bin/master -D -C /etc/imapd.conf -M /etc/cyrus.conf \
    -p "$rd/master.pid" </dev/null >>"$rd/log" 2>&1 &
  echo $! >>"$rd/pids"
}

# ---------------------------------------------------------------- Courier

setup_courier() {
  local home=/var/lib/courier-bed/intake
  install -d -m 755 /run/courier /var/lib/courier-bed
  install -d -m 750 -o daemon -g daemon /run/courier/authdaemon
  sed -i -e 's/^authmodulelist=.*/authmodulelist="authuserdb"/' \
    -e 's/^daemons=.*/daemons=2/' /etc/courier/authdaemonrc
  install -d -o mail -g mail -m 700 "$home"
  runuser -u mail -- maildirmake.courier "$home/Maildir"
  runuser -u mail -- maildirmake.courier -f Filed "$home/Maildir"
  printf '%s\tuid=%d|gid=%d|home=%s|mail=%s/Maildir|systempw=%s\n' "$USER_ADDR" \
    "$(id -u mail)" "$(id -g mail)" "$home" "$home" "$(openssl passwd -6 "$USER_PASS")" \
    >/etc/courier/userdb
  chmod 600 /etc/courier/userdb
  makeuserdb
  tls_files /etc/courier/tls root
  # Keywords off, as Exchange Online has them; IDLE told of new mail at once
  # (with IMAP_ENHANCEDIDLE=0 Courier re-checks only every ~60 s).
  sed -i -e 's/^IMAP_KEYWORDS=.*/IMAP_KEYWORDS=0/' \
    -e 's/^IMAP_ENHANCEDIDLE=.*/IMAP_ENHANCEDIDLE=1/' /etc/courier/imapd
  sed -i -e 's|^TLS_CERTFILE=.*|TLS_CERTFILE=/etc/courier/tls/both.pem|' \
    -e 's|^TLS_CACHEFILE=.*|TLS_CACHEFILE=|' -e 's|^TLS_DHPARAMS=.*|TLS_DHPARAMS=|' \
    /etc/courier/imapd-ssl
}

launch_courier() {
  (set -a && . /etc/courier/authdaemonrc &&
    exec setsid /usr/lib/courier/courier-authlib/authdaemond) </dev/null >>"$rd/log" 2>&1 &
  echo $! >>"$rd/pids"
  wait_until 10 test -S /run/courier/authdaemon/socket || die "courier authdaemond did not start"
  # As /usr/lib/courier/imapd-ssl starts it, in the foreground.
  env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin setsid /bin/sh -c "set -a
    . /etc/courier/imapd; . /etc/courier/imapd-ssl; IMAP_TLS=1
    exec /usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=20 -maxperip=20 \
      -nodnslookup -noidentlookup $P_COURIER_IMAPS \
      /usr/bin/couriertls -server -tcpd /usr/lib/courier/courier/imaplogin /usr/bin/imapd Maildir" \
    </dev/null >>"$rd/log" 2>&1 &
  echo $! >>"$rd/pids"
}

# -------------------------------------------------------------- OpenSMTPD

setup_opensmtpd() {
  getent passwd opensmtpd >/dev/null || useradd -r -M -d /var/empty -s /usr/sbin/nologin opensmtpd
  getent passwd opensmtpq >/dev/null || useradd -r -M -d /var/empty -s /usr/sbin/nologin opensmtpq
  install -d -m 711 /var/spool/smtpd
  install -d -m 755 /var/empty
  # No TLS and no AUTH: Debian 12's OpenSMTPD 6.8.0p2 fails every TLS
  # handshake with OpenSSL 3 ("rsa routines::missing private key", upstream
  # issue OpenSMTPD#1171; ECDSA keys likewise). It is a relay for this host,
  # as intaked's [smtp] without user= expects; the tests reach it through a
  # TLS front (tests/integration/matrixbed.py TlsFront).
  cat >/etc/smtpd.conf <<EOF
# OpenSMTPD of the intaked test bed: accepts mail from this host and hands
# it to the main bed's Dovecot over LMTP.
listen on 127.0.0.1 port $P_SMTPD hostname localhost
action "bed" lmtp "127.0.0.1:$P_LMTP" rcpt-to virtual { "@" = mail }
match from src 127.0.0.1 for any action "bed"
EOF
}

launch_opensmtpd() {
  setsid /usr/sbin/smtpd -d -f /etc/smtpd.conf </dev/null >>"$rd/log" 2>&1 &
  echo $! >>"$rd/pids"
}

# ---------------------------------------------------------------- commands

ports() {
  case $name in
    cyrus) echo "$P_CYRUS_IMAPS $P_CYRUS_IMAP" ;;
    courier) echo "$P_COURIER_IMAPS" ;;
    opensmtpd) echo "$P_SMTPD" ;;
  esac
}

start() {
  local p
  [[ -d $servers/$name/usr ]] || die "$servers/$name: not there (run tests/testbed/fetch-servers.sh)"
  [[ -s ${TESTBED_CERT:-} && -s ${TESTBED_KEY:-} ]] || die "TESTBED_CERT and TESTBED_KEY must name the bed's certificate and key"
  [[ -s $rd/ns ]] && [[ -n $(ns_members "$(<"$rd/ns")") ]] && die "$name of $run is already running"
  for p in $(ports); do ! listening "$p" || die "port $p is already in use"; done
  mkdir -p "$rd" && chmod 755 "$rd"
  if ! unshare --mount --propagation private -- "$0" _inside "$name" "$run" >>"$rd/log" 2>&1; then
    tail -n 30 "$rd/log" >&2
    stop_server
    die "$name did not start (log: $rd/log)"
  fi
  # shellcheck disable=SC2046
  wait_listening $(ports) || { stop_server; exit 1; }
}

case $cmd in
  start) start ;;
  stop) stop_server ;;
  _inside) inside ;;
  *) die "unknown command $cmd" ;;
esac
