#!/bin/sh
# check_anywhere.sh — the test suite in a clone with nothing beside it.
# Tests that read data from outside the repository (the peer corpus in
# ../shared) say SKIP with the path they looked at and count as skipped;
# under CI=true, where that data is laid beside the clone, its absence fails.
#
# usage: tests/install/check_anywhere.sh [BUILD_DIR]   (the built binaries to test)
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/intaked-anywhere.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL - $1"
	sed 's/^/       | /' "$2" | tail -n 15
}

mkdir -p "$tmp/clone"
(cd "$root" && git ls-files -z | xargs -0 tar cf -) | tar xf - -C "$tmp/clone"
run() { # CI-value output-file
	env -u INTAKED_PEER_CORPUS CI="$1" TESTBED_PORT_BASE="${ANYWHERE_PORT_BASE:-27000}" \
		python3 "$tmp/clone/tests/integration/run.py" --build "$build" -k test_corpus \
		>"$2" 2>&1
}

if run "" "$tmp/plain.out" && grep -q "^0 passed, 0 failed, 2 skipped$" "$tmp/plain.out" &&
	grep -q "^SKIP test_corpus.*$tmp/shared/corpus/peer" "$tmp/plain.out"; then
	ok "no ../shared: the corpus tests say SKIP with the path, the run passes"
else
	fail "no ../shared beside the clone:" "$tmp/plain.out"
fi
if ! run true "$tmp/ci.out" && grep -q "required under CI=true" "$tmp/ci.out"; then
	ok "no ../shared under CI=true: the corpus tests fail"
else
	fail "no ../shared under CI=true should fail:" "$tmp/ci.out"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
