#!/bin/sh
# Install every Debian package intaked needs to build, test and demo, on a
# fresh Debian 12 machine, as root. Idempotent; does nothing that is done.
#   sh contrib/install-deps.sh          build + tests + demo
#   sh contrib/install-deps.sh bench    also what `make bench` compares with
set -eu

PACKAGES="
  build-essential pkg-config clang libclang-rt-14-dev
  libetpan-dev libcurl4-gnutls-dev libjansson-dev libssl-dev libcmocka-dev
  libinih-dev libgmime-3.0-dev libunistring-dev libzip-dev libxml2-dev
  libsystemd-dev
  poppler-utils catdoc tzdata ca-certificates openssl
  dovecot-core dovecot-imapd dovecot-lmtpd postfix
  python3 valgrind mandoc systemd procps
  chromium fonts-liberation
  libical3 libxapian30 libidn12 libltdl7 libgamin0
"
# chromium (about 300 MB installed) renders the publication page in the
# integration tests (tests/integration/test_publish.py). The libraries on the
# line before it are what Cyrus, Courier and OpenSMTPD of the server matrix
# link with: those servers are unpacked, not installed (they conflict with
# dovecot-imapd and postfix), by tests/testbed/fetch-servers.sh, run last.
BENCH_PACKAGES="pandoc isync time"

[ "${1:-}" = bench ] && PACKAGES="$PACKAGES $BENCH_PACKAGES"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
fetch_servers() {
	[ "$(id -u)" = 0 ] || return 0
	bash "$(dirname "$0")/../tests/testbed/fetch-servers.sh"
}
if [ -z "$missing" ]; then
	fetch_servers
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing (run as root to install them)" >&2
	exit 1
fi
# Postfix asks how to configure itself; the tests run their own instance.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -q
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $missing
fetch_servers
