#!/bin/sh
# compile_bench.sh — intakectl compile of 200 inputs (100 .docx converted by
# LibreOffice, 100 .pdf, 5 pages each) on this machine: wall time, CPU and
# peak RSS, as the Markdown of BENCHMARKS.md "Compilation".
#   sh tests/bench/compile_bench.sh [BUILD_DIR [N [PAGES]]]
set -eu
O=${1:-build}
N=${2:-200}
PAGES=${3:-5}
here=$(dirname "$0")
dir=$(mktemp -d /tmp/compile-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
python3 "$here/make_compile_spool.py" "$dir" "$N" "$PAGES"
/usr/bin/time -f '%e %U %S %M' -o "$dir/time" \
	"$O/intakectl" -c "$dir/intaked.conf" compile bench "$dir/out.pdf" >"$dir/stdout"
read -r wall user sys rss <"$dir/time"
pages=$(pdfinfo "$dir/out.pdf" | awk '/^Pages:/ { print $2 }')
echo "### intakectl compile, $N inputs ($((N / 2)) .docx, $((N - N / 2)) .pdf, $PAGES pages each)"
echo
echo "| inputs | pages out | wall | user CPU | system CPU | peak RSS (intakectl) |"
echo "|---|---|---|---|---|---|"
echo "| $N | $pages | ${wall} s | ${user} s | ${sys} s | $((rss / 1024)) MB |"
echo
sed 's/^/    /' "$dir/stdout"
