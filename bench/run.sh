#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the kernel in the VM as make check does (vm/check.sh,
# which runs bench/guest.sh there instead of the selftests and scans the
# kernel log), then turn the raw runs into results.md and PNG charts
# (bench/report.py, gnuplot). make bench-smoke: the same, one short run of
# a few scenarios, its report in build/bench-smoke/ (CI runs it).
#   bench/run.sh [--smoke] [stock|debug|/path/to/bzImage]
# Knobs: BENCH_RUNS (3), BENCH_TIME (seconds a run, 5), BENCH_SCENARIOS
# (a subset of: memory clean lossy impaired crr rr fairness tbf),
# BENCH_BYTES (the impaired exchange, 8388608 each way), BENCH_IDLE_CONNS
# (1000), BENCH_OUT (where results.md and the charts go: bench/, or
# build/bench-smoke/ for the smoke run).
set -uo pipefail
. "$(dirname "$0")/../vm/common.sh"

smoke=0
if [ "${1:-}" = --smoke ]; then
	smoke=1
	shift
fi
kernel=${1:-stock}
if [ $smoke = 1 ]; then
	: "${BENCH_RUNS:=1}" "${BENCH_TIME:=1}" "${BENCH_SCENARIOS:=clean lossy crr}"
	: "${BENCH_BYTES:=1048576}" "${BENCH_IDLE_CONNS:=100}"
	: "${BENCH_OUT:=$TERN_TOP/build/bench-smoke}"
	results=$TERN_TOP/build/bench-smoke
else
	: "${BENCH_OUT:=$TERN_TOP/bench}"
	results=$TERN_TOP/build/bench
fi
# run.sh hands the guest only TERN_* variables
export TERN_BENCH_RUNS=${BENCH_RUNS:-3}
export TERN_BENCH_TIME=${BENCH_TIME:-5}
export TERN_BENCH_SCENARIOS=${BENCH_SCENARIOS:-memory clean lossy impaired crr rr fairness tbf}
export TERN_BENCH_BYTES=${BENCH_BYTES:-8388608}
export TERN_BENCH_IDLE_CONNS=${BENCH_IDLE_CONNS:-1000}
export TERN_CHECK_RUNNER=bench/guest.sh TERN_RESULTS_DIR=$results
command -v gnuplot >/dev/null || die "gnuplot is missing (run: make deps)"

mkdir -p "$results"
log=$results/bench.log
"$TERN_TOP/vm/check.sh" "$kernel" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# the report is one more case: every run readable, every chart drawn
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n1)
read -r passed _ failed _ skipped _ <<<"${summary:-0 passed, 1 failed, 0 skipped}"
commit=$(git -C "$TERN_TOP" describe --always --dirty 2>/dev/null || echo unknown)
accel=$(sed -n 's/^tern: booting .* (\([a-z]*\)) -> .*/\1/p' "$log" | head -n1)
if python3 "$TERN_TOP/bench/report.py" "$results/vm/bench" "$BENCH_OUT" \
	--commit "$commit" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	--accel "${accel:-?}" --title "make bench$([ $smoke = 1 ] && echo -smoke)"; then
	echo "ok report: $BENCH_OUT/results.md"
	passed=$((passed + 1))
else
	echo "not ok report: $BENCH_OUT/results.md"
	failed=$((failed + 1))
	rc=1
fi
echo "bench: $passed passed, $failed failed, $skipped skipped"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
