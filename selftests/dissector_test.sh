#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Wireshark dissector (userspace/wireshark/tern.lua) against real
# traffic. Three namespaces: a client and a server with a router between
# them; the router's links are impaired (netem loss and reordering, both
# directions) and dumpcap (or tshark) captures on its client-side link, so
# the capture holds every segment the client sent, lost ones included
# (netem drops them later, on the server-side link), and what reached the
# client of the server's. A transfer both ways with tern_connect (stream
# and seqpacket, IPv4 and IPv6), then tshark with the dissector reads the
# capture, and:
#   - every IP protocol 253 packet is dissected as Tern: none malformed,
#     no Lua error, no unknown or malformed option, no bad header;
#   - every checksum is verified good: the capture link's two ends have
#     checksum offload off (ethtool -K tx off), so what crosses it is
#     wire segments with their sums finished, as on a NIC's wire (a GSO
#     burst, module/offload.c, would carry a partial sum, as TCP's do);
#   - SYN, SYN-ACK, a FIN from each side and ACKs are there, all in one
#     stream (tern.stream), EOR segments for seqpacket;
#   - the payload each side sent adds up to at least what it transferred;
#   - the segments the client's counters say it retransmitted show up
#     flagged (tern.analysis.retransmission), and over the whole program
#     at least one does.
# Then crafted segments (tern_inject: bad checksum, an option whose length
# runs past the option area, a good one; IPv4 and IPv6) go through the
# router: each must be flagged with its expert info (the last case). One
# topology, one capture and one tshark run serve all the cases: tshark
# takes seconds to start in the emulated VM, a transfer less than that.
#
# Environment: TERN_BINDIR (tern_connect, tern_inject), TERN_DISSECTOR_SIZE
# bytes each way (default 192 KiB; 128 KiB with TERN_SAMPLE=1, the debug
# kernel, which also runs only the IPv4 stream and IPv6 seqpacket cases).
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip tc timeout cmp tshark ethtool
tern_tool_program

top=$(cd "$(dirname "$0")/.." && pwd)
bindir=${TERN_BINDIR:-$top/build/selftests}
lua=$top/userspace/wireshark/tern.lua
for t in tern_connect tern_inject; do
	[ -x "$bindir/$t" ] || { echo "Bail out! $bindir/$t is not built"; exit 1; }
done
[ -f "$lua" ] || { echo "Bail out! $lua is missing"; exit 1; }
capture_tool=dumpcap
command -v dumpcap >/dev/null 2>&1 || capture_tool=tshark

size=${TERN_DISSECTOR_SIZE:-196608}
[ "${TERN_SAMPLE:-0}" = 1 ] && size=${TERN_DISSECTOR_SIZE:-131072}
# loss and reordering on both of the router's links; netem delays what it
# does not reorder, so reordering needs a delay
impair="delay 2ms reorder 20% 50% loss 4%"

dir=$(mktemp -d /tmp/tern-dissector.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
nsc=
nsr=
nss=
cap_pid=
cleanup() {
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null
	cleanup_all_ns
	rm -rf "$dir"
}
trap cleanup EXIT

head -c "$size" /dev/urandom >"$dir/cin" && head -c "$size" /dev/urandom >"$dir/sin" ||
	{ echo "Bail out! cannot make the input files"; exit 1; }

# mac NS DEV
mac() { ip -n "$1" -br link show "$2" | awk '{ print $3 }'; }

# client (tc: 192.0.2.2, 2001:db8:1::2) -- (rc) router (rs) -- (ts: 198.51.100.2, 2001:db8:2::2) server
topo_up() {
	nsc=
	nsr=
	nss=
	setup_ns nsc nsr nss >/dev/null || return 1
	ip link add tc netns "$nsc" type veth peer name rc netns "$nsr" &&
	ip link add ts netns "$nss" type veth peer name rs netns "$nsr" &&
	ip -n "$nsc" addr add 192.0.2.2/24 dev tc &&
	ip -n "$nsc" addr add 2001:db8:1::2/64 dev tc nodad &&
	ip -n "$nsr" addr add 192.0.2.1/24 dev rc &&
	ip -n "$nsr" addr add 2001:db8:1::1/64 dev rc nodad &&
	ip -n "$nsr" addr add 198.51.100.1/24 dev rs &&
	ip -n "$nsr" addr add 2001:db8:2::1/64 dev rs nodad &&
	ip -n "$nss" addr add 198.51.100.2/24 dev ts &&
	ip -n "$nss" addr add 2001:db8:2::2/64 dev ts nodad || return 1
	local d
	for d in "$nsc tc" "$nsr rc" "$nsr rs" "$nss ts"; do
		ip -n "${d% *}" link set "${d#* }" up || return 1
	done
	# the captured link carries wire segments, sums finished
	ip netns exec "$nsc" ethtool -K tc tx off >/dev/null &&
	ip netns exec "$nsr" ethtool -K rc tx off >/dev/null || return 1
	ip netns exec "$nsr" sysctl -qw net.ipv4.ip_forward=1 &&
	ip netns exec "$nsr" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
	ip -n "$nsc" route add default via 192.0.2.1 &&
	ip -n "$nsc" -6 route add default via 2001:db8:1::1 &&
	ip -n "$nss" route add default via 198.51.100.1 &&
	ip -n "$nss" -6 route add default via 2001:db8:2::1 || return 1
	# netem drops ARP and ND too: neighbours resolved for good
	local mc mrc mrs ms
	mc=$(mac "$nsc" tc) mrc=$(mac "$nsr" rc) mrs=$(mac "$nsr" rs) ms=$(mac "$nss" ts)
	ip -n "$nsc" neigh replace 192.0.2.1 lladdr "$mrc" dev tc nud permanent &&
	ip -n "$nsc" neigh replace 2001:db8:1::1 lladdr "$mrc" dev tc nud permanent &&
	ip -n "$nsr" neigh replace 192.0.2.2 lladdr "$mc" dev rc nud permanent &&
	ip -n "$nsr" neigh replace 2001:db8:1::2 lladdr "$mc" dev rc nud permanent &&
	ip -n "$nsr" neigh replace 198.51.100.2 lladdr "$ms" dev rs nud permanent &&
	ip -n "$nsr" neigh replace 2001:db8:2::2 lladdr "$ms" dev rs nud permanent &&
	ip -n "$nss" neigh replace 198.51.100.1 lladdr "$mrs" dev ts nud permanent &&
	ip -n "$nss" neigh replace 2001:db8:2::1 lladdr "$mrs" dev ts nud permanent || return 1
	for d in "$nsc" "$nss"; do
		ip netns exec "$d" sysctl -qw net.tern.tw_timeout_ms=200 || return 1
	done
}

topo_down() {
	stop_capture
	tern_ns_remove "$nsc" "$nsr" "$nss"
	nsc=
	nsr=
	nss=
}

# start_capture FILE: capture on the router's client-side link
start_capture() {
	local i=0

	rm -f "$1" "$dir/cap.log"
	if [ "$capture_tool" = dumpcap ]; then
		ip netns exec "$nsr" dumpcap -i rc -B 16 -w "$1" >"$dir/cap.log" 2>&1 &
	else
		ip netns exec "$nsr" tshark -i rc -B 16 -w "$1" >"$dir/cap.log" 2>&1 &
	fi
	cap_pid=$!
	# both say "Capturing on 'rc'" once the socket is open
	while ! grep -q "Capturing on" "$dir/cap.log" 2>/dev/null; do
		kill -0 "$cap_pid" 2>/dev/null && [ $i -lt 200 ] || {
			ERRS+=("$capture_tool did not start: $(tr '\n' ' ' <"$dir/cap.log")")
			return 1
		}
		sleep 0.05
		i=$((i + 1))
	done
}

stop_capture() {
	[ -n "$cap_pid" ] || return 0
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
}

# dissect CAPTURE OUT: one line per packet, tab-separated fields; tshark's
# stderr goes to OUT.err. Fails if tshark does.
fields=(frame.number frame.protocols ip.proto ipv6.nxt tern.srcport tern.dstport
	tern.stream tern.len tern.flags.syn tern.flags.ack tern.flags.fin tern.flags.eor
	tern.seq_raw tern.checksum.status _ws.malformed _ws.lua.error
	tern.analysis.retransmission tern.checksum.bad tern.option.len.invalid
	tern.option.unknown tern.doff.bad tern.hdr.short tern.version.bad)
dissect() {
	local args=() fl

	for fl in "${fields[@]}"; do args+=(-e "$fl"); done
	tshark -n -X lua_script:"$lua" -r "$1" -T fields -E separator=/t \
		-E occurrence=f "${args[@]}" >"$2" 2>"$2.err"
}

# The awk programs below name the columns of dissect's output.
awk_cols='BEGIN { FS = "\t"; NUM = 1; PROTOS = 2; IPP = 3; NXT = 4; SP = 5; DP = 6;
	STREAM = 7; LEN = 8; SYN = 9; ACK = 10; FIN = 11; EOR = 12; SEQ = 13; CSUM = 14;
	MALF = 15; LUAERR = 16; RETR = 17; BADCSUM = 18; OPTLEN = 19; OPTUNK = 20;
	DOFF = 21; SHORT = 22; VER = 23 }
	function tern253() { return $IPP == 253 || $NXT == 253 }'

# count OUT CONDITION: lines of OUT where the awk CONDITION holds
count() { awk "$awk_cols"' '"$2"' { n++ } END { print n + 0 }' "$1"; }

# transfer TYPE FAMILY PORT: a transfer both ways, both ends' data
# compared; what went wrong goes to TERR[PORT], the client's
# retransmission count to RETRANS[PORT]
declare -A TERR RETRANS
transfer() {
	local type=$1 fam=$2 port=$3 saddr=198.51.100.2 rets retc base spid i=0 err=

	[ "$fam" = 6 ] && saddr=2001:db8:2::2
	base=$(tern_counter "$nsc" TernRetransSegs)
	local opts=(-t "$type" -"$fam" -p "$port" -w 120)
	rm -f "$dir/ready"
	timeout -k 5 150 ip netns exec "$nss" "$bindir/tern_connect" -l "${opts[@]}" \
		--ready "$dir/ready" -i "$dir/sin" -o "$dir/sout" "$saddr" 2>"$dir/slog" &
	spid=$!
	while [ ! -e "$dir/ready" ] && kill -0 "$spid" 2>/dev/null && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	timeout -k 5 150 ip netns exec "$nsc" "$bindir/tern_connect" "${opts[@]}" \
		-i "$dir/cin" -o "$dir/cout" "$saddr" 2>"$dir/clog"
	retc=$?
	wait "$spid"
	rets=$?
	# the last ACKs and the close: nothing left in either namespace
	slowwait 60 tern_sockets_are "$nsc" 0 || err+="client sockets left; "
	slowwait 60 tern_sockets_are "$nss" 0 || err+="server sockets left; "
	RETRANS[$port]=$(( $(tern_counter "$nsc" TernRetransSegs) - base ))
	if [ "$rets" != 0 ] || [ "$retc" != 0 ]; then
		err+="transfer failed: server exit status $rets ($(tr '\n' ' ' <"$dir/slog")), client $retc ($(tr '\n' ' ' <"$dir/clog")); "
	else
		cmp -s "$dir/cin" "$dir/sout" || err+="the server received other data than the client sent; "
		cmp -s "$dir/sin" "$dir/cout" || err+="the client received other data than the server sent; "
	fi
	TERR[$port]=$err
}

# check_transfer OUT TYPE PORT: what the dissector made of transfer PORT
# (one awk pass: each awk costs a lot in the emulated VM; no process
# substitution: the guest has no /dev/fd)
check_transfer() {
	local out=$1 type=$2 port=$3 nall notern malf bad csum syn synack finc fins ack
	local payc pays eor nstreams retr retrc unflagged first

	[ -z "${TERR[$port]}" ] || { ERRS+=("${TERR[$port]}"); return; }
	read -r nall notern malf bad csum syn synack finc fins ack payc pays eor nstreams \
		retr retrc unflagged first <<<"$(awk "$awk_cols"' tern253() && ($SP == P || $DP == P) {
		c = $DP == P	# from the client
		nall++
		if ($PROTOS !~ /(^|:)tern(:|$)/) notern++
		if ($MALF != "" || $LUAERR != "") malf++
		if ($OPTLEN != "" || $OPTUNK != "" || $DOFF != "" || $SHORT != "" || $VER != "") bad++
		if ($CSUM != 1) csum++
		if (c && $SYN == 1 && $ACK == 0) syn++
		if (!c && $SYN == 1 && $ACK == 1) synack++
		if ($FIN == 1) { if (c) finc++; else fins++ }
		if ($ACK == 1 && $SYN == 0 && $FIN == 0) ack++
		if (c) payc += $LEN; else pays += $LEN
		if ($EOR == 1) eor++
		if (!($STREAM in streams)) { streams[$STREAM] = 1; nstreams++ }
		if ($RETR != "") { retr++; if (c) retrc++ }
		# a segment that takes sequence space and is in the capture
		# again (same direction, sequence number, length and flags)
		if ($LEN > 0 || $SYN == 1 || $FIN == 1) {
			k = $SP " " $DP " " $SEQ " " $LEN " " $SYN " " $FIN
			if (k in seen && $RETR == "") { unflagged++; if (first == "") first = $NUM "/" seen[k] }
			if (!(k in seen)) seen[k] = $NUM
		}
	} END {
		print nall + 0, notern + 0, malf + 0, bad + 0, csum + 0, syn + 0, synack + 0,
			finc + 0, fins + 0, ack + 0, payc + 0, pays + 0, eor + 0, nstreams + 0,
			retr + 0, retrc + 0, unflagged + 0, (first == "" ? "-" : first)
	}' P="$port" "$out")"
	echo "# $nall segments, $retr flagged retransmissions ($retrc from the client, which counted ${RETRANS[$port]})"
	retrans_total=$((retrans_total + retr))
	[ "$nall" -gt 0 ] || { ERRS+=("no segment of port $port captured"); return; }
	[ "$notern" = 0 ] || ERRS+=("$notern protocol 253 packets not dissected as Tern")
	[ "$malf" = 0 ] || ERRS+=("$malf packets malformed or with a Lua error")
	[ "$bad" = 0 ] || ERRS+=("$bad segments with an unknown or malformed option or a bad header")
	[ "$csum" = 0 ] || ERRS+=("$csum segments whose checksum is not verified good")
	[ "$syn" -gt 0 ] || ERRS+=("no SYN")
	[ "$synack" -gt 0 ] || ERRS+=("no SYN-ACK")
	[ "$finc" -gt 0 ] || ERRS+=("no FIN from the client")
	[ "$fins" -gt 0 ] || ERRS+=("no FIN from the server")
	[ "$ack" -gt 0 ] || ERRS+=("no ACK")
	[ "$payc" -ge "$size" ] || ERRS+=("client payload in the capture $payc bytes, below the $size sent")
	[ "$pays" -ge "$size" ] || ERRS+=("server payload in the capture $pays bytes, below the $size sent")
	[ "$type" != seqpacket ] || [ "$eor" -gt 0 ] || ERRS+=("no EOR segment")
	[ "$nstreams" = 1 ] || ERRS+=("the segments are in $nstreams streams, not one")
	# every copy after the first is flagged: all of the client's
	# retransmissions (the capture sees them before netem drops them),
	# the server's when netem dropped not the first copy but a later one
	[ "$unflagged" = 0 ] ||
		ERRS+=("$unflagged segments repeated but not flagged as retransmissions, first frame/original $first")
	[ "${RETRANS[$port]}" = 0 ] || [ "$retrc" -gt 0 ] ||
		echo "# the client counted ${RETRANS[$port]} retransmissions, none with sequence space"
}

# forwarded: datagrams the router forwarded, IPv4 and IPv6
forwarded() {
	ip netns exec "$nsr" awk '
		$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Ip:" && h { n += $col["ForwDatagrams"] }
		$1 == "Ip6OutForwDatagrams" { n += $2 }
		END { print n + 0 }' /proc/net/snmp /proc/net/snmp6
}
forwarded_at_least() { [ "$(forwarded)" -ge "$1" ]; }

# inject: crafted segments from the client, each flagged
inject() {
	local base

	base=$(forwarded)
	ip netns exec "$nsc" "$bindir/tern_inject" -d 198.51.100.2 --sport 40001 --dport 9 --bad-csum &&
	ip netns exec "$nsc" "$bindir/tern_inject" -d 198.51.100.2 --sport 40002 --dport 9 --optlen 8 &&
	ip netns exec "$nsc" "$bindir/tern_inject" -d 198.51.100.2 --sport 40003 --dport 9 --len 10 &&
	ip netns exec "$nsc" "$bindir/tern_inject" -d 2001:db8:2::2 --sport 40001 --dport 9 --bad-csum &&
	ip netns exec "$nsc" "$bindir/tern_inject" -d 2001:db8:2::2 --sport 40002 --dport 9 --optlen 8 &&
	ip netns exec "$nsc" "$bindir/tern_inject" -d 2001:db8:2::2 --sport 40003 --dport 9 --len 10 ||
		INJERR="tern_inject failed"
	# the router has forwarded all six (before netem may drop them), so
	# the capture, which sees them on the way in, has them
	slowwait 10 forwarded_at_least $((base + 6)) ||
		INJERR+="the router forwarded $(( $(forwarded) - base )) of the 6 crafted segments; "
}

check_inject() {
	local out=$1 n

	[ -z "$INJERR" ] || { ERRS+=("$INJERR"); return; }
	n=$(count "$out" 'tern253() && $DP == 9 && $PROTOS !~ /(^|:)tern(:|$)/')
	[ "$n" = 0 ] || ERRS+=("$n protocol 253 packets not dissected as Tern")
	n=$(count "$out" 'tern253() && $DP == 9 && ($MALF != "" || $LUAERR != "")')
	[ "$n" = 0 ] || ERRS+=("$n packets malformed or with a Lua error")
	n=$(count "$out" '$SP == 40001 && $CSUM == 0 && $BADCSUM != ""')
	[ "$n" = 2 ] || ERRS+=("$n of the 2 bad checksums flagged (tern.checksum.bad)")
	n=$(count "$out" '$SP == 40002 && $CSUM == 1 && $OPTLEN != ""')
	[ "$n" = 2 ] || ERRS+=("$n of the 2 bad option lengths flagged (tern.option.len.invalid)")
	n=$(count "$out" '$SP == 40003 && $CSUM == 1 && $LEN == 10 && $OPTLEN == "" && $BADCSUM == ""')
	[ "$n" = 2 ] || ERRS+=("$n of the 2 good segments dissected clean")
}

# The transfers, one TAP case each, then the crafted segments: one
# topology, one capture, one tshark run (tshark takes seconds to start in
# an emulated VM, each transfer less than that).
cases=("stream 4" "seqpacket 6" "stream 6" "seqpacket 4")
TERN_SAMPLE_OUT="stream_v6 seqpacket_v4"
INJERR=
retrans_total=0
tern_test_begin
modprobe tern
ERRS=()
out=$dir/dissect
cap=$dir/cap.pcapng
ok=0
if topo_up; then
	ok=1
	for d in "$nsr rc" "$nsr rs"; do
		# shellcheck disable=SC2086 # $impair is a word list
		tc -n "${d% *}" qdisc add dev "${d#* }" root netem $impair ||
			{ ERRS+=("tc qdisc add netem $impair failed"); ok=0; }
	done
	[ $ok = 1 ] && start_capture "$cap" || ok=0
fi
if [ $ok = 1 ]; then
	port=5201
	for c in "${cases[@]}"; do
		read -r type fam <<<"$c"
		port=$((port + 1))
		[[ " $TERN_SAMPLE_OUT " == *" ${type}_v$fam "* ]] && [ "${TERN_SAMPLE:-0}" = 1 ] && continue
		transfer "$type" "$fam" "$port"
	done
	inject
	stop_capture
	t1=$(date +%s%N)
	if ! dissect "$cap" "$out"; then
		ERRS+=("tshark failed: $(head -n3 "$out.err" | tr '\n' ' ')")
		ok=0
	elif grep -qiE 'lua|error' "$out.err"; then
		ERRS+=("tshark said: $(grep -iE 'lua|error' "$out.err" | head -n3 | tr '\n' ' ')")
		ok=0
	fi
	echo "# $(wc -l <"$out") packets captured, tshark took $(( ($(date +%s%N) - t1) / 1000000 )) ms"
fi
[ ${#ERRS[@]} = 0 ] || ok=0
[ $ok = 1 ] || ERRS+=("cannot build the topology and capture")
setup_errs=("${ERRS[@]}")
port=5201
for c in "${cases[@]}"; do
	read -r type fam <<<"$c"
	port=$((port + 1))
	tern_in_sample "${type}_v$fam" || continue
	tern_case "${type}_v$fam"
	ERRS=("${setup_errs[@]}")
	[ $ok = 1 ] && check_transfer "$out" "$type" "$port"
	tern_report_errs
done
tern_case retransmissions_flagged
ERRS=("${setup_errs[@]}")
[ $ok = 0 ] || [ "$retrans_total" -gt 0 ] ||
	ERRS+=("no segment flagged tern.analysis.retransmission in any transfer at $impair")
tern_report_errs
tern_case crafted_segments
ERRS=("${setup_errs[@]}")
[ $ok = 1 ] && check_inject "$out"
tern_report_errs
ERRS=()
topo_down
[ ${#ERRS[@]} = 0 ] || for e in "${ERRS[@]}"; do echo "# cleanup: $e"; done
tern_test_end
