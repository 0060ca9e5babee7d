#!/bin/sh
# extract_bench.sh — document extraction + word count, against pandoc and
# pdftotext on the same files in the same run, and peak RSS on 20 MB
# attachments. Prints a Markdown report (BENCHMARKS.md, "Document
# extraction", keeps the last one).
#
#   sh tests/bench/extract_bench.sh [BUILD_DIR] [PAGES]
#
# BUILD_DIR (default build) is make's O; BUILD_DIR/tools/extractcat is
# made if needed. PAGES (default 1000) sizes the generated documents. RUNS
# (default 3) timed runs per command, the best is kept; pandoc runs
# PANDOC_RUNS (default 1) times, it takes half a minute; the two PDF
# commands run PDF_RUNS (default 7) times each, interleaved. BENCH_STRICT=1
# makes a missed target an error; a wrong word count always is.
set -eu

O=${1:-build}
PAGES=${2:-1000}
RUNS=${RUNS:-3}
PDF_RUNS=${PDF_RUNS:-7}
PANDOC_RUNS=${PANDOC_RUNS:-1}
cd "$(dirname "$0")/../.."

EXTRACTCAT=$O/tools/extractcat
make -s O="$O" "$EXTRACTCAT"

W=$(mktemp -d "${TMPDIR:-/tmp}/intaked-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
python3 tests/bench/make_bench_docs.py "$W" "$PAGES"
WANT=$(cat "$W/words.txt")
status=0
missed=0

# once_ms COMMAND: wall-clock time of one run, in ms.
once_ms() {
	t0=$(date +%s%N)
	sh -c "$1" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# best_ms RUNS COMMAND: the fastest of RUNS runs, in ms.
best_ms() {
	n=$1
	best=
	while [ "$n" -gt 0 ]; do
		ms=$(once_ms "$2")
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
		n=$((n - 1))
	done
	echo "$best"
}

# best_pair_ms RUNS A B: "bestA bestB", the runs interleaved so that a
# busy machine slows both alike.
best_pair_ms() {
	n=$1
	ba=
	bb=
	while [ "$n" -gt 0 ]; do
		a=$(once_ms "$2")
		b=$(once_ms "$3")
		if [ -z "$ba" ] || [ "$a" -lt "$ba" ]; then ba=$a; fi
		if [ -z "$bb" ] || [ "$b" -lt "$bb" ]; then bb=$b; fi
		n=$((n - 1))
	done
	echo "$ba $bb"
}

# field NAME LINE: the value of NAME=... in an extractcat line.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

peak_kb() {
	/usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -1
}

size_of() {
	wc -c <"$1" | tr -d ' '
}

check_words() {
	if [ "$2" != "$WANT" ]; then
		echo "ERROR: $1 counted $2 words, the text has $WANT" >&2
		status=1
	fi
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

target() { # label ok
	if [ "$2" = 1 ]; then echo "met"; else
		missed=1
		echo "MISSED"
	fi
}

echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(uname -m); $PAGES pages, $WANT words."
echo "Best of $RUNS runs (pandoc: $PANDOC_RUNS, pdf: $PDF_RUNS interleaved); times are wall clock, extraction + count."
echo
echo "| file | bytes | command | words | best ms | peak RSS KiB |"
echo "|---|---|---|---|---|---|"

# --- docx
line=$("$EXTRACTCAT" "$W/big.docx")
check_words "extractcat big.docx" "$(field words "$line")"
docx_ms=$(best_ms "$RUNS" "$EXTRACTCAT $W/big.docx")
echo "| big.docx | $(size_of "$W/big.docx") | extractcat | $(field words "$line") | $docx_ms | $(field maxrss_kb "$line") |"
if command -v pandoc >/dev/null 2>&1; then
	pw=$(pandoc -t plain "$W/big.docx" | wc -w)
	pandoc_ms=$(best_ms "$PANDOC_RUNS" "pandoc -t plain $W/big.docx | wc -w")
	echo "| big.docx | $(size_of "$W/big.docx") | pandoc -t plain \\| wc -w | $pw | $pandoc_ms | $(peak_kb "pandoc -t plain $W/big.docx") |"
else
	pandoc_ms=
	echo "| big.docx | | pandoc not installed | | | |"
fi

# --- pdf
line=$("$EXTRACTCAT" "$W/big.pdf")
check_words "extractcat big.pdf" "$(field words "$line")"
pair=$(best_pair_ms "$PDF_RUNS" "$EXTRACTCAT $W/big.pdf" "pdftotext $W/big.pdf - | wc -w")
pdf_ms=${pair% *}
pdftotext_ms=${pair#* }
echo "| big.pdf | $(size_of "$W/big.pdf") | extractcat | $(field words "$line") | $pdf_ms | $(field maxrss_kb "$line") (pdftotext child $(field child_maxrss_kb "$line")) |"
tw=$(pdftotext "$W/big.pdf" - | wc -w)
echo "| big.pdf | $(size_of "$W/big.pdf") | pdftotext - \\| wc -w | $tw | $pdftotext_ms | $(peak_kb "pdftotext $W/big.pdf -") |"

# --- 20 MB attachments
for f in att20.docx att20.pdf; do
	line=$("$EXTRACTCAT" "$W/$f")
	check_words "extractcat $f" "$(field words "$line")"
	rss=$(field maxrss_kb "$line")
	echo "| $f | $(size_of "$W/$f") | extractcat | $(field words "$line") | $(field ms "$line") | $rss (child $(field child_maxrss_kb "$line")) |"
	eval "rss_${f%%.*}_${f##*.}=$rss"
done

echo
if [ -n "$pandoc_ms" ]; then
	r=$(ratio "$pandoc_ms" "$docx_ms")
	echo "- docx: extractcat is ${r}x faster than pandoc (target >= 3x: $(target docx "$(awk -v r="$r" 'BEGIN { print (r >= 3) }')"))"
fi
r=$(ratio "$pdf_ms" "$pdftotext_ms")
echo "- pdf: extractcat takes ${r}x the time of pdftotext (target <= 1.2x: $(target pdf "$(awk -v r="$r" 'BEGIN { print (r <= 1.2) }')"))"
# shellcheck disable=SC2154 # set by eval above
for v in "docx:$rss_att20_docx" "pdf:$rss_att20_pdf"; do
	kb=${v#*:}
	echo "- 20 MB ${v%%:*}: extractcat peak RSS $((kb / 1024)) MiB (target < 64 MiB: $(target rss "$([ "$kb" -lt 65536 ] && echo 1 || echo 0)"))"
done

if [ "$missed" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then
	status=1
fi
exit "$status"
