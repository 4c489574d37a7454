#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Segmentation to the path MTU. A client namespace C reaches a server
# namespace S through a router namespace R:
#
#   C tc0 (MTU 1500) --- R tr0 (1500) | R tr1 (1280) --- S ts1 (1280)
#   192.0.2.1/26         192.0.2.2/26   192.0.2.65/26    192.0.2.66/26
#   2001:db8:0:1::1/64   ...:1::2/64    2001:db8:0:2::1  2001:db8:0:2::2
#
# C's own link allows 1500 bytes, so its first segments are too big for
# R's second link: R answers with ICMP "fragmentation needed" (IPv4, Tern
# sets DF) or ICMPv6 "packet too big", and C must cut its segments down
# and resend what was lost. Each case moves 1 MiB each way with
# tern_connect and compares the files; then checks what C learnt:
#   - icmp_*:   the route to S carries the learnt MTU (1280), and C
#               counted the ICMP errors (TernInIcmpErrors);
#   - route_*:  the route from C to S says "mtu 1200": C's segments fit
#               from the first one, so no ICMP error comes back.
source "$(dirname "$0")/lib.sh"

bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
tool=$bindir/tern_connect
WAIT_S=120	# the longest one transfer may take
C=
R=
S=
ERRS=()
dir=$(mktemp -d /tmp/tern-pmtu.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
trap 'cleanup_all_ns; rm -rf "$dir"' EXIT

err() { ERRS+=("$*"); }

topo_up() {
	C=
	R=
	S=
	setup_ns C R S || return 1
	ip -n "$C" link add tc0 type veth peer name tr0 netns "$R" &&
	ip -n "$R" link add tr1 type veth peer name ts1 netns "$S" &&
	ip -n "$R" link set tr1 mtu 1280 &&
	ip -n "$S" link set ts1 mtu 1280 &&
	ip -n "$C" addr add 192.0.2.1/26 dev tc0 &&
	ip -n "$R" addr add 192.0.2.2/26 dev tr0 &&
	ip -n "$R" addr add 192.0.2.65/26 dev tr1 &&
	ip -n "$S" addr add 192.0.2.66/26 dev ts1 &&
	ip -n "$C" addr add 2001:db8:0:1::1/64 dev tc0 nodad &&
	ip -n "$R" addr add 2001:db8:0:1::2/64 dev tr0 nodad &&
	ip -n "$R" addr add 2001:db8:0:2::1/64 dev tr1 nodad &&
	ip -n "$S" addr add 2001:db8:0:2::2/64 dev ts1 nodad &&
	ip -n "$C" link set tc0 up &&
	ip -n "$R" link set tr0 up &&
	ip -n "$R" link set tr1 up &&
	ip -n "$S" link set ts1 up &&
	ip -n "$C" route add default via 192.0.2.2 &&
	ip -n "$S" route add default via 192.0.2.65 &&
	ip -n "$C" -6 route add default via 2001:db8:0:1::2 &&
	ip -n "$S" -6 route add default via 2001:db8:0:2::1 &&
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 &&
	ip netns exec "$R" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	local ns
	for ns in "$C" "$S"; do
		ip netns exec "$ns" sysctl -qw net.tern.tw_timeout_ms=200 || return 1
	done
}

# xfer FAMILY TYPE: 1 MiB each way between C (client) and S (server)
xfer() {
	local fam=$1 type=$2 addr=192.0.2.66 spid rets retc ns i=0
	local opts=(-P tern -t "$type" -m blocking -"$fam" -p 7100 -S 7 -w "$WAIT_S")

	[ "$fam" = 6 ] && addr=2001:db8:0:2::2
	head -c 1048576 /dev/urandom >"$dir/cin"
	head -c 1048576 /dev/urandom >"$dir/sin"
	rm -f "$dir/ready"
	timeout -k 5 $((WAIT_S + 30)) ip netns exec "$S" "$tool" -l "${opts[@]}" \
		--ready "$dir/ready" -i "$dir/sin" -o "$dir/sout" "$addr" 2>"$dir/slog" &
	spid=$!
	while [ ! -e "$dir/ready" ] && kill -0 "$spid" 2>/dev/null && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	timeout -k 5 $((WAIT_S + 30)) ip netns exec "$C" "$tool" "${opts[@]}" \
		-i "$dir/cin" -o "$dir/cout" "$addr" 2>"$dir/clog"
	retc=$?
	wait "$spid"
	rets=$?
	if [ "$rets" != 0 ] || [ "$retc" != 0 ]; then
		err "server exit status $rets ($(tr '\n' ' ' <"$dir/slog")), client $retc ($(tr '\n' ' ' <"$dir/clog"))"
		return 1
	fi
	cmp -s "$dir/cin" "$dir/sout" || err "the server received other data than the client sent"
	cmp -s "$dir/sin" "$dir/cout" || err "the client received other data than the server sent"
	for ns in "$C" "$S"; do
		slowwait 30 tern_sockets_are "$ns" 0 ||
			err "$(tern_sockets_in_use "$ns") Tern sockets left after the transfer"
	done
}

# route_mtu FAMILY: the MTU C's route to S carries now
route_mtu() {
	local addr=192.0.2.66

	[ "$1" = 6 ] && addr=2001:db8:0:2::2
	ip -n "$C" -"$1" route get "$addr" | awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }'
}

case_icmp() {
	local fam=$1 type=$2 icmp mtu

	xfer "$fam" "$type" || return
	mtu=$(route_mtu "$fam")
	[ "$mtu" = 1280 ] || err "C's route to S has MTU '${mtu}', want 1280 (learnt from ICMP)"
	icmp=$(tern_counter "$C" TernInIcmpErrors)
	[ "${icmp:-0}" -gt 0 ] || err "C counted no ICMP error (TernInIcmpErrors ${icmp:-missing})"
	echo "# $TERN_CASE: route MTU ${mtu:-none}, TernInIcmpErrors $icmp"
}

case_route() {
	local fam=$1 type=$2 icmp addr=192.0.2.66/32 via=192.0.2.2

	[ "$fam" = 6 ] && addr=2001:db8:0:2::2/128 via=2001:db8:0:1::2
	ip -n "$C" -"$fam" route add "$addr" via "$via" mtu 1200 ||
		{ err "cannot add a route with mtu 1200"; return; }
	xfer "$fam" "$type" || return
	icmp=$(tern_counter "$C" TernInIcmpErrors)
	[ "$icmp" = 0 ] || err "C counted $icmp ICMP errors; with the route MTU it needs none"
}

run_case() {
	local name=$1
	shift
	ERRS=()
	tern_case "$name"
	if topo_up; then
		"$@"
	else
		err "cannot build the topology"
	fi
	cleanup_ns "$C" "$R" "$S" >/dev/null
	C= R= S=
	if [ ${#ERRS[@]} = 0 ]; then
		tern_ok
	else
		tern_fail "${ERRS[0]}"
		local e
		for e in "${ERRS[@]:1}"; do echo "# $TERN_CASE: $e"; done
	fi
}

tern_test_begin
[ -x "$tool" ] || { echo "Bail out! $tool is missing (make -C selftests)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

run_case icmp_v4_stream case_icmp 4 stream
run_case icmp_v6_stream case_icmp 6 stream
run_case icmp_v4_seqpacket case_icmp 4 seqpacket
run_case icmp_v6_seqpacket case_icmp 6 seqpacket
run_case route_v4_stream case_route 4 stream
run_case route_v6_seqpacket case_route 6 seqpacket

tern_test_end
