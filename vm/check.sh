#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: build tern.ko for the kernel under test, boot it in the VM
# (or use the running kernel with VM=0), run every selftest, scan the
# kernel log, and end with "N passed, N failed, N skipped".
#   vm/check.sh [stock|debug|/path/to/bzImage] [PROGRAM...]
# With a bzImage path, KDIR= must name its build tree.
set -uo pipefail
. "$(dirname "$0")/common.sh"

kernel=${1:-stock}
shift || true
vm=${VM:-1}
src=$(tern_src_tree)
export TERN_KSFT_DIR=$src/tools/testing/selftests

case $kernel in
stock|debug) flavor=$kernel ;;
*) [ -n "${KDIR:-}" ] || die "KERNEL=$kernel needs KDIR= (its build tree)"; flavor=custom ;;
esac
[ "$vm" = 0 ] && flavor=running
TERN_KO=$("$TERN_TOP/vm/kmod.sh" "$flavor") || exit 1
export TERN_KO

# Per-program limit. The debug kernel (KASAN, lockdep, kmemleak under TCG)
# takes a second or two for every process and ten times as long for a
# packet: it hunts bugs in Tern's paths, so it runs every path with less
# repetition (sizes, connection and segment counts, a sample of the cases
# of transfer_test, pmtu_test and netns_test: TERN_SAMPLE) and leaves the
# TCP reference cases to the stock kernel.
export TERN_TEST_TIMEOUT=${TERN_TEST_TIMEOUT:-1800}
if [ "$kernel" = debug ]; then
	export TERN_TEST_TIMEOUT=${TERN_TEST_TIMEOUT_DEBUG:-2400}
	export TERN_REFERENCE=${TERN_REFERENCE:-0}
	export TERN_TRANSFER_MAX=${TERN_TRANSFER_MAX:-1M}
	export TERN_SAMPLE=${TERN_SAMPLE:-1}
	# the cases, shell and harness, in four parts, a commit's run one
	# of them, the next three commits' the others (selftests/lib.sh
	# tern_in_shard, run.sh harness_part): one part of three measured
	# 32 minutes, half of it the harness programs; 0/1 runs all
	if [ -z "${TERN_SAMPLE_SHARD:-}" ]; then
		commits=$(git -C "$TERN_TOP" rev-list --count HEAD 2>/dev/null || echo 0)
		TERN_SAMPLE_SHARD=$((commits % 4))/4
	fi
	export TERN_SAMPLE_SHARD
	say "debug sample: part ${TERN_SAMPLE_SHARD%/*} of ${TERN_SAMPLE_SHARD#*/} of the cases (TERN_SAMPLE_SHARD)"
	export TERN_FUZZ_SEGS=${TERN_FUZZ_SEGS:-5000}
	export TERN_HARDEN_RESETS=${TERN_HARDEN_RESETS:-400}
	export TERN_FLOOD_CONNS=${TERN_FLOOD_CONNS:-40}
	export TERN_FLOOD_RATE=${TERN_FLOOD_RATE:-300}
	export TERN_CHURN_CONNS=${TERN_CHURN_CONNS:-200}
	export TERN_HARDEN_CHILDREN=${TERN_HARDEN_CHILDREN:-6}
	export TERN_HARDEN_SOCKS=${TERN_HARDEN_SOCKS:-12}
	# about 28 min here; CI has 90 for everything (README: what it costs)
	export TERN_VM_TIMEOUT=${TERN_VM_TIMEOUT:-4200}
fi

# What the guest runs, and where the results go: the selftests by default;
# make bench runs bench/guest.sh (bench/run.sh sets both).
runner=${TERN_CHECK_RUNNER:-selftests/run.sh}
out=${TERN_RESULTS_DIR:-$TERN_TOP/build/results/$flavor}
mkdir -p "$out"
tap=$out/tap.log
start=$(date +%s)
if [ "$vm" = 0 ]; then
	[ "$(id -u)" = 0 ] || die "VM=0 runs the suite on this kernel and needs root"
	[ -e /proc/modules ] || die "VM=0: the running kernel has no module support"
	before=$(dmesg 2>/dev/null | wc -l)
	TERN_VM=0 "$TERN_TOP/$runner" "$@" | tee "$tap"
	rc=${PIPESTATUS[0]}
	dmesg | tail -n +"$((before + 1))" >"$out/console.log"
else
	image=$(tern_kernel_image "$kernel")
	kdir=${KDIR:-}
	[ "$kernel" = debug ] && kdir=$(cd "$(dirname "$image")/../../.." && pwd)
	TERN_MODINDEX=$(KDIR=$kdir "$TERN_TOP/vm/modindex.sh" \
		"$(tern_image_release "$image")" "$TERN_KO") || exit 1
	export TERN_MODINDEX
	args=(-k "$kernel" -o "$out/vm")
	[ "$kernel" = debug ] && args+=(--kmemleak)
	"$TERN_TOP/vm/run.sh" "${args[@]}" -- "$runner" "$@" | tee "$tap"
	rc=${PIPESTATUS[0]}
	cp "$out/vm/console.log" "$out/console.log" 2>/dev/null
fi

# The guest's kernel log is one more case: clean, or the run fails.
n=$(grep -cE '^(not )?ok [0-9]+' "$tap")
n=$((n + 1))
if findings=$("$TERN_TOP/vm/logscan.sh" "$out/console.log"); then
	echo "ok $n kernel log clean ($kernel)" | tee -a "$tap"
else
	{ echo "$findings"; echo "# full log: $out/console.log"
	  echo "not ok $n kernel log clean ($kernel)"; } | tee -a "$tap"
fi
if [ "$rc" != 0 ] && ! grep -q '^not ok' "$tap"; then
	n=$((n + 1))
	echo "not ok $n test run completed (exit status $rc)" | tee -a "$tap"
fi

skipped=$(grep -cE '^ok [0-9]+ .*# SKIP' "$tap")
passed=$(( $(grep -cE '^ok [0-9]+' "$tap") - skipped ))
failed=$(grep -cE '^not ok [0-9]+' "$tap")
echo "# $kernel: $(( $(date +%s) - start )) s, results in $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
