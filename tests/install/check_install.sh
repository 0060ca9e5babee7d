#!/bin/sh
# check_install.sh — `make install` into a scratch DESTDIR, then check what
# an operator relies on: the files are where the man pages say, the
# installed daemon accepts the installed sample configuration, the man pages
# lint clean, and the installed unit's sandbox rates <= 2.0 in
# `systemd-analyze security`.
#
# usage: tests/install/check_install.sh     (from anywhere; KEEP=1 keeps
#        the scratch directory, O=DIR picks the build directory)
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/intaked-install.XXXXXX") || exit 1
dest=$tmp/dest
prefix=/usr
max_exposure=2.0
passed=0
failed=0

cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	passed=$((passed + 1))
	echo "ok   - $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	shift
	for line in "$@"; do
		printf '       %s\n' "$line"
	done
}

# Print a file's last lines indented, for a failure's details.
tail_of() {
	tail -n "${2:-15}" "$1" | sed 's/^/       | /'
}

# ---- install ---------------------------------------------------------------

install_tree() {
	if make -C "$root" install DESTDIR="$dest" PREFIX="$prefix" ${O:+O="$O"} \
		>"$tmp/make.log" 2>&1; then
		ok "make install DESTDIR=... PREFIX=$prefix"
		return 0
	fi
	fail "make install DESTDIR=... PREFIX=$prefix (log below)"
	tail_of "$tmp/make.log" 25
	return 1
}

expect_file() { # label path [mode-test]
	if [ -f "$2" ] && { [ -z "${3:-}" ] || test "$3" "$2"; }; then
		ok "$1 installed: ${2#"$dest"}"
	else
		fail "$1 missing or wrong: ${2#"$dest"}"
	fi
}

check_files() {
	expect_file "daemon" "$dest$prefix/sbin/intaked" -x
	expect_file "intakectl" "$dest$prefix/bin/intakectl" -x
	expect_file "systemd unit" "$dest$prefix/lib/systemd/system/intaked.service"
	expect_file "systemd template unit" "$dest$prefix/lib/systemd/system/intaked@.service"
	if [ -f "$root/systemd/intaked.sysusers" ]; then
		expect_file "sysusers.d entry" "$dest$prefix/lib/sysusers.d/intaked.conf"
	fi
	if [ -f "$root/systemd/intaked.tmpfiles" ]; then
		expect_file "tmpfiles.d entry" "$dest$prefix/lib/tmpfiles.d/intaked.conf"
	fi
	for lang in fr es; do
		expect_file "$lang catalogue" \
			"$dest$prefix/share/locale/C/LC_MESSAGES/intaked-$lang.mo"
	done
	for page in man8/intaked.8 man5/intaked.conf.5 man1/intakectl.1; do
		expect_file "man page" "$dest$prefix/share/man/$page"
	done
	ex=$dest$prefix/share/doc/intaked/examples
	expect_file "sample configuration" "$ex/intaked.conf"
	for lang in en fr es; do
		expect_file "$lang acknowledgement template" "$ex/templates/ack.$lang.txt"
	done
	roster=$(find "$ex" -maxdepth 1 -name '*roster*.csv' | head -n 1)
	if [ -n "$roster" ]; then
		ok "sample roster installed: ${roster#"$dest"}"
	else
		fail "sample roster (examples/*roster*.csv) missing"
	fi
	# Everything in contrib/ ships, nothing is left behind.
	missing=$(cd "$root/contrib" && find . -type f | while read -r f; do
		[ -f "$ex/$f" ] || echo "$f"
	done)
	if [ -z "$missing" ]; then
		ok "every file of contrib/ is in examples/"
	else
		fail "contrib/ files not installed:" "$(echo "$missing" | head -n 10)"
	fi
}

# The unit must start the binary that was installed, not some other path.
check_unit_execstart() { # unit-file
	unit=$dest$prefix/lib/systemd/system/$1
	[ -f "$unit" ] || return 0
	exe=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "$unit" | head -n 1)
	if [ -n "$exe" ] && [ -x "$dest$exe" ]; then
		ok "$1 ExecStart= names the installed binary ($exe)"
	else
		fail "$1 ExecStart= names '$exe', which was not installed under PREFIX=$prefix"
	fi
}

# The template's sandbox is the plain unit's: the lines that name the
# instance differ, nothing else.
check_template_sandbox() {
	units=$dest$prefix/lib/systemd/system
	[ -f "$units/intaked@.service" ] || return 0
	instance_lines='^(#|$|Description=|ExecStart=|SyslogIdentifier=|StateDirectory=)'
	grep -Ev "$instance_lines" "$units/intaked.service" >"$tmp/plain.lines"
	grep -Ev "$instance_lines" "$units/intaked@.service" >"$tmp/template.lines"
	if diff -u "$tmp/plain.lines" "$tmp/template.lines" >"$tmp/sandbox.diff"; then
		ok "intaked@.service has intaked.service's settings but the instance's"
	else
		fail "intaked@.service and intaked.service differ beyond the instance's lines:"
		tail_of "$tmp/sandbox.diff"
	fi
	if grep -q '^ExecStart=.* -c /etc/intaked/%i.conf' "$units/intaked@.service" &&
		grep -q '^StateDirectory=intaked/%i$' "$units/intaked@.service"; then
		ok "intaked@NAME reads /etc/intaked/NAME.conf and owns /var/lib/intaked/NAME"
	else
		fail "intaked@.service: config or state directory not per instance"
	fi
}

# ---- --check-config on the installed sample --------------------------------

# Rewrite the sample so that it runs here: every secret file becomes a
# fresh 0600 file in the scratch directory, rosters and templates point at
# the installed examples, the spool at a scratch directory; a ca_file that
# does not exist on this machine is left out (the system store is used).
rewrite_config() { # sample out secrets-dir examples-dir
	awk -v secrets="$3" -v ex="$4" -v spool="$tmp/spool" '
	function base(p) { sub(/.*\//, "", p); return p }
	function exists(p) { return (system("test -f \"" p "\"") == 0) }
	function secret(p,   f) {
		f = secrets "/" base(p)
		if (!(f in made)) {
			made[f] = 1
			system("umask 077 && printf \"%s\\n\" test-secret-" NR " > \"" f "\"")
		}
		return f
	}
	function example(p) {
		if (exists(ex "/" base(p))) return ex "/" base(p)
		if (exists(ex "/templates/" base(p))) return ex "/templates/" base(p)
		return p
	}
	/^[ \t]*\[/ { section = $0; gsub(/[ \t\[\]]/, "", section) }
	/^[ \t]*[A-Za-z_]+[ \t]*=/ {
		key = $0; sub(/^[ \t]*/, "", key); sub(/[ \t]*=.*/, "", key)
		val = $0; sub(/^[^=]*=[ \t]*/, "", val); sub(/[ \t]+;.*$/, "", val)
		sub(/[ \t]+$/, "", val)
		if (key ~ /^(password_file|client_secret_file|refresh_token_file)$/) {
			print key " = " secret(val); next
		}
		if (key == "ca_file" && !exists(val)) { print "; " $0; next }
		if (key == "roster" || key ~ /_template$/) { print key " = " example(val); next }
		if (section == "spool" && key == "dir") { print "dir = " spool; next }
	}
	{ print }
	' "$1" >"$2"
}

check_config() {
	ex=$dest$prefix/share/doc/intaked/examples
	daemon=$dest$prefix/sbin/intaked
	if [ ! -x "$daemon" ] || [ ! -f "$ex/intaked.conf" ]; then
		fail "--check-config on the sample: daemon or sample configuration not installed"
		return
	fi
	mkdir -p "$tmp/conf" "$tmp/secrets" "$tmp/spool"
	chmod 700 "$tmp/secrets"
	rewrite_config "$ex/intaked.conf" "$tmp/conf/intaked.conf" "$tmp/secrets" "$ex"
	if "$daemon" --check-config -c "$tmp/conf/intaked.conf" >"$tmp/check.out" 2>&1; then
		if [ -s "$tmp/check.out" ]; then
			ok "installed intaked --check-config accepts the installed sample"
		else
			fail "intaked --check-config succeeded but printed no summary"
		fi
	else
		rc=$?
		fail "installed intaked --check-config on the sample exited $rc:"
		tail_of "$tmp/check.out"
	fi
	# A broken file must be refused with 78, naming the file and line.
	{ cat "$tmp/conf/intaked.conf"; printf '[call bad]\nmatch_to = nobody\n'; } \
		>"$tmp/conf/broken.conf"
	"$daemon" --check-config -c "$tmp/conf/broken.conf" >"$tmp/broken.out" 2>&1
	rc=$?
	if [ "$rc" = 78 ] && grep -q 'broken.conf:[0-9]' "$tmp/broken.out"; then
		ok "a broken configuration is refused with status 78 and file:line"
	else
		fail "a broken configuration gave status $rc (want 78 and file:line):"
		tail_of "$tmp/broken.out"
	fi
}

# ---- man pages --------------------------------------------------------------

check_man() {
	mandir=$dest$prefix/share/man
	for page in man8/intaked.8 man5/intaked.conf.5 man1/intakectl.1; do
		f=$mandir/$page
		[ -f "$f" ] || continue
		if command -v mandoc >/dev/null 2>&1; then
			out=$(mandoc -Tlint -Wwarning "$f" 2>&1)
			tool="mandoc -Tlint -Wwarning"
		elif command -v groff >/dev/null 2>&1; then
			out=$(groff -ww -z -mandoc "$f" 2>&1)
			tool="groff -ww"
		else
			echo "skip - $page: neither mandoc nor groff installed"
			continue
		fi
		if [ -z "$out" ]; then
			ok "$page lints clean ($tool)"
		else
			fail "$page: $tool reports:" "$(printf '%s\n' "$out" | head -n 10)"
		fi
	done
}

# ---- systemd ----------------------------------------------------------------

check_systemd() { # unit-file [instance]
	unit=$dest$prefix/lib/systemd/system/$1
	[ -f "$unit" ] || return 0
	if [ -n "${2:-}" ]; then # systemd-analyze rates instances, not templates
		mkdir -p "$tmp/instance"
		cp "$unit" "$tmp/instance/${1%@.service}@$2.service"
		unit=$tmp/instance/${1%@.service}@$2.service
	fi
	if ! command -v systemd-analyze >/dev/null 2>&1; then
		echo "skip - systemd-analyze not installed: exposure not rated"
		return 0
	fi
	systemd-analyze security --offline=true --no-pager "$unit" >"$tmp/security.out" 2>&1
	# A misspelt hardening key is ignored by systemd, and silently weakens it.
	complaints=$(grep -E 'Unknown|ignoring|Invalid|Failed to' "$tmp/security.out")
	if [ -z "$complaints" ]; then
		ok "systemd reads every line of $1"
	else
		fail "systemd complains about $1:" "$(echo "$complaints" | head -n 10)"
	fi
	level=$(sed -n 's/.*Overall exposure level for [^:]*: *\([0-9][0-9.]*\).*/\1/p' \
		"$tmp/security.out" | head -n 1)
	if [ -z "$level" ]; then
		fail "systemd-analyze security gave no exposure level:"
		tail_of "$tmp/security.out"
	elif awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }'; then
		ok "systemd-analyze security ${unit##*/}: exposure $level <= $max_exposure"
	else
		fail "systemd-analyze security ${unit##*/}: exposure $level > $max_exposure; the worst:" \
			"$(grep "✗" "$tmp/security.out" | head -n 12)"
	fi

	sysusers=$dest$prefix/lib/sysusers.d/intaked.conf
	if [ -f "$sysusers" ] && command -v systemd-sysusers >/dev/null 2>&1; then
		user=$(sed -n 's/^User=//p' "$unit" | head -n 1)
		r=$tmp/sysroot
		mkdir -p "$r/etc"
		if systemd-sysusers --root="$r" "$sysusers" >"$tmp/sysusers.out" 2>&1 &&
			grep -q "^$user:" "$r/etc/passwd"; then
			ok "sysusers.d entry creates the unit's User= ($user)"
		else
			fail "sysusers.d entry does not create the unit's User= '$user':"
			tail_of "$tmp/sysusers.out"
		fi
	fi
}

if install_tree; then
	check_files
	check_unit_execstart intaked.service
	check_unit_execstart intaked@.service
	check_template_sandbox
	check_config
	check_man
	check_systemd intaked.service
	check_systemd intaked@.service ux-2026
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
