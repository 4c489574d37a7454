#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run Tern's selftests on the running kernel (normally inside the VM) as
# one TAP stream: every case of every program, renumbered, then after each
# program a cleanup case (no Tern socket, namespace or veth left, tern
# unloads). The kernel log gets a "tern-selftest:" line per case so the host
# can name the test behind any splat. A program that exits 4 (kselftest's
# skip) having run no case, after "1..0 # SKIP REASON" as ksft_exit_skip()
# and lib.sh's tern_skip_program print it, is one "ok N PROGRAM # SKIP
# REASON" case.
#   selftests/run.sh [PROGRAM...]    e.g. socket_test, netns_test.sh
# Environment: TERN_KO (tern.ko for this kernel), TERN_KSFT_DIR,
# TERN_TEST_TIMEOUT (seconds per program, default 600).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bindir=$top/build/selftests
: "${TERN_KO:?TERN_KO must name tern.ko}"
: "${TERN_KSFT_DIR:?TERN_KSFT_DIR must point at the kernel selftests}"
export TERN_KO TERN_KSFT_DIR TERN_BINDIR=$bindir
timeout_s=${TERN_TEST_TIMEOUT:-600}
n=0
failed=0

kmsg() { echo "tern-selftest: $*" >/dev/kmsg 2>/dev/null || true; }
tap() {	# tap ok|fail NAME [DIAG...]
	local verdict=$1 name=$2
	shift 2
	n=$((n + 1))
	if [ "$verdict" = ok ]; then
		echo "ok $n $name"
	else
		for d in "$@"; do echo "# $d"; done
		echo "not ok $n $name"
		failed=1
	fi
}

# Install tern.ko where modprobe (and so socket() autoload) finds it. In
# the VM the host has run depmod for us (vm/modindex.sh, TERN_MODINDEX):
# depmod in the guest would take minutes.
moddir=/lib/modules/$(uname -r)/extra
mkdir -p "$moddir" && install -m 0644 "$TERN_KO" "$moddir/tern.ko" ||
	{ echo "Bail out! cannot install $TERN_KO"; exit 1; }
if [ -n "${TERN_MODINDEX:-}" ]; then
	cp "$TERN_MODINDEX"/modules.* "${moddir%/extra}/"
else
	depmod -a
fi || { echo "Bail out! cannot index $TERN_KO"; exit 1; }
if [ "${TERN_VM:-1}" = 0 ]; then
	trap 'rmmod tern 2>/dev/null; rm -f "$moddir/tern.ko"; depmod -a' EXIT
fi
modprobe -r tern 2>/dev/null

progs=("$@")
if [ ${#progs[@]} = 0 ]; then
	# every built program and every shell test (run with bash, so a
	# missing execute bit cannot drop one silently)
	for p in "$bindir"/*_test "$top"/selftests/*_test.sh; do
		[ -e "$p" ] && progs+=("$(basename "$p")")
	done
fi

# Line by line, so the kernel log gets each case's marker as it starts
# (mawk reads a pipe in large blocks unless told otherwise).
awk_lines=(awk)
awk -W interactive 'BEGIN { exit 0 }' </dev/null 2>/dev/null && awk_lines=(awk -W interactive)

# With the debug kernel's sample in parts (TERN_SAMPLE=1,
# TERN_SAMPLE_SHARD=K/N), a harness program runs the tests dealt to part
# K (filter: -t NAME each) and lists the others skipped (skips), dealt
# in turn with the shell cases (lib.sh tern_in_shard, the same count).
# Names come from the harness's -l table (test names from column 48).
filter=()
skips=()
harness_part() {
	local shard=${TERN_SAMPLE_SHARD:-0/1} n i name

	filter=()
	skips=()
	n=${shard#*/}
	[ "${TERN_SAMPLE:-0}" = 1 ] && [ "$n" -gt 1 ] || return 0
	read -r i <"$TERN_SHARD_COUNTER"
	while IFS= read -r name; do
		[ -n "$name" ] || continue
		i=$((i + 1))
		if [ $((i % n)) = "${shard%/*}" ]; then
			filter+=(-t "$name")
		else
			skips+=("$name")
		fi
	done <<<"$("$1" -l 2>&1 | awk 'NR > 1 && !/^---/ {
		t = substr($0, 48); if (t != "" && !seen[t]++) print t }')"
	echo "$i" >"$TERN_SHARD_COUNTER"
}

# The program's TAP: the tests of other parts skipped, then its run (none
# when every test is in another part).
run_program() {
	local t

	for t in "${skips[@]}"; do
		echo "ok 0 $prog: $t # SKIP in the other part of the debug kernel's sample (TERN_SAMPLE_SHARD=$TERN_SAMPLE_SHARD)"
	done
	[ ${#skips[@]} -gt 0 ] && [ ${#filter[@]} = 0 ] && return 0
	timeout "$timeout_s" stdbuf -oL -eL "${cmd[@]}" "${filter[@]}" 2>&1 </dev/null
}

echo "TAP version 13"
state=$(mktemp)
# the debug sample's cases are dealt to its parts across programs
# (lib.sh tern_in_shard)
TERN_SHARD_COUNTER=$(mktemp)
echo 0 >"$TERN_SHARD_COUNTER"
export TERN_SHARD_COUNTER
for prog in "${progs[@]}"; do
	case $prog in
	*.sh) cmd=(bash "$top/selftests/$prog") ;;
	*) cmd=("$bindir/$prog") ;;
	esac
	[ -e "${cmd[-1]}" ] || { tap fail "$prog" "no such test program"; continue; }
	filter=()
	skips=()
	[ "${cmd[0]}" = bash ] || harness_part "${cmd[0]}"
	echo "# $prog"
	kmsg "$prog"
	began=$(date +%s)
	run_program | "${awk_lines[@]}" -v prog="$prog" -v n="$n" -v state="$state" '
		/^1\.\.[0-9]+ # SKIP/ || (/^# SKIP/ && skip == "") {
			skip = $0
			sub(/^(1\.\.[0-9]+ )?# SKIP */, "", skip)
		}
		/^TAP version/ || /^1\.\.[0-9]+/ { next }
		/^#  RUN / {
			name = $3
			print "tern-selftest: " prog " " name > "/dev/kmsg"
			close("/dev/kmsg")
		}
		/^(not )?ok [0-9]+/ {
			n++
			sub(/^ok [0-9]+/, "ok " n)
			sub(/^not ok [0-9]+/, "not ok " n)
			if ($1 == "not") fails++
			cases++
		}
		{ print; fflush() }
		END { print n, fails + 0, cases + 0 > state; print skip > state }'
	rc=${PIPESTATUS[0]}
	echo "# $prog: $(($(date +%s) - began)) s"
	{ read -r n pfails pcases; IFS= read -r why; } <"$state"
	[ "$pfails" -gt 0 ] && failed=1
	if [ "$rc" = 124 ]; then
		tap fail "$prog: finished in time" "killed after ${timeout_s} s"
	elif [ "$rc" = 4 ] && [ "$pcases" = 0 ]; then
		n=$((n + 1))
		echo "ok $n $prog # SKIP ${why:-exit status 4}"
	elif [ "$rc" = 4 ] && [ "$pfails" = 0 ]; then
		:	# some cases ran, the others were skipped
	elif [ "$rc" != 0 ] && [ "$pfails" = 0 ]; then
		tap fail "$prog: exit status" "exited with status $rc and no failed case"
	elif [ "$pcases" = 0 ]; then
		tap fail "$prog: ran a test" "printed no test result"
	fi

	# Nothing may outlive a program: sockets, namespaces, veths, the module.
	kmsg "$prog cleanup"
	diags=()
	socks=$(awk '$1 == "TERN" || $1 == "TERNv6" { n += $3 } END { print n + 0 }' /proc/net/protocols)
	[ "$socks" = 0 ] || diags+=("$socks Tern sockets still in use")
	left=$(ip netns list 2>/dev/null | wc -l)
	[ "$left" = 0 ] || { diags+=("network namespaces left: $(ip netns list | tr '\n' ' ')"); ip -all netns delete; }
	left=$(ip -o link show type veth 2>/dev/null | wc -l)
	[ "$left" = 0 ] || diags+=("veth devices left in the initial namespace: $left")
	if grep -q '^tern ' /proc/modules; then
		# namespaces are dismantled in the background: give them 10 s
		for _ in $(seq 50); do
			err=$(rmmod tern 2>&1) && break
			sleep 0.2
		done
		grep -q '^tern ' /proc/modules && diags+=("rmmod tern failed: $err")
	fi
	if [ ${#diags[@]} = 0 ]; then
		tap ok "$prog: cleanup"
	else
		tap fail "$prog: cleanup" "${diags[@]}"
	fi
done
rm -f "$state" "$TERN_SHARD_COUNTER"
echo "1..$n"
exit $failed
