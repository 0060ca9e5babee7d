#!/bin/sh
# Install the Debian 12 packages intaked needs, by role, as root.
# Idempotent: does nothing when every package of the roles is there.
#
#   sh contrib/install-deps.sh runtime   an installed intaked (a production host)
#   sh contrib/install-deps.sh build     compile it
#   sh contrib/install-deps.sh test      make check and make demo: the test bed's
#                                        mail servers, a browser, sanitizers
#   sh contrib/install-deps.sh bench     what make bench compares with
#   sh contrib/install-deps.sh           runtime + build + test (make demo, make check)
#
# Several roles may be named at once. --list prints the packages and installs
# nothing.
set -eu

# What an installed intaked loads or runs, and why.
RUNTIME="
  libetpan20 libcurl3-gnutls libjansson4 libssl3 libinih1 libgmime-3.0-0
  libunistring2 libzip4 libxml2 libsystemd0 libidn2-0 libxlsxwriter4
  libexttextcat-2.0-0 libexttextcat-data libcairo2
  libpango-1.0-0 libpangocairo-1.0-0 libqpdf29 fonts-noto-core fonts-noto-cjk
  poppler-utils catdoc
  tzdata ca-certificates
  libreoffice-writer-nogui
"
# libetpan20: IMAP. libcurl3-gnutls: SMTP and OAuth token requests.
# libjansson4: metadata.json. libssl3: TLS and hashes. libinih1: the
# configuration. libgmime-3.0-0: MIME. libunistring2: the word rule.
# libzip4, libxml2: .docx and .odt. libsystemd0: sd_notify and the watchdog.
# libidn2-0: international domains in one canonical (A-label) form.
# libxlsxwriter4: intakectl export --format xlsx.
# libexttextcat-2.0-0, libexttextcat-data: the language of each input
# (its n-gram library and fingerprints).
# libcairo2: the digest's chart of arrivals per day (a PNG).
# libpango-1.0-0, libpangocairo-1.0-0, libqpdf29, fonts-noto-core,
# fonts-noto-cjk: intakectl compile (pages typeset with pango, Arabic and
# Chinese in Noto fonts, merged and bookmarked with qpdf).
# poppler-utils: pdftotext for .pdf. catdoc: .doc. tzdata: deadlines in
# IANA zones. ca-certificates: the system CA store for IMAP/SMTP TLS.
# libreoffice-writer-nogui (OPTIONAL, ~300 MB): intakectl publish converts
# .docx/.odt/.rtf/.doc to PDF with it (tracked changes accepted, comments
# out); without it publish says so and offers --originals. Drop it from
# this list on a host that never publishes.

BUILD="
  build-essential pkg-config
  libetpan-dev libcurl4-gnutls-dev libjansson-dev libssl-dev libcmocka-dev
  libinih-dev libgmime-3.0-dev libunistring-dev libzip-dev libxml2-dev
  libsystemd-dev libidn2-dev libxlsxwriter-dev libexttextcat-dev libcairo2-dev
  gettext
  libpango1.0-dev libqpdf-dev
"

# The test bed (a private Dovecot and Postfix on loopback with a throwaway
# CA), the sanitizer and fuzzing toolchain, valgrind, the man-page linter,
# systemd-analyze for the unit's exposure, and Chromium, which renders the
# publication page in the integration tests.
TEST="
  openssl python3 procps systemd mandoc valgrind
  clang libclang-rt-14-dev
  dovecot-core dovecot-imapd dovecot-lmtpd postfix
  chromium fonts-liberation python3-cryptography python3-openpyxl
  libreoffice-writer-nogui qpdf
  libical3 libxapian30 libidn12 libltdl7 libgamin0
"
# libreoffice-writer-nogui: publish's and compile's PDFs (tests/integration/
# test_publication.py, test_compile.py). qpdf: the tests make a PDF with it
# and read the bookmarks back (qpdf --json; pdfinfo, pdftotext and pdffonts
# come with poppler-utils of the runtime role).
# python3-cryptography: the test identity provider checks signed client
# assertions (tests/integration/oauthidp.py). python3-openpyxl reads back
# the xlsx export (tests/integration/test_exports.py). The libraries on the line
# after it are what Cyrus, Courier and OpenSMTPD of the server matrix link
# with: those servers are unpacked, not installed (they conflict with
# dovecot-imapd and postfix), by tests/testbed/fetch-servers.sh, which the
# test role runs last.

BENCH="pandoc isync time"

roles=""
list=no
for arg in "$@"; do
	case $arg in
	runtime | build | test | bench) roles="$roles $arg" ;;
	--list) list=yes ;;
	*)
		echo "install-deps: unknown role '$arg' (runtime, build, test, bench)" >&2
		exit 64
		;;
	esac
done
[ -n "$roles" ] || roles="runtime build test"

packages=""
for role in $roles; do
	case $role in
	runtime) packages="$packages $RUNTIME" ;;
	build) packages="$packages $BUILD" ;;
	test) packages="$packages $TEST" ;;
	bench) packages="$packages $BENCH" ;;
	esac
done
if [ "$list" = yes ]; then
	printf '%s\n' $packages
	exit 0
fi

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# The test role also unpacks the server matrix's servers (as root).
fetch_servers() {
	case " $roles " in *" test "*) ;; *) return 0 ;; esac
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
