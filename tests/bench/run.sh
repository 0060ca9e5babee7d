#!/bin/sh
# run.sh — `make bench`: every benchmark, each printing its Markdown section
# of BENCHMARKS.md.
#   sh tests/bench/run.sh [BUILD_DIR]
set -eu
O=${1:-build}
here=$(dirname "$0")
status=0
sh "$here/extract_bench.sh" "$O" || status=1
sh "$here/imap_bench.sh" "$O" || status=1
sh "$here/compile_bench.sh" "$O" || status=1
pdir=$(mktemp -d /tmp/publish-bench.XXXXXX)
python3 "$here/publish_bench.py" "$O" "$pdir" || status=1
rm -rf "$pdir"
exit $status
