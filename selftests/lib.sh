#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for Tern's shell selftests, on top of the kernel's
# tools/testing/selftests/net/lib.sh (setup_ns, cleanup_ns, busywait...).
# TAP output: tern_test_begin/tern_ok/tern_fail/tern_skip, tern_test_end;
# tern_require_cmd/tern_skip_program skip the whole program (exit 4).

: "${TERN_KSFT_DIR:?TERN_KSFT_DIR must point at the kernel selftests}"
# shellcheck source=/dev/null
source "$TERN_KSFT_DIR/net/lib.sh"

TERN_TAP_N=0
TERN_TAP_FAILED=0
TERN_CASE=

TERN_TAP_BEGUN=0

tern_test_begin() { echo "TAP version 13"; TERN_TAP_BEGUN=1; }
tern_test_end() {
	echo "1..$TERN_TAP_N"
	[ "$TERN_TAP_FAILED" = 0 ]
}
# tern_case NAME: start a case (logged in the kernel log for attribution)
tern_case() {
	TERN_CASE=$1
	echo "#  RUN           $1 ..."
}
tern_ok() { TERN_TAP_N=$((TERN_TAP_N + 1)); echo "ok $TERN_TAP_N $TERN_CASE"; }
tern_fail() {
	TERN_TAP_N=$((TERN_TAP_N + 1))
	TERN_TAP_FAILED=1
	echo "# $TERN_CASE: $*"
	echo "not ok $TERN_TAP_N $TERN_CASE"
}
# tern_report_errs: the case passes when the array ERRS is empty, else it
# fails with the first error and lists the others
tern_report_errs() {
	local e

	if [ ${#ERRS[@]} = 0 ]; then
		tern_ok
		return
	fi
	tern_fail "${ERRS[0]}"
	for e in "${ERRS[@]:1}"; do echo "# $TERN_CASE: $e"; done
}
# tern_run_case NAME COMMAND...: one TAP case; the script's topo_up and
# topo_down build and remove its namespaces around COMMAND, which (like
# them) adds what went wrong to ERRS. A case the script names in
# TERN_SAMPLE_OUT is reported skipped on the debug kernel (tern_in_sample).
tern_run_case() {
	local name=$1

	shift
	tern_in_sample "$name" || return 0
	ERRS=()
	tern_case "$name"
	if topo_up; then
		"$@"
	elif [ ${#ERRS[@]} = 0 ]; then
		ERRS+=("cannot build the topology")
	fi
	topo_down
	tern_report_errs
}

# tern_run_reference_case NAME COMMAND...: as tern_run_case, for a case
# that runs TCP (or SCTP) as the reference for a Tern case. TERN_REFERENCE=0
# (vm/check.sh sets it on the debug kernel, which hunts bugs in Tern, not
# in TCP) reports it skipped.
tern_run_reference_case() {
	if [ "${TERN_REFERENCE:-1}" = 0 ]; then
		tern_case "$1"
		tern_skip "the TCP reference runs on the stock kernel (TERN_REFERENCE=0)"
		return 0
	fi
	tern_run_case "$@"
}

# tern_sampled_out NAME: with TERN_SAMPLE=1 (vm/check.sh sets it on the
# debug kernel, where every case costs many times as much) the calling
# script runs only a sample of its cases that still reaches every path;
# this reports case NAME, not in it, skipped and succeeds. Without
# TERN_SAMPLE it fails, and the caller runs the case.
tern_sampled_out() {
	[ "${TERN_SAMPLE:-0}" = 1 ] || return 1
	tern_case "$1"
	tern_skip "not in the debug kernel's sample (TERN_SAMPLE=1)"
}

# tern_in_shard NAME: with TERN_SAMPLE=1 and TERN_SAMPLE_SHARD=K/N
# (vm/check.sh sets K from the commit, N=4), is case NAME in part K of N?
# The cases of the debug sample are dealt to the parts in turn, across
# programs when run.sh keeps the count (TERN_SHARD_COUNTER, a file), so
# the parts come out even: a debug run takes one part, the next commit's
# run the other. Without TERN_SAMPLE, or with N=1, every case is.
TERN_SHARD_I=0
tern_in_shard() {
	local shard=${TERN_SAMPLE_SHARD:-0/1} n f=${TERN_SHARD_COUNTER:-}

	[ "${TERN_SAMPLE:-0}" = 1 ] || return 0
	n=${shard#*/}
	[ "$n" -gt 1 ] || return 0
	[ -n "$f" ] && [ -w "$f" ] && read -r TERN_SHARD_I <"$f"
	TERN_SHARD_I=$((TERN_SHARD_I + 1))
	[ -n "$f" ] && [ -w "$f" ] && echo "$TERN_SHARD_I" >"$f"
	[ $((TERN_SHARD_I % n)) = "${shard%/*}" ]
}

# tern_in_sample NAME: is case NAME to run? A script lists in
# TERN_SAMPLE_OUT (names separated by spaces) the cases whose paths its
# other cases, or other programs, already take; with TERN_SAMPLE=1 they,
# and the cases of the other parts of the sample (tern_in_shard), are
# reported skipped and this fails.
tern_in_sample() {
	if [[ " ${TERN_SAMPLE_OUT:-} " == *" $1 "* ]] && tern_sampled_out "$1"; then
		return 1
	fi
	tern_in_shard "$1" && return 0
	tern_case "$1"
	tern_skip "in the other part of the debug kernel's sample (TERN_SAMPLE_SHARD=$TERN_SAMPLE_SHARD)"
	return 1
}

# tern_ns_remove NS...: delete the namespaces; whatever is still listed
# after WAIT_S seconds, or a veth left in the initial namespace, goes to
# ERRS.
tern_ns_remove() {
	local ns

	cleanup_ns "$@" >/dev/null
	for ns in "$@"; do
		[ -n "$ns" ] || continue
		slowwait "${WAIT_S:-5}" bash -c "! ip netns list | awk '{ print \$1 }' | grep -qx '$ns'" ||
			ERRS+=("namespace $ns is still listed")
	done
	[ "$(ip -o link show type veth | wc -l)" = 0 ] ||
		ERRS+=("veth devices left in the initial namespace")
}

# tern_link_up NS DEV: DEV is up in NS (for slowwait).
tern_link_up() {
	ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -q 'state UP'
}

# tern_veth_pair NSA NSB: veth-a in NSA (192.0.2.1/24, 2001:db8::1/64)
# joined to veth-b in NSB (.2, ::2), both up. Fails (status 1) if a step
# fails or a link does not come up within WAIT_S seconds.
tern_veth_pair() {
	ip -n "$1" link add veth-a type veth peer name veth-b netns "$2" &&
	ip -n "$1" addr add 192.0.2.1/24 dev veth-a &&
	ip -n "$1" addr add 2001:db8::1/64 dev veth-a nodad &&
	ip -n "$2" addr add 192.0.2.2/24 dev veth-b &&
	ip -n "$2" addr add 2001:db8::2/64 dev veth-b nodad &&
	ip -n "$1" link set veth-a up &&
	ip -n "$2" link set veth-b up &&
	slowwait "${WAIT_S:-5}" tern_link_up "$1" veth-a &&
	slowwait "${WAIT_S:-5}" tern_link_up "$2" veth-b
}

tern_skip() { TERN_TAP_N=$((TERN_TAP_N + 1)); echo "ok $TERN_TAP_N $TERN_CASE # SKIP $*"; }

# tern_skip_program REASON: skip the whole program as kselftest's
# ksft_exit_skip() does, before any case has run: a plan of no tests with
# the reason, exit status 4 (run.sh reports "ok N PROGRAM # SKIP REASON").
tern_skip_program() {
	[ "$TERN_TAP_BEGUN" = 1 ] || echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit 4	# KSFT_SKIP
}

# tern_tool_program: a test of a userspace tool (library, decoder,
# wrapper) whose kernel paths the other programs drive already: the
# debug kernel (TERN_SAMPLE=1) spends its time on those and skips it.
tern_tool_program() {
	[ "${TERN_SAMPLE:-0}" = 1 ] &&
		tern_skip_program "a userspace tool's test: its socket paths are the other programs' (debug sample)"
	return 0
}

# tern_require_cmd CMD...: skip the program unless every CMD is installed.
tern_require_cmd() {
	local c missing=()

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ ${#missing[@]} = 0 ] || tern_skip_program "not installed: ${missing[*]}"
}

# Load tern (by name through modprobe, as socket() autoload would).
tern_load() { modprobe tern; }

# tern_counter NETNS NAME: value of a /proc/net/tern/snmp counter in NETNS
tern_counter() {
	ip netns exec "$1" awk -v n="$2" '$1 == n { print $2; f = 1 } END { exit !f }' \
		/proc/net/tern/snmp
}

# tern_sockets_in_use [NETNS]: sockets in use (orphans included), IPv4
# plus IPv6, from /proc/net/protocols, here or in NETNS.
tern_sockets_in_use() {
	local run=()

	[ $# -gt 0 ] && run=(ip netns exec "$1")
	"${run[@]}" awk '$1 == "TERN" || $1 == "TERNv6" { n += $3 } END { print n + 0 }' \
		/proc/net/protocols
}
tern_sockets_are() { [ "$(tern_sockets_in_use "$1")" = "$2" ]; }	# NETNS N
