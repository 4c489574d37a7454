#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Segmentation to the path MTU. A client namespace C reaches a server
# namespace S through two routers, R1 and R2, with a narrow link between
# them:
#
#   C --(1500)-- R1 --(1280)-- R2 --(1500)-- S
#   192.0.2.0/26   192.0.2.64/26  192.0.2.128/26
#   2001:db8:0:1::/64  :2::/64     :3::/64
#
# C and S offer each other an MSS that fits their own 1500-byte links, so
# their first full segments are too big for the middle link: the router
# answers with ICMP "fragmentation needed" (IPv4, Tern sets DF) or ICMPv6
# "packet too big", and the sender must cut its segments down and resend
# what was lost. Each case moves 1 MiB each way with tern_connect and
# compares the files, then checks what the ends learnt:
#   - icmp_*:   their routes to each other carry the learnt MTU (1280),
#               and both counted ICMP errors (TernInIcmpErrors);
#   - route_*:  the routes between C and S say "mtu 1200": segments fit
#               from the first one, so no ICMP error comes back.
source "$(dirname "$0")/lib.sh"

bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
tool=$bindir/tern_connect
WAIT_S=120	# the longest one transfer may take
C=
R1=
R2=
S=
ERRS=()
dir=$(mktemp -d /tmp/tern-pmtu.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
trap 'cleanup_all_ns; rm -rf "$dir"' EXIT

err() { ERRS+=("$*"); }

topo_up() {
	local ns

	C= R1= R2= S=
	setup_ns C R1 R2 S || return 1
	ip -n "$C" link add tc0 type veth peer name r1a netns "$R1" &&
	ip -n "$R1" link add r1b type veth peer name r2a netns "$R2" &&
	ip -n "$R2" link add r2b type veth peer name ts0 netns "$S" &&
	ip -n "$R1" link set r1b mtu 1280 &&
	ip -n "$R2" link set r2a mtu 1280 &&
	ip -n "$C" addr add 192.0.2.1/26 dev tc0 &&
	ip -n "$R1" addr add 192.0.2.2/26 dev r1a &&
	ip -n "$R1" addr add 192.0.2.65/26 dev r1b &&
	ip -n "$R2" addr add 192.0.2.66/26 dev r2a &&
	ip -n "$R2" addr add 192.0.2.129/26 dev r2b &&
	ip -n "$S" addr add 192.0.2.130/26 dev ts0 &&
	ip -n "$C" addr add 2001:db8:0:1::1/64 dev tc0 nodad &&
	ip -n "$R1" addr add 2001:db8:0:1::2/64 dev r1a nodad &&
	ip -n "$R1" addr add 2001:db8:0:2::1/64 dev r1b nodad &&
	ip -n "$R2" addr add 2001:db8:0:2::2/64 dev r2a nodad &&
	ip -n "$R2" addr add 2001:db8:0:3::1/64 dev r2b nodad &&
	ip -n "$S" addr add 2001:db8:0:3::2/64 dev ts0 nodad || return 1
	ip -n "$C" link set tc0 up &&
	ip -n "$R1" link set r1a up &&
	ip -n "$R1" link set r1b up &&
	ip -n "$R2" link set r2a up &&
	ip -n "$R2" link set r2b up &&
	ip -n "$S" link set ts0 up || return 1
	ip -n "$C" route add default via 192.0.2.2 &&
	ip -n "$R1" route add 192.0.2.128/26 via 192.0.2.66 &&
	ip -n "$R2" route add 192.0.2.0/26 via 192.0.2.65 &&
	ip -n "$S" route add default via 192.0.2.129 &&
	ip -n "$C" -6 route add default via 2001:db8:0:1::2 &&
	ip -n "$R1" -6 route add 2001:db8:0:3::/64 via 2001:db8:0:2::2 &&
	ip -n "$R2" -6 route add 2001:db8:0:1::/64 via 2001:db8:0:2::1 &&
	ip -n "$S" -6 route add default via 2001:db8:0:3::1 || return 1
	for ns in "$R1" "$R2"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 &&
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1 ||
			return 1
	done
	for ns in "$C" "$S"; do
		ip netns exec "$ns" sysctl -qw net.tern.tw_timeout_ms=200 || return 1
	done
}

# The address of S, or of C, in family 4 or 6
addr_of() {
	case $1$2 in
	S4) echo 192.0.2.130 ;;
	S6) echo 2001:db8:0:3::2 ;;
	C4) echo 192.0.2.1 ;;
	C6) echo 2001:db8:0:1::1 ;;
	esac
}

# xfer FAMILY TYPE: 1 MiB each way between C (client) and S (server)
xfer() {
	local fam=$1 type=$2 addr spid rets retc ns i=0
	local opts=(-P tern -t "$type" -m blocking -"$fam" -p 7100 -S 7 -w "$WAIT_S")

	addr=$(addr_of S "$fam")
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

# route_mtu NS PEER FAMILY: the MTU NS's route to PEER carries now
route_mtu() {
	local ns=C peer=S

	[ "$1" = S ] && ns=S peer=C
	ip -n "${!ns}" -"$2" route get "$(addr_of "$peer" "$2")" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") print $(i + 1) }'
}

case_icmp() {
	local fam=$1 type=$2 end icmp mtu

	xfer "$fam" "$type" || return
	for end in C S; do
		mtu=$(route_mtu "$end" "$fam")
		[ "$mtu" = 1280 ] ||
			err "$end's route to the other end has MTU '${mtu}', want 1280 (learnt from ICMP)"
		icmp=$(tern_counter "${!end}" TernInIcmpErrors)
		[ "${icmp:-0}" -gt 0 ] ||
			err "$end counted no ICMP error (TernInIcmpErrors ${icmp:-missing})"
		echo "# $TERN_CASE: $end: route MTU ${mtu:-none}, TernInIcmpErrors $icmp"
	done
}

case_route() {
	local fam=$1 type=$2 end icmp plen=32 via

	[ "$fam" = 6 ] && plen=128
	via=$( [ "$fam" = 4 ] && echo 192.0.2.2 || echo 2001:db8:0:1::2)
	ip -n "$C" -"$fam" route add "$(addr_of S "$fam")/$plen" via "$via" mtu 1200 &&
	via=$( [ "$fam" = 4 ] && echo 192.0.2.129 || echo 2001:db8:0:3::1) &&
	ip -n "$S" -"$fam" route add "$(addr_of C "$fam")/$plen" via "$via" mtu 1200 ||
		{ err "cannot add the routes with mtu 1200"; return; }
	xfer "$fam" "$type" || return
	for end in C S; do
		icmp=$(tern_counter "${!end}" TernInIcmpErrors)
		[ "$icmp" = 0 ] ||
			err "$end counted $icmp ICMP errors; with the route MTU it needs none"
	done
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
	cleanup_ns "$C" "$R1" "$R2" "$S" >/dev/null
	C= R1= R2= S=
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
