#!/bin/sh
# usage: run.sh FUZZ_O SECONDS HARNESS...
# Runs build-fuzz/fuzz_HARNESS for SECONDS each on its corpus (kept in
# FUZZ_O/corpus/HARNESS, seeded from FUZZ_O/seeds/HARNESS), appends one
# line per run to FUZZ_O/fuzz-log.tsv, and fails if any harness found a
# crash, leak or timeout (the reproducer is FUZZ_O/artifacts/HARNESS-*).
set -u
o=$1 secs=$2
shift 2
mkdir -p "$o/artifacts"
log="$o/fuzz-log.tsv"
[ -f "$log" ] || printf 'date\tharness\tseconds\truns\tcorpus\tresult\n' >"$log"
failed=0 passed=0
for h in "$@"; do
	corpus="$o/corpus/$h"
	mkdir -p "$corpus"
	out="$o/fuzz_$h.out"
	# -timeout: one input may take a converter's whole budget (5 s in the
	# mime harness) before the harness notices; more is a hang.
	"$o/fuzz_$h" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 \
		-max_len=262144 -print_final_stats=1 \
		-artifact_prefix="$o/artifacts/$h-" "$corpus" "$o/seeds/$h" >"$out" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
	n=$(ls "$corpus" | wc -l)
	if [ $rc -eq 0 ]; then
		result=ok passed=$((passed + 1))
	else
		result="FOUND(rc=$rc)" failed=$((failed + 1))
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$out" | head -5
		ls "$o"/artifacts/"$h"-* 2>/dev/null | tail -3
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$h" "$secs" \
		"${runs:-0}" "$n" "$result" >>"$log"
	echo "fuzz_$h: ${secs}s runs=${runs:-0} corpus=$n $result"
done
awk -F'\t' 'NR > 1 { s[$2] += $3; r[$2] += $4 }
	END { for (h in s) printf "total fuzz_%s: %d s, %d runs\n", h, s[h], r[h] }' "$log"
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
