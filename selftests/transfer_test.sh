#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Data transfer between two network namespaces over a veth pair, both
# directions at once, with tern_connect: a server in one namespace, a
# client in the other, each sending its own random file and writing what it
# receives; both must exit 0 and both received files must equal what was
# sent (cmp). One case per line of the matrix below, each bounded in
# time; the cases of a matrix share a pair of namespaces, and a failed
# case leaves a fresh pair to the next.
#
# The matrix covers every dimension without the full cross product: sizes
# (0 B one way, 1 B, 1000 B, 64 KiB, 1 MiB, 16 MiB, 64 MiB), IPv4 and IPv6,
# the modes poll, blocking and sendfile, equal and lopsided directions, and
# SO_SNDBUF/SO_RCVBUF 4096; each line runs for SOCK_STREAM and for
# SOCK_SEQPACKET.
#
# Environment:
#   TERN_PROTO         tern (default), or tcp or sctp to validate the test
#                      itself: TCP has no SOCK_SEQPACKET and SCTP's
#                      SOCK_STREAM is not what is tested here, so those
#                      cases are skipped
#   TERN_BINDIR        built selftests (tern_connect), default build/selftests
#   TERN_TRANSFER_MAX  largest file, default 64M (suffix K, M or G); larger
#                      sizes in the matrix are lowered to it
#   TERN_NETEM         1 (default): also the impaired-link matrix (netem
#                      loss, delay, reorder, duplicate, corrupt, tbf rate
#                      limit, 1 MiB each way, capped by TERN_TRANSFER_MAX);
#                      "only": that matrix alone; 0: without it. It can run
#                      longer than run.sh's default 600 s per program:
#                      vm/check.sh raises TERN_TEST_TIMEOUT.
#   TERN_NETEM_WAIT    seconds each impaired-link case may take, default 300
#                      (twice that at 30 % loss)
#   TERN_TRANSFER_CASES  run only the cases whose name matches this
#                      extended regular expression
#   TERN_SAMPLE        1: a sample that still reaches every mode, family
#                      and impairment (vm/check.sh sets it on the debug
#                      kernel): the 64 KiB, 1 MiB and small-buffer lines of
#                      the matrix, each for one socket type, the types
#                      taking turns, and of the impaired links 5 % loss at
#                      20 ms, reorder, duplicate, corrupt and rate limit;
#                      the others are reported skipped
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip sysctl timeout cmp

proto=${TERN_PROTO:-tern}
bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
tool=$bindir/tern_connect

case $proto in
tern) types=(stream seqpacket) ;;
tcp) types=(stream) ;;
sctp) types=(seqpacket) ;;
*) echo "Bail out! TERN_PROTO=$proto: not tern, tcp or sctp"; exit 1 ;;
esac
[ -x "$tool" ] || { echo "Bail out! $tool is not built"; exit 1; }

# bytes N[K|M|G]
bytes() {
	local n=${1%[KkMmGg]}
	[[ $n =~ ^[0-9]+$ ]] || return 1
	case $1 in
	*[Kk]) echo $((n << 10)) ;;
	*[Mm]) echo $((n << 20)) ;;
	*[Gg]) echo $((n << 30)) ;;
	*) echo "$n" ;;
	esac
}
max=$(bytes "${TERN_TRANSFER_MAX:-64M}") ||
	{ echo "Bail out! TERN_TRANSFER_MAX=$TERN_TRANSFER_MAX is not N[K|M|G]"; exit 1; }

# 1048576 -> 1MiB
label() {
	if [ "$1" -ge 1048576 ] && [ $(($1 % 1048576)) = 0 ]; then
		echo "$(($1 >> 20))MiB"
	elif [ "$1" -ge 1024 ] && [ $(($1 % 1024)) = 0 ]; then
		echo "$(($1 >> 10))KiB"
	else
		echo "${1}B"
	fi
}

dir=$(mktemp -d /tmp/tern-transfer.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
ns1=
ns2=
cleanup() {
	cleanup_all_ns
	rm -rf "$dir"
}
trap cleanup EXIT

# The input file of SIZE bytes for side WHO (c or s), made once.
input() {
	local f=$dir/in-$2-$1

	[ -f "$f" ] || head -c "$1" /dev/urandom >"$f" || return 1
	echo "$f"
}

# ns1 (server, 192.0.2.1, 2001:db8::1) <-veth-> ns2 (client, .2, ::2)
setup_pair() {
	ns1=
	ns2=
	setup_ns ns1 ns2 >/dev/null || return 1
	ip link add tv1 netns "$ns1" type veth peer name tv2 netns "$ns2" &&
	ip -n "$ns1" addr add 192.0.2.1/24 dev tv1 &&
	ip -n "$ns1" addr add 2001:db8::1/64 dev tv1 nodad &&
	ip -n "$ns2" addr add 192.0.2.2/24 dev tv2 &&
	ip -n "$ns2" addr add 2001:db8::2/64 dev tv2 nodad &&
	ip -n "$ns1" link set tv1 up &&
	ip -n "$ns2" link set tv2 up || return 1
	# netem drops ARP and ND too: resolve the neighbours for good
	local m1 m2
	m1=$(ip -n "$ns1" -br link show tv1 | awk '{print $3}')
	m2=$(ip -n "$ns2" -br link show tv2 | awk '{print $3}')
	ip -n "$ns1" neigh replace 192.0.2.2 lladdr "$m2" dev tv1 nud permanent &&
	ip -n "$ns2" neigh replace 192.0.2.1 lladdr "$m1" dev tv2 nud permanent &&
	ip -n "$ns1" neigh replace 2001:db8::2 lladdr "$m2" dev tv1 nud permanent &&
	ip -n "$ns2" neigh replace 2001:db8::1 lladdr "$m1" dev tv2 nud permanent ||
		return 1
	# A short TIME_WAIT, so nothing outlives the case. More SYN tries:
	# at 30 % loss each way a SYN and its SYN-ACK both get through half
	# the time, and the listener keeps no state to resend the SYN-ACK
	# itself, so the default 7 tries all fail about once in a hundred
	# connections; 11 (the last one 8 minutes in) once in 1600.
	if [ "$proto" = tern ]; then
		ip netns exec "$ns1" sysctl -qw net.tern.tw_timeout_ms=200 &&
		ip netns exec "$ns2" sysctl -qw net.tern.tw_timeout_ms=200 &&
		ip netns exec "$ns2" sysctl -qw net.tern.syn_retries=10
	fi
}

teardown_pair() {
	cleanup_ns "$ns1" "$ns2" >/dev/null
	ns1=
	ns2=
}

# Print a file's lines as TAP diagnostics.
diag_file() {
	local l

	while IFS= read -r l; do echo "#   $l"; done <"$1"
}

port=20000
qdisc=		# set by the netem matrix: a qdisc for both ends of the veth
offload=	# set by the offload matrix: ethtool -K features of both ends
offload_check=	# and the check of the wire it runs (wire_check)
wire_base=	# wire_counts before the case

# transfer NAME TYPE FAMILY MODE CLIENT_BYTES SERVER_BYTES [tern_connect options]
transfer() {
	local name=$1 type=$2 fam=$3 mode=$4 csize=$5 ssize=$6
	shift 6
	local cin sin addr=192.0.2.1 secs rets retc start took err ok=1 d

	[ -z "${TERN_TRANSFER_CASES:-}" ] || [[ $name =~ $TERN_TRANSFER_CASES ]] || return 0
	tern_in_sample "$name" || return 0
	tern_case "$name"
	case " ${types[*]} " in
	*" $type "*) ;;
	*)
		if [ "$proto" = tcp ]; then
			tern_skip "TCP has no SOCK_SEQPACKET"
		else
			tern_skip "SCTP stands in for seqpacket only; TCP validates stream"
		fi
		return 0
		;;
	esac
	if ! cin=$(input "$csize" c) || ! sin=$(input "$ssize" s); then
		tern_fail "cannot make the input files in $dir"
		return 1
	fi
	# one pair of namespaces serves case after case (making them is slow
	# on the debug kernel); a failed case gets a fresh pair for the next
	if [ -z "$ns1" ] && ! setup_pair; then
		teardown_pair
		tern_fail "cannot set up the namespaces and the veth pair"
		return 1
	fi
	if [ -n "$qdisc" ]; then
		for d in "$ns1 tv1" "$ns2 tv2"; do
			# shellcheck disable=SC2086 # $qdisc is a word list
			if ! err=$(tc -n ${d% *} qdisc add dev ${d#* } root $qdisc 2>&1); then
				teardown_pair
				tern_skip "tc qdisc $qdisc: $err"
				return 0
			fi
		done
	fi
	if [ -n "$offload" ]; then
		for d in "$ns1 tv1" "$ns2 tv2"; do
			# shellcheck disable=SC2086 # $offload is a word list
			if ! err=$(ip netns exec ${d% *} ethtool -K ${d#* } $offload 2>&1); then
				teardown_pair
				tern_skip "ethtool -K $offload: $err"
				return 0
			fi
		done
	fi
	[ "$fam" = 6 ] && addr=2001:db8::1
	port=$((port + 1))
	# generous: a minute plus 4 s per MiB of the larger direction
	secs=$(( (csize > ssize ? csize : ssize) >> 20 ))
	secs=$((${TERN_CASE_WAIT:-60} + 4 * secs))
	local opts=(-P "$proto" -t "$type" -m "$mode" -"$fam" -p "$port" -S "$port"
		    -w "$secs" "$@")
	rm -f "$dir/ready" "$dir/sout" "$dir/cout" "$dir/slog" "$dir/clog"
	# counters before the case, to show what moved if it fails
	[ "$proto" = tern ] && for ns in "$ns1" "$ns2"; do
		ip netns exec "$ns" cat /proc/net/tern/snmp >"$dir/snmp.$ns"
	done
	[ -n "$offload_check" ] && wire_base=$(wire_counts)

	timeout -k 5 $((secs + 30)) ip netns exec "$ns1" "$tool" -l "${opts[@]}" \
		--ready "$dir/ready" -i "$sin" -o "$dir/sout" "$addr" 2>"$dir/slog" &
	local spid=$!
	# the server creates the ready file once it listens
	local i=0
	while [ ! -e "$dir/ready" ] && kill -0 "$spid" 2>/dev/null && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	start=$(date +%s%N)
	if [ -e "$dir/ready" ]; then
		timeout -k 5 $((secs + 30)) ip netns exec "$ns2" "$tool" "${opts[@]}" \
			-i "$cin" -o "$dir/cout" "$addr" 2>"$dir/clog"
		retc=$?
	else
		retc=-
		echo "client not started: the server never listened" >"$dir/clog"
	fi
	wait "$spid"
	rets=$?
	took=$(( ($(date +%s%N) - start) / 1000000 ))

	[ "$rets" = 0 ] && [ "$retc" = 0 ] || ok=0
	# closed sockets finish their close (orphans: FIN, retransmissions)
	# before the namespaces go; a socket that stays is a failure. An
	# orphan gives up after 8 unanswered retransmissions: at 30 % loss
	# each way and 100 ms delay, backed off from a ~400 ms RTO, that is
	# up to ~200 s, so wait longer than that.
	local ns left=
	if [ "$proto" = tern ]; then
		for ns in "$ns1" "$ns2"; do
			slowwait 240 tern_sockets_are "$ns" 0 && continue
			left+="${left:+; }$(tern_sockets_in_use "$ns") Tern sockets left in $ns 240 s after the end: $(ip netns exec "$ns" tail -n +2 /proc/net/tern/sockets | tr '\n' '|')"
		done
	fi
	if [ $ok = 1 ]; then
		cmp -s "$cin" "$dir/sout" || { ok=0; err="server received other data than the client sent: $(cmp "$cin" "$dir/sout" 2>&1)"; }
		cmp -s "$sin" "$dir/cout" || { ok=0; err="${err:+$err; }client received other data than the server sent: $(cmp "$sin" "$dir/cout" 2>&1)"; }
	else
		err="server exit status $rets, client $retc"
		[ "$rets" = 124 ] || [ "$retc" = 124 ] && err+=" (124: killed by timeout)"
	fi
	[ -n "$left" ] && { ok=0; err+="${err:+; }$left"; }
	if [ $ok = 1 ] && [ -n "$offload_check" ] && ! d=$($offload_check); then
		ok=0
		err=$d
	fi
	if [ $ok = 1 ]; then
		echo "# $(label "$csize") -> / <- $(label "$ssize") in $((took / 1000)).$(printf %03d $((took % 1000))) s"
		[ -n "$d" ] && echo "# $d"
		[ "$type" = seqpacket ] && diag_file "$dir/clog"
		tern_ok
	else
		echo "# server: tern_connect -l ${opts[*]} $addr"
		diag_file "$dir/slog"
		echo "# client: tern_connect ${opts[*]} $addr"
		diag_file "$dir/clog"
		[ -n "$qdisc" ] && echo "# qdisc on both ends: $qdisc"
		# what the links and qdiscs passed and dropped, to tell the
		# impairment from a fault below Tern
		for d in "$ns1 tv1" "$ns2 tv2"; do
			echo "# ${d% *} ${d#* }: $(ip -n "${d% *}" -s link show dev "${d#* }" | tr -s ' \n' ' ')"
			echo "#   $(tc -n "${d% *}" -s qdisc show dev "${d#* }" | tr -s ' \n' ' ')"
			echo "#   $(ip -n "${d% *}" neigh show dev "${d#* }" | tr '\n' '|')"
		done
		[ "$proto" = tern ] && for ns in "$ns1" "$ns2"; do
			# what each end did in this case: its counters that moved
			echo "# counters in $ns: $(ip netns exec "$ns" cat /proc/net/tern/snmp |
				awk -v base="$dir/snmp.$ns" '
				     # the file named, not NR == FNR: an empty one (the
				     # snapshot failed) must not swallow the live counters
				     FILENAME == base { was[$1] = $2; next }
				     $2 != was[$1] { printf "%s%s %d", sep, $1, $2 - was[$1]; sep = ", " }
				     END { if (!sep) printf "none moved" }' \
				"$dir/snmp.$ns" -)"
		done
		tern_fail "$err"
	fi
	if [ $ok = 1 ] && [ -n "$qdisc" ]; then
		for d in "$ns1 tv1" "$ns2 tv2"; do
			tc -n "${d% *}" qdisc del dev "${d#* }" root 2>/dev/null || ok=0
		done
	fi
	# a failed case leaves a fresh pair to the next
	[ $ok = 1 ] || teardown_pair
	[ $ok = 1 ]
}

cap() { echo $(($1 < max ? $1 : max)); }

# FAMILY MODE CLIENT_BYTES SERVER_BYTES [tern_connect options];
# sizes above TERN_TRANSFER_MAX are lowered to it.
matrix=(
	"4 poll     1    1"
	"6 blocking 1    1"
	"4 sendfile 1000 1000"
	"6 poll     1000 1000"
	"4 blocking 64K  64K"
	"6 sendfile 64K  64K"
	"4 poll     1M   1M"
	"6 blocking 1M   1M"
	"4 sendfile 16M  16M"
	"6 poll     16M  16M"
	"4 blocking 64M  64M"
	"6 sendfile 64M  64M"
	"4 poll     0    1M"
	"6 blocking 16M  1"
	"4 poll     1M   1M   smallbuf"
	"6 blocking 1M   1M   smallbuf"
	"4 sendfile 1M   1M   smallbuf"
)

# SO_SNDBUF and SO_RCVBUF of the smallbuf lines. SCTP aborts the
# association with 4096 (its receiver drops chunks that do not fit, until
# the retransmission limit), so it validates those lines with 16384.
smallbuf=4096
[ "$proto" = sctp ] && smallbuf=16384

# sampled_out NAME: as tern_sampled_out, within TERN_TRANSFER_CASES
sampled_out() {
	[ -z "${TERN_TRANSFER_CASES:-}" ] || [[ $1 =~ $TERN_TRANSFER_CASES ]] || return 0
	tern_sampled_out "$1"
}

main_matrix() {
	local row fam mode c s extra type name opts i=0 keep

	for row in "${matrix[@]}"; do
		read -r fam mode c s extra <<<"$row"
		c=$(cap "$(bytes "$c")")
		s=$(cap "$(bytes "$s")")
		i=$((i + 1))
		for type in stream seqpacket; do
			name=${type}_v${fam}_${mode}_$(label "$c")
			[ "$c" = "$s" ] || name+=_$(label "$s")
			[ "$extra" = smallbuf ] && name+=_smallbuf
			# the sample: 64 KiB and 1 MiB in each mode and family,
			# and small buffers, stream on odd lines and seqpacket
			# on even ones (connect_test moves small data)
			keep=stream
			[ $((i % 2)) = 0 ] && keep=seqpacket
			if [ $type != $keep ] || [ $i -lt 5 ] ||
			   { [ $i -gt 8 ] && [ "$extra" != smallbuf ]; }; then
				sampled_out "$name" && continue
			fi
			opts=()
			if [ "$extra" = smallbuf ]; then
				opts=(-s "$smallbuf" -r "$smallbuf")
				# a message larger than the send buffer may be
				# refused (SCTP: EMSGSIZE): keep them under it
				[ "$type" = seqpacket ] && opts+=(-M 1024)
			elif [ "$type.$mode" = seqpacket.sendfile ]; then
				# see tern_connect.c: larger messages may be
				# split by sendfile()
				opts=(-M 61440)
			fi
			transfer "$name" "$type" "$fam" "$mode" "$c" "$s" "${opts[@]}"
		done
	done
}

# The impaired link: each case a netem or tbf qdisc on both ends of the
# veth and 1 MiB each way, rotating through types, families and modes.
# At 30 % loss both ways 64 KiB: TCP moves about 1 KB/s there (its
# retransmission timer backs off), so 1 MiB would take a quarter of an hour.
netem_matrix() {
	local specs=() loss delay spec size i=0 type fam mode modes=(poll blocking sendfile)
	local name opts wait

	for loss in 1 5 10 30; do
		size=1M
		[ $loss = 30 ] && size=64K
		for delay in 0 20 100; do
			spec="netem loss $loss%"
			[ $delay = 0 ] || spec="netem delay ${delay}ms loss $loss%"
			specs+=("loss${loss}_delay${delay}:$size:$spec")
		done
	done
	specs+=("reorder25_delay20:1M:netem delay 20ms reorder 25% 50%"
		"duplicate5:1M:netem duplicate 5%"
		"corrupt1:1M:netem corrupt 1%"
		"tbf8mbit:1M:tbf rate 8mbit burst 32kb latency 200ms")
	for spec in "${specs[@]}"; do
		type=${types[i % ${#types[@]}]}
		fam=$(( (i / 2) % 2 ? 6 : 4 ))
		mode=${modes[i % 3]}
		name=netem_${spec%%:*}_${type}_v${fam}_$mode
		spec=${spec#*:}
		size=$(cap "$(bytes "${spec%%:*}")")
		name+=_$(label "$size")
		if [[ $name = netem_loss* ]] && [[ $name != netem_loss5_delay20_* ]]; then
			sampled_out "$name" && { i=$((i + 1)); continue; }
		fi
		qdisc=${spec#*:}
		opts=()
		wait=${TERN_NETEM_WAIT:-300}
		# as in main_matrix: sendfile() may split larger messages
		[ "$type.$mode" = seqpacket.sendfile ] && opts=(-M 61440)
		# At 30 % loss each way a retransmission and its ACK both
		# get through half the time: an orphan's 8 tries (as TCP's)
		# run out now and then, and backoff stretches the tail. The
		# ends close with SO_LINGER, keeping their full retry budget
		# until the peer has everything, and get more time.
		if [[ $spec = *loss\ 30%* ]]; then
			opts+=(-L)
			wait=$((2 * wait))
		fi
		TERN_CASE_WAIT=$wait \
			transfer "$name" "$type" "$fam" "$mode" "$size" "$size" "${opts[@]}"
		qdisc=
		i=$((i + 1))
	done
}

# link_packets NS DEV rx|tx: packets through the veth end
link_packets() {
	ip -n "$1" -s -j link show dev "$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]]["packets"])' "$3"
}

# ip_datagrams NS Out|In: datagrams the namespace's IPv4 and IPv6 sent
# (OutRequests: a GSO skb is one) or took in (InReceives: a GRO packet is
# one)
ip_datagrams() {
	local f=OutRequests

	[ "$2" = In ] && f=InReceives
	ip netns exec "$1" awk -v f="$f" '
		$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Ip:" { n += $col[f] }
		$1 == "Ip6" f { n += $2 }
		END { print n + 0 }' /proc/net/snmp /proc/net/snmp6
}

# wire_counts: the client's Tern segments and IP datagrams sent, the
# server's Tern segments received, the packets its veth end took and the
# IP datagrams it took in
wire_counts() {
	echo "$(tern_counter "$ns2" TernOutSegs) $(ip_datagrams "$ns2" Out)" \
	     "$(tern_counter "$ns1" TernInSegs) $(link_packets "$ns1" tv1 rx)" \
	     "$(ip_datagrams "$ns1" In)"
}

# What the client's segments did in the case, from the counters' moves
# since wire_base (wire_counts before it): it sent bursts (a quarter more
# Tern segments than IP datagrams at least: ACK-clocked sends of one or
# two segments are common on a slow kernel, and without GSO there are no
# more segments than datagrams), and they passed the veth whole (the
# server took more Tern segments than the link carried packets), were
# cut to wire segments on the way (split: no fewer packets than
# segments), or were cut and then merged again by the server's GRO
# (merged: split on the link, and more than two segments a datagram
# above it). Prints the counts, and the fault first if there is one.
wire_check() {
	local sent req segs pkts ipin fault='' now base

	read -r -a now <<<"$(wire_counts)"
	read -r -a base <<<"$wire_base"
	sent=$((now[0] - base[0]))
	req=$((now[1] - base[1]))
	segs=$((now[2] - base[2]))
	pkts=$((now[3] - base[3]))
	ipin=$((now[4] - base[4]))
	case $offload_expect in
	none) [ "$sent" -le "$req" ] || fault="bursts" ;;
	*) [ $((sent * 4)) -ge $((req * 5)) ] || fault="no bursts" ;;
	esac
	case $offload_expect in
	passed) [ -n "$fault" ] || [ "$segs" -gt $((pkts * 2)) ] ||
		fault="the bursts did not pass whole" ;;
	split|merged) [ -n "$fault" ] || [ "$segs" -le "$pkts" ] ||
		fault="bursts were not cut to the wire" ;;
	esac
	[ "$offload_expect" = merged ] && [ -z "$fault" ] &&
		[ "$segs" -le $((ipin * 2)) ] && fault="GRO did not merge"
	echo "${fault:+$fault: }the client sent $sent segments in $req IP datagrams; the server took $segs in $pkts packets, $ipin datagrams"
	[ -z "$fault" ]
}

# GSO (module/offload.c): the same transfers byte-exact however the
# sender's veth end segments. By default the bursts pass the veth whole;
# tx-sctp-segmentation off makes the stack cut them with Tern's callback,
# tx off too and it sums them in software as well; with gso off as well
# the route offers no GSO for protocol 253 and the socket sends no bursts
# at all (gso off alone leaves the device's own SCTP segmentation, which
# the socket takes). GRO (gro on, which gives a veth NAPI, used for what
# a peer without TSO sends) merges the cut segments back at the server,
# whose sums it checks: partial ones, or (rx off) unchecked ones it sums
# in software. Counters show what happened on the wire (wire_check). One
# pair of namespaces serves the matrix (making one takes a minute on the
# debug kernel): each spec sets every feature it depends on, a veth's
# defaults (all on, GRO off) before the GRO specs.
offload_matrix() {
	local spec name feat
	local specs=("gso:passed:tx on tx-sctp-segmentation on gso on"
		     "swseg:split:tx on tx-sctp-segmentation off gso on"
		     "swcsum:split:tx off tx-sctp-segmentation on gso on"
		     "nogso:none:tx on tx-sctp-segmentation off gso off"
		     "gro:merged:tx on tx-sctp-segmentation off gso on tso off gro on"
		     "grocsum:merged:tx off rx off tx-sctp-segmentation off gso on tso off gro on")

	[ "$proto" = tern ] || return 0
	tern_require_cmd ethtool python3
	teardown_pair
	for spec in "${specs[@]}"; do
		name=offload_${spec%%:*}
		feat=${spec#*:}
		offload_expect=${feat%%:*}
		offload=${feat#*:}
		offload_check=wire_check
		transfer "${name}_stream_v4_poll_4M" stream 4 poll "$(cap 4194304)" 1
		transfer "${name}_seqpacket_v6_blocking_1M" seqpacket 6 blocking \
			"$(cap 1048576)" 1 -M 20000
	done
	teardown_pair
	offload=
	offload_check=
}

tern_test_begin
[ "$proto" = sctp ] && modprobe sctp 2>/dev/null
[ "$proto" = tern ] && modprobe tern
[ "${TERN_NETEM:-1}" = only ] || main_matrix
[ "${TERN_NETEM:-1}" = only ] || offload_matrix
case ${TERN_NETEM:-1} in 1|only) netem_matrix ;; esac
teardown_pair
tern_test_end
