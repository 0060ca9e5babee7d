#!/bin/sh
# usage: valgrind_smoke.sh [BUILD_DIR]   (default: build)
# The integration path under valgrind (issue 8.4): the spine scenario and the
# outgoing-mail tests run every `intaked` through valgrind (harness.py's
# INTAKED_VALGRIND: --leak-check=full --errors-for-leak-kinds=definite
# --error-exitcode=99). Forked workers are followed (fork without exec);
# exec'd converters (pdftotext, catdoc) are not (--trace-children=no, the
# default). Any invalid read/write, use of uninitialised memory or definite
# leak makes intaked exit 99 and the test fail.
set -eu
build=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind_smoke: valgrind is not installed" >&2; exit 1; }
INTAKED_VALGRIND=1 exec python3 "$(dirname "$0")/run.py" --build "$build" \
	-k "${VALGRIND_TESTS:-test_spine}"
