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
tern_require_cmd ip sysctl timeout python3 cmp

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

# One ip process per namespace (-batch): on the debug kernel under TCG
# every process costs a second or two, and this topology takes forty
# commands.
ip_batch() {	# ip_batch NS < COMMANDS
	ip -n "$1" -batch -
}

topo_up() {
	local ns

	C='' R1='' R2='' S=''
	setup_ns C R1 R2 S || return 1
	ip -n "$C" link add tc0 type veth peer name r1a netns "$R1" &&
	ip -n "$R1" link add r1b type veth peer name r2a netns "$R2" &&
	ip -n "$R2" link add r2b type veth peer name ts0 netns "$S" || return 1
	ip_batch "$C" <<-EOF || return 1
		addr add 192.0.2.1/26 dev tc0
		addr add 2001:db8:0:1::1/64 dev tc0 nodad
		link set tc0 up
		route add default via 192.0.2.2
		route add default via 2001:db8:0:1::2
	EOF
	ip_batch "$R1" <<-EOF || return 1
		link set r1b mtu 1280
		addr add 192.0.2.2/26 dev r1a
		addr add 192.0.2.65/26 dev r1b
		addr add 2001:db8:0:1::2/64 dev r1a nodad
		addr add 2001:db8:0:2::1/64 dev r1b nodad
		link set r1a up
		link set r1b up
		route add 192.0.2.128/26 via 192.0.2.66
		route add 2001:db8:0:3::/64 via 2001:db8:0:2::2
	EOF
	ip_batch "$R2" <<-EOF || return 1
		link set r2a mtu 1280
		addr add 192.0.2.66/26 dev r2a
		addr add 192.0.2.129/26 dev r2b
		addr add 2001:db8:0:2::2/64 dev r2a nodad
		addr add 2001:db8:0:3::1/64 dev r2b nodad
		link set r2a up
		link set r2b up
		route add 192.0.2.0/26 via 192.0.2.65
		route add 2001:db8:0:1::/64 via 2001:db8:0:2::1
	EOF
	ip_batch "$S" <<-EOF || return 1
		addr add 192.0.2.130/26 dev ts0
		addr add 2001:db8:0:3::2/64 dev ts0 nodad
		link set ts0 up
		route add default via 192.0.2.129
		route add default via 2001:db8:0:3::1
	EOF
	for ns in "$R1" "$R2"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 || return 1
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

# forge_too_big FAMILY SPORT DPORT SEQ MTU: from R1, an ICMP "fragmentation
# needed" (ICMPv6 "packet too big") to C that quotes a Tern segment C->S
# with sequence number SEQ.
forge_too_big() {
	ip netns exec "$R1" python3 - "$@" "$(addr_of C "$1")" "$(addr_of S "$1")" <<'PY'
import socket, struct, sys
fam, sport, dport, seq, mtu, c, s = sys.argv[1:]
tern = struct.pack("!HHBBHQQIB3x", int(sport), int(dport), 8, 2, 0, int(seq), 0, 65535, 1)
def csum(b):
    b += b"\0" * (len(b) & 1)
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
if fam == "4":
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 52, 0, 0x4000, 64, 253, 0,
                     socket.inet_aton(c), socket.inet_aton(s))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    body = ip + tern
    icmp = struct.pack("!BBHHH", 3, 4, 0, 0, int(mtu)) + body
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).sendto(icmp, (c, 0))
else:
    ip = struct.pack("!IHBB16s16s", 0x60000000, 32, 253, 64,
                     socket.inet_pton(socket.AF_INET6, c), socket.inet_pton(socket.AF_INET6, s))
    icmp = struct.pack("!BBHI", 2, 0, 0, int(mtu)) + ip + tern
    socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6).sendto(icmp, (c, 0))
PY
}

# A connection C->S that idles; ICMP errors about it are forged from R1.
# One quoting a sequence number far outside what C has in flight (a blind
# attacker's guess) must change nothing and be counted in
# TernOutOfWindowIcmps; the same error quoting C's snd_una must lower
# the route's MTU.
case_icmp_blind() {
	local fam=$1 mtu=600 line sport una n0 n1 got pid_s pid_c

	[ "$fam" = 6 ] && mtu=1280
	ip netns exec "$S" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_STREAM, 253)
s.bind((sys.argv[1], 7200)); s.listen(1); s.settimeout(60)
c, _ = s.accept(); c.settimeout(120); c.recv(10)' "$(addr_of S "$fam")" &
	pid_s=$!
	slowwait 30 bash -c "ip netns exec $S grep -q ':7200 .* LISTEN ' /proc/net/tern/sockets" ||
		{ err "the listener did not come up"; kill "$pid_s" 2>/dev/null; return; }
	ip netns exec "$C" python3 -c '
import socket, sys, time
c = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_STREAM, 253)
c.connect((sys.argv[1], 7200)); time.sleep(600)' "$(addr_of S "$fam")" &
	pid_c=$!
	slowwait 30 bash -c "ip netns exec $C grep -q ':7200 ESTAB ' /proc/net/tern/sockets" ||
		{ err "the connection did not come up"; kill "$pid_s" "$pid_c" 2>/dev/null; return; }
	line=$(ip netns exec "$C" grep ':7200 ESTAB ' /proc/net/tern/sockets)
	sport=$(awk '{ sub(/.*:/, "", $1); print $1 }' <<<"$line")
	[[ $line =~ \ una=([0-9]+) ]]
	una=${BASH_REMATCH[1]:-}
	n0=$(tern_counter "$C" TernOutOfWindowIcmps)
	forge_too_big "$fam" "$sport" 7200 "$(python3 -c "print(($una + (1 << 40)) % (1 << 64))")" "$mtu" ||
		err "cannot send the forged ICMP error"
	slowwait 30 bash -c "[ \"\$(ip netns exec $C awk '\$1 == \"TernOutOfWindowIcmps\" { print \$2 }' /proc/net/tern/snmp)\" != '$n0' ]" ||
		err "a blind ICMP error was not counted (TernOutOfWindowIcmps stayed $n0)"
	got=$(route_mtu C "$fam")
	[ -z "$got" ] || err "a blind ICMP error set the route MTU to $got"
	forge_too_big "$fam" "$sport" 7200 "$una" "$mtu" ||
		err "cannot send the ICMP error"
	slowwait 30 bash -c "ip -n $C -$fam route get $(addr_of S "$fam") | grep -qw 'mtu $mtu'" ||
		err "an ICMP error quoting snd_una did not set the route MTU to $mtu ($(route_mtu C "$fam"))"
	n1=$(tern_counter "$C" TernOutOfWindowIcmps)
	[ "$n1" = $((n0 + 1)) ] || err "TernOutOfWindowIcmps went from $n0 to $n1, want one more"
	echo "# $TERN_CASE: port $sport, una $una: route MTU now $(route_mtu C "$fam")"
	# the client idled until now (however slow the kernel): end it
	kill "$pid_c" 2>/dev/null
	wait "$pid_c" "$pid_s" 2>/dev/null
}

topo_down() {
	cleanup_ns "$C" "$R1" "$R2" "$S" >/dev/null
	C='' R1='' R2='' S=''
}

# On the debug kernel (TERN_SAMPLE=1) half the cases: both families,
# both socket types, the route, ICMP and blind-ICMP paths.
TERN_SAMPLE_OUT="icmp_v6_stream icmp_v4_seqpacket route_v4_stream icmp_blind_v6"
run_case() { tern_run_case "$@"; }

tern_test_begin
[ -x "$tool" ] || { echo "Bail out! $tool is missing (make -C selftests)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

run_case icmp_v4_stream case_icmp 4 stream
run_case icmp_v6_stream case_icmp 6 stream
run_case icmp_v4_seqpacket case_icmp 4 seqpacket
run_case icmp_v6_seqpacket case_icmp 6 seqpacket
run_case route_v4_stream case_route 4 stream
run_case route_v6_seqpacket case_route 6 seqpacket
run_case icmp_blind_v4 case_icmp_blind 4
run_case icmp_blind_v6 case_icmp_blind 6

tern_test_end
