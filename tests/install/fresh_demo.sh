#!/bin/sh
# fresh_demo.sh — `make demo` in one go, as a new Debian 12 machine sees it:
# no -dev package and no pkg-config until contrib/install-deps.sh has run.
#
# The demo runs in a copy of the tree (git's files only, no build/), with a
# pkg-config on PATH that answers nothing until install-deps.sh has asked
# dpkg-query about its packages. A Makefile that reads the library flags
# before the packages are installed compiles without them, and fails.
#
# usage: tests/install/fresh_demo.sh   (TESTBED_PORT_BASE picks the demo's ports;
#        KEEP=1 keeps the scratch directory)
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/intaked-fresh.XXXXXX") || exit 1
passed=0
failed=0

cleanup() {
	[ -f "$tmp/src/Makefile" ] && grep -q '^demo-stop:' "$tmp/src/Makefile" &&
		make -s -C "$tmp/src" demo-stop >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }

mkdir -p "$tmp/src" "$tmp/bin"
(cd "$root" && git ls-files -z | xargs -0 tar cf -) | tar xf - -C "$tmp/src"

real_dpkg_query=$(command -v dpkg-query)
cat >"$tmp/bin/dpkg-query" <<EOS
#!/bin/sh
touch "$tmp/deps-ran"
exec "$real_dpkg_query" "\$@"
EOS
# The real pkg-config is looked up when called: on a new machine,
# install-deps.sh is what brings it.
cat >"$tmp/bin/pkg-config" <<EOS
#!/bin/sh
real=\$(PATH="$PATH" command -v pkg-config)
if [ ! -e "$tmp/deps-ran" ] || [ -z "\$real" ]; then
	echo "Package \$* was not found in the pkg-config search path." >&2
	exit 1
fi
exec "\$real" "\$@"
EOS
chmod +x "$tmp/bin/dpkg-query" "$tmp/bin/pkg-config"

if PATH="$tmp/bin:$PATH" make -C "$tmp/src" demo >"$tmp/demo.log" 2>&1; then
	ok "make demo in one go, pkg-config answering only after install-deps.sh"
else
	fail "make demo on a fresh tree (last lines of its output):"
	tail -n 25 "$tmp/demo.log" | sed 's/^/       | /'
fi
if [ -e "$tmp/deps-ran" ]; then
	ok "make demo ran install-deps.sh"
else
	fail "make demo never asked for its packages"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
