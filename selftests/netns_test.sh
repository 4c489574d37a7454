#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tern across network namespaces. Every case builds two namespaces, A and
# B, joined by a veth pair (192.0.2.1/24 and 2001:db8::1/64 in A,
# 192.0.2.2/24 and 2001:db8::2/64 in B), sends crafted segments with
# tern_inject, checks the counters of /proc/net/tern/snmp in each
# namespace, then tears everything down and checks nothing is left.
# Every wait is bounded.
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip python3

bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
inject=$bindir/tern_inject
WAIT_S=5	# the longest any expected event may take

A=
B=
ERRS=()

err() { ERRS+=("$*"); }

# counters NS: the five counters of NS ("" for the initial namespace) in
# file order: InSegs InHdrErrors InCsumErrors InAddrErrors InNoSocket
counters() {
	local exec=()

	[ -n "$1" ] && exec=(ip netns exec "$1")
	"${exec[@]}" awk '
		{ c[$1] = $2 }
		END {
			print c["TernInSegs"], c["TernInHdrErrors"], c["TernInCsumErrors"],
			      c["TernInAddrErrors"], c["TernInNoSocket"]
		}' /proc/net/tern/snmp
}

counters_are() {
	local c

	c=$(counters "$1")
	echo -n "$c"
	[ "$c" = "$2" ]
}

# expect_counters NS "SEGS HDR CSUM ADDR NOSOCK" WHAT: wait until NS's
# counters are exactly that
expect_counters() {
	local got

	got=$(slowwait "$WAIT_S" counters_are "$1" "$2") ||
		err "$3: counters in ${1:-the initial namespace} are '$got', want '$2'" \
		    "(InSegs InHdrErrors InCsumErrors InAddrErrors InNoSocket)"
}

# send_in NS ARGS...: run tern_inject in NS
send_in() {
	local ns=$1 out

	shift
	out=$(ip netns exec "$ns" "$inject" "$@" 2>&1) || err "tern_inject $*: $out"
}

# Two namespaces, a veth pair, addresses, links up and carrying.
topo_up() {
	A=
	B=
	setup_ns A B || { err "setup_ns failed"; return 1; }
	tern_veth_pair "$A" "$B" || { err "cannot build the A-B veth pair"; return 1; }
}

ns_listed() {
	ip netns list | awk '{ print $1 }' | grep -qx "$1"
}

# Remove the case's namespaces and check nothing is left of them.
topo_down() {
	tern_ns_remove "$A" "$B"
	A=
	B=
}

# run_case NAME FUNCTION: one TAP case, topology around it (lib.sh). On
# the debug kernel (TERN_SAMPLE=1) the cases whose paths others (and the
# fuzzer) already take are skipped.
TERN_SAMPLE_OUT="ipv4_reaches_peer ipv6_reaches_peer counters_per_namespace multicast_addr_error"
run_case() { tern_run_case "$@"; }

# ---------------------------------------------------------------------

case_ipv4_reaches_peer() {
	local init

	init=$(counters "")
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --count 3
	expect_counters "$B" "3 0 0 0 3" "valid IPv4 segments from A"
	expect_counters "$A" "0 0 0 0 0" "the sender"
	expect_counters "" "$init" "the initial namespace"
}

case_ipv6_reaches_peer() {
	local init

	init=$(counters "")
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --count 2 --doff 10 --len 333
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --sport 65535 --dport 1
	expect_counters "$B" "3 0 0 0 3" "valid IPv6 segments from A"
	expect_counters "$A" "0 0 0 0 0" "the sender"
	expect_counters "" "$init" "the initial namespace"
}

case_corrupted_counted_in_peer() {
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --bad-csum --count 2
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --bad-csum --len 7
	expect_counters "$B" "0 0 3 0 0" "segments with a bad checksum"
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --version 2
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --truncate 31
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --doff 9 --optlen 0
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --dport 0
	expect_counters "$B" "0 4 3 0 0" "segments with a bad header"
	expect_counters "$A" "0 0 0 0 0" "the sender"
}

case_counters_per_namespace() {
	local C='' init

	init=$(counters "")
	setup_ns C || { err "setup_ns C failed"; return; }
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --count 2
	send_in "$B" -6 -s 2001:db8::2 -d 2001:db8::1
	send_in "$B" -4 -s 192.0.2.2 -d 192.0.2.1 --bad-csum
	expect_counters "$B" "2 0 0 0 2" "B"
	expect_counters "$A" "1 0 1 0 1" "A"
	expect_counters "$C" "0 0 0 0 0" "an unrelated namespace"
	expect_counters "" "$init" "the initial namespace"
	cleanup_ns "$C" >/dev/null
	! ns_listed "$C" || err "namespace $C is still listed"
}

# Segments larger than the veth MTU arrive as fragments, reassembled into
# a non-linear skb before Tern sees them.
case_fragmented_reassembled() {
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --len 4000
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --len 9001 --doff 20
	expect_counters "$B" "2 0 0 0 2" "fragmented valid segments"
	send_in "$A" -4 -s 192.0.2.1 -d 192.0.2.2 --len 3001 --bad-csum
	send_in "$A" -6 -s 2001:db8::1 -d 2001:db8::2 --len 5000 --bad-csum
	expect_counters "$B" "2 0 2 0 2" "fragmented segments with a bad checksum"
	expect_counters "$A" "0 0 0 0 0" "the sender"
}

# A segment not addressed to B alone (multicast) is counted, not taken.
case_multicast_addr_error() {
	send_in "$A" -4 -I veth-a -s 192.0.2.1 -d 224.0.0.1
	send_in "$A" -6 -I veth-a -s 2001:db8::1 -d ff02::1
	expect_counters "$B" "0 0 0 2 0" "multicast segments"
	expect_counters "$A" "0 0 0 0 0" "the sender (no multicast loop)"
}

# A Tern socket holder for ip netns exec: four sockets, "ready", then at
# most ten minutes of sleep (the case kills it long before).
holder='
import socket, sys, time
s = [socket.socket(f, t, 253) for f in (socket.AF_INET, socket.AF_INET6)
     for t in (socket.SOCK_STREAM, socket.SOCK_SEQPACKET)]
s[0].bind(("0.0.0.0", 5000))
s[3].bind(("2001:db8::1", 5001))
print("ready", flush=True)
time.sleep(600)
'

file_has_ready() { grep -qx ready "$1"; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
refcnt_is() { [ "$(cat /sys/module/tern/refcnt 2>/dev/null)" = "$1" ]; }
ns_sockets() {	# ns_sockets PID: Tern sockets in use in PID's namespace
	awk '$1 == "TERN" || $1 == "TERNv6" { n += $3 } END { print n + 0 }' "/proc/$1/net/protocols"
}

# Delete a namespace while a process in it holds Tern sockets: the
# namespace lives on until the process ends; then nothing is left in use
# and tern unloads.
case_netns_deleted_with_sockets() {
	local ready pid out n

	ready=$(mktemp)
	ip netns exec "$A" python3 -c "$holder" >"$ready" 2>&1 &
	pid=$!
	# python3 alone can take 20 s to start on the debug kernel under TCG
	if ! slowwait 120 file_has_ready "$ready"; then
		err "the socket holder did not start: $(cat "$ready")"
		kill "$pid" 2>/dev/null
		rm -f "$ready"
		return
	fi
	n=$(ns_sockets "$pid")
	[ "$n" = 4 ] || err "$n Tern sockets in use in A, want 4"
	[ "$(tern_sockets_in_use)" = 0 ] || err "Tern sockets counted in the initial namespace"
	refcnt_is 8 || err "refcnt $(cat /sys/module/tern/refcnt), want 8 (2 per socket)"

	ip netns delete "$A" || err "ip netns delete failed"
	remove_ns_list "$A"
	! ns_listed "$A" || err "namespace $A is still listed after delete"
	A=
	kill -0 "$pid" 2>/dev/null || err "the holder died with its namespace's name"
	n=$(ns_sockets "$pid")
	[ "$n" = 4 ] || err "$n Tern sockets in the deleted namespace, want 4"
	refcnt_is 8 || err "refcnt $(cat /sys/module/tern/refcnt), want 8 after the delete"
	out=$(rmmod tern 2>&1) && err "rmmod succeeded with sockets open"
	grep -q "in use" <<<"$out" || err "rmmod said '$out', not 'in use'"

	kill "$pid"
	slowwait "$WAIT_S" pid_gone "$pid" || { kill -KILL "$pid"; err "the holder ignored SIGTERM"; }
	wait "$pid" 2>/dev/null
	rm -f "$ready"

	slowwait "$WAIT_S" refcnt_is 0 || err "refcnt $(cat /sys/module/tern/refcnt) after the holder ended"
	[ "$(tern_sockets_in_use)" = 0 ] || err "$(tern_sockets_in_use) Tern sockets in use"
	out=$(rmmod tern 2>&1) || err "rmmod tern: $out"
	! grep -q '^tern ' /proc/modules || err "tern is still loaded"
	# B's end of the veth pair goes with A's namespace
	slowwait "$WAIT_S" bash -c "! ip -n '$B' link show veth-b >/dev/null 2>&1" ||
		err "veth-b outlived namespace A"
	tern_load || err "modprobe tern failed"
}

tern_test_begin
[ -x "$inject" ] || { echo "Bail out! $inject is missing (make -C selftests)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

run_case ipv4_reaches_peer case_ipv4_reaches_peer
run_case ipv6_reaches_peer case_ipv6_reaches_peer
run_case corrupted_counted_in_peer case_corrupted_counted_in_peer
run_case counters_per_namespace case_counters_per_namespace
run_case fragmented_reassembled case_fragmented_reassembled
run_case multicast_addr_error case_multicast_addr_error
run_case netns_deleted_with_sockets case_netns_deleted_with_sockets

tern_test_end
