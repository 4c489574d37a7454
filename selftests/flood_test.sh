#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Short connections to a listener under a spoofed SYN flood. Three
# namespaces: S (server), C (client), F (flooder), each joined to S by a
# veth pair:
#   C 192.0.2.1/24    2001:db8::1/64    --  S 192.0.2.2/24    2001:db8::2/64
#   F 198.51.100.1/24 2001:db8:1::1/64  --  S 198.51.100.2/24 2001:db8:1::2/64
# S routes the flood's sources (198.18.0.0/16, 2001:db8:ff::/48) back to F,
# where the SYN-ACKs die (F forwards nothing); F reaches C's side of S
# through S. net.tern.tw_timeout_ms=1000 in S and C.
#
# Each case: tern_echo serves in S; C makes FLOOD_PRE short connections
# (connect, one byte and its echo, close); then tern_synflood in F sends
# SYNs from random sources of the prefix and random ports at FLOOD_RATE
# per second to the listener's address, and while it does C makes
# FLOOD_CONNS more; once the flood has stopped, C makes a last one, after
# which the server closes its listener (so that no SYN of the flood finds
# it gone). With FLOOD_RESTART=1 the listener is closed after the first
# stage and a new one serves the rest. The case asserts:
#   - every legitimate connection completed (after a failure the client
#     goes on with the rest, so the failures are counted);
#   - the server served them all, without error;
#   - the counters: S made exactly one connection per legitimate one
#     (TernPassiveOpens), C started one per connection (TernActiveOpens),
#     S answered every SYN, the flood's and C's (TernCookiesSent at least
#     flood + connections, at most that plus C's retransmissions), with a
#     request while its queue had room and a cookie after,
#     no reset, timeout, failed attempt, bad cookie, accept queue
#     overflow, SYN dropped in a listener's backlog (SYNs take no lock
#     while tern_echo's accept() runs) or dropped for a full request
#     queue anywhere, and no Tern segment reached F;
#   - once TIME_WAIT is over, no Tern socket is left in S or C.
# The same scenario runs over TCP (tern_echo -P tcp, tern_synflood -P
# tcp) as a reference: all connections complete, TcpPassiveOpens counts
# exactly them, and S fell back to SYN cookies (TcpExtSyncookiesSent).
# Every wait is bounded.
#
# Knobs (environment, forwarded into the VM): TERN_FLOOD_PRE,
# TERN_FLOOD_CONNS, TERN_FLOOD_RATE, TERN_FLOOD_RESTART=1,
# TERN_FLOOD_CASES="flood_ipv4 ..." (default: all four cases).
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip sysctl timeout

bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
echo_bin=$bindir/tern_echo
flood_bin=$bindir/tern_synflood
FLOOD_PRE=${TERN_FLOOD_PRE:-20}		# connections before the flood
FLOOD_CONNS=${TERN_FLOOD_CONNS:-200}	# connections during the flood
FLOOD_RATE=${TERN_FLOOD_RATE:-800}	# SYNs per second
FLOOD_RESTART=${TERN_FLOOD_RESTART:-0}	# a new listener for the second stage
FLOOD_CASES=${TERN_FLOOD_CASES:-flood_ipv4 flood_ipv6 flood_ipv4_tcp flood_ipv6_tcp}
FLOOD_LIMIT_S=180	# the longest the flood (and the second stage) may last
IDLE_S=120		# the server gives up after this long without a connection
WAIT_S=5		# the longest a single expected event may take
PORT=7000

S=
C=
F=
ERRS=()

err() { ERRS+=("$*"); }

topo_up() {
	S=
	C=
	F=
	setup_ns S C F || { err "setup_ns failed"; return 1; }
	ip -n "$C" link add c0 type veth peer name s0 netns "$S" &&
	ip -n "$F" link add f0 type veth peer name s1 netns "$S" &&
	ip -n "$C" addr add 192.0.2.1/24 dev c0 &&
	ip -n "$C" addr add 2001:db8::1/64 dev c0 nodad &&
	ip -n "$S" addr add 192.0.2.2/24 dev s0 &&
	ip -n "$S" addr add 2001:db8::2/64 dev s0 nodad &&
	ip -n "$F" addr add 198.51.100.1/24 dev f0 &&
	ip -n "$F" addr add 2001:db8:1::1/64 dev f0 nodad &&
	ip -n "$S" addr add 198.51.100.2/24 dev s1 &&
	ip -n "$S" addr add 2001:db8:1::2/64 dev s1 nodad &&
	ip -n "$C" link set c0 up &&
	ip -n "$S" link set s0 up &&
	ip -n "$S" link set s1 up &&
	ip -n "$F" link set f0 up || { err "cannot build the topology"; return 1; }
	slowwait "$WAIT_S" tern_link_up "$C" c0 &&
	slowwait "$WAIT_S" tern_link_up "$S" s0 &&
	slowwait "$WAIT_S" tern_link_up "$S" s1 &&
	slowwait "$WAIT_S" tern_link_up "$F" f0 || { err "veth did not come up"; return 1; }
	ip -n "$S" route add 198.18.0.0/16 via 198.51.100.1 dev s1 &&
	ip -n "$S" route add 2001:db8:ff::/48 via 2001:db8:1::1 dev s1 &&
	ip -n "$F" route add 192.0.2.0/24 via 198.51.100.2 dev f0 &&
	ip -n "$F" route add 2001:db8::/64 via 2001:db8:1::2 dev f0 ||
		{ err "cannot add the routes"; return 1; }
	ip netns exec "$F" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 &&
	ip netns exec "$S" sysctl -qw net.tern.tw_timeout_ms=1000 &&
	ip netns exec "$C" sysctl -qw net.tern.tw_timeout_ms=1000 ||
		{ err "cannot set the sysctls"; return 1; }
}

topo_down() {
	tern_ns_remove "$S" "$C" "$F"
	S=
	C=
	F=
}

run_case() { tern_run_case "$@"; }

# counter NS NAME: a Tern counter, or for a name with a colon
# (Tcp:PassiveOpens, TcpExt:SyncookiesSent) a line of /proc/net/snmp or
# /proc/net/netstat
counter() {
	local ns=$1 name=$2

	case $name in
	*:*)
		ip netns exec "$ns" awk -v sec="${name%%:*}:" -v n="${name#*:}" '
			$1 == sec && !have[sec] { for (i = 2; i <= NF; i++) col[i] = $i; have[sec] = 1; next }
			$1 == sec { for (i = 2; i <= NF; i++) if (col[i] == n) { print $i; f = 1 } }
			END { exit !f }' /proc/net/snmp /proc/net/netstat
		;;
	*) tern_counter "$ns" "$name" ;;
	esac
}

# snapshot NS NAME...: fills BEFORE[NS:NAME]
declare -A BEFORE
snapshot() {
	local ns=$1 c

	shift
	for c in "$@"; do
		BEFORE[$ns:$c]=$(counter "$ns" "$c") || BEFORE[$ns:$c]=missing
	done
}

# delta NS NAME: how far NAME moved in NS since the snapshot
delta() {
	local v b=${BEFORE[$1:$2]:-missing}

	v=$(counter "$1" "$2") || { echo missing; return; }
	[ "$b" = missing ] && { echo missing; return; }
	echo $((v - b))
}

file_has() { grep -q "$2" "$1"; }
# gone, or a zombie nobody reaped yet
pid_gone() {
	! kill -0 "$1" 2>/dev/null ||
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# wait_pid PID SECONDS: wait for PID to end, kill it when it does not
wait_pid() {
	if ! slowwait "$2" pid_gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 1
	fi
	wait "$1" 2>/dev/null
}

# start_server FILE COUNT: tern_echo serving COUNT connections in S, its
# output in FILE; sets SERVER_PID, false when it does not come up
start_server() {
	ip netns exec "$S" "$echo_bin" server "${FAM[@]}" "${PROTO[@]}" -p "$PORT" \
		-n "$2" -T "$IDLE_S" >"$1" 2>&1 &
	SERVER_PID=$!
	if ! slowwait "$WAIT_S" file_has "$1" '^ready'; then
		err "the echo server did not start: $(tr '\n' ' ' <"$1")"
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		return 1
	fi
}

# end_server FILE COUNT: the server must end having served COUNT, none
# failed
end_server() {
	wait_pid "$SERVER_PID" $((IDLE_S + WAIT_S)) ||
		err "the echo server did not finish: $(tr '\n' ' ' <"$1")"
	grep -q "^served $2, 0 failed" "$1" ||
		err "server: $(tr '\n' ' ' <"$1")"
}

# clients N STAGE: N short connections from C, one byte each; a failure
# is counted and the rest still made, unless 5 fail in a row. Adds to
# CONN_OK and CONN_FAILED.
clients() {
	local left=$1 stage=$2 out k in_row=0

	while [ "$left" -gt 0 ]; do
		out=$(ip netns exec "$C" timeout "$FLOOD_LIMIT_S" "$echo_bin" client \
			"${PROTO[@]}" -a "$ADDR" -p "$PORT" -n "$left" -s 1 2>&1)
		if [[ $out =~ ^ok\ ([0-9]+) ]]; then
			CONN_OK=$((CONN_OK + BASH_REMATCH[1]))
			return
		fi
		if [[ $out =~ ^connection\ ([0-9]+): ]]; then
			k=${BASH_REMATCH[1]}
			CONN_OK=$((CONN_OK + k - 1))
			CONN_FAILED=$((CONN_FAILED + 1))
			left=$((left - k))
			echo "# $TERN_CASE: $stage: $out"
			[ "$CONN_FAILED" -le 5 ] && err "$stage: $out"
			[ "$k" = 1 ] && in_row=$((in_row + 1)) || in_row=1
			if [ "$in_row" -ge 5 ] && [ "$left" -gt 0 ]; then
				err "$stage: 5 failures in a row, $left connections not tried"
				CONN_FAILED=$((CONN_FAILED + left))
				return
			fi
			continue
		fi
		err "$stage: client: $(echo "$out" | tr '\n' ' ')"
		CONN_FAILED=$((CONN_FAILED + left))
		return
	done
}

BAD_TERN="TernOutRsts TernInRsts TernEstabResets TernTimeouts TernAttemptFails TernListenOverflows TernCookiesFailed TernBacklogDrops TernReqQFullDrop TernReqBadAck"
BAD_TCP="Tcp:AttemptFails Tcp:EstabResets TcpExt:ListenOverflows"

# flood 4|6 tern|tcp: the scenario, with its assertions
flood() {
	local fam=$1 proto=$2 src srv flood_out flood_pid sent total c d bl
	local counters_s counters_c

	FAM=()
	PROTO=()
	if [ "$fam" = 6 ]; then
		FAM=(-6)
		ADDR=2001:db8::2
		src=2001:db8:ff::/48
	else
		ADDR=192.0.2.2
		src=198.18.0.0/16
	fi
	[ "$proto" = tcp ] && PROTO=(-P tcp)
	if [ "$proto" = tern ]; then
		counters_s="TernPassiveOpens TernCookiesSent TernInSegs TernInNoSocket TernReqQFullDoCookies TernSynRetrans $BAD_TERN"
		counters_c="TernActiveOpens TernRetransSegs $BAD_TERN"
	else
		counters_s="Tcp:PassiveOpens TcpExt:SyncookiesSent $BAD_TCP"
		counters_c="Tcp:ActiveOpens $BAD_TCP"
	fi
	# shellcheck disable=SC2086 # word lists
	{ snapshot "$S" $counters_s; snapshot "$C" $counters_c; snapshot "$F" TernInSegs; }
	CONN_OK=0
	CONN_FAILED=0
	# the last connection comes after the flood, so the listener is
	# there for all of it
	total=$((FLOOD_PRE + FLOOD_CONNS + 1))
	srv=$(mktemp)
	flood_out=$(mktemp)

	# stage 1: quiet
	if [ "$FLOOD_RESTART" = 1 ]; then
		start_server "$srv" "$FLOOD_PRE" || { rm -f "$srv" "$flood_out"; return; }
		clients "$FLOOD_PRE" "before the flood"
		end_server "$srv" "$FLOOD_PRE"
		start_server "$srv" $((FLOOD_CONNS + 1)) || { rm -f "$srv" "$flood_out"; return; }
	else
		start_server "$srv" "$total" || { rm -f "$srv" "$flood_out"; return; }
		clients "$FLOOD_PRE" "before the flood"
	fi

	# stage 2: under the flood
	ip netns exec "$F" "$flood_bin" -P "$proto" -d "$ADDR" -p "$PORT" -S "$src" \
		-I f0 -r "$FLOOD_RATE" -t "$FLOOD_LIMIT_S" >"$flood_out" 2>&1 &
	flood_pid=$!
	if ! slowwait "$WAIT_S" file_has "$flood_out" '^flooding'; then
		err "the flood did not start: $(tr '\n' ' ' <"$flood_out")"
	fi
	sleep 1		# the flood is on before the first connection
	clients "$FLOOD_CONNS" "during the flood"
	kill -TERM "$flood_pid" 2>/dev/null
	wait_pid "$flood_pid" "$WAIT_S" || err "the flood did not stop"
	sent=$(awk '/^sent/ { print $2 + 0 }' "$flood_out")
	[ -n "$sent" ] && [ "$sent" -gt 0 ] || err "the flood sent nothing: $(tr '\n' ' ' <"$flood_out")"
	sent=${sent:-0}

	# stage 3: one more, then the server closes its listener
	clients 1 "after the flood"
	echo "# $TERN_CASE: $CONN_OK connections completed, $CONN_FAILED failed;" \
		"flood: $(grep '^sent' "$flood_out")"
	[ "$CONN_FAILED" = 0 ] && [ "$CONN_OK" = "$total" ] ||
		err "$CONN_FAILED of $total legitimate connections failed ($CONN_OK completed)"
	if [ "$FLOOD_RESTART" = 1 ]; then
		end_server "$srv" $((FLOOD_CONNS + 1))
	else
		end_server "$srv" "$total"
	fi
	rm -f "$srv" "$flood_out"

	if [ "$proto" = tern ]; then
		d=$(delta "$S" TernPassiveOpens)
		[ "$d" = "$total" ] || err "S counted $d passive opens, want $total"
		d=$(delta "$C" TernActiveOpens)
		[ "$d" = "$total" ] || err "C counted $d active opens, want $total"
		d=$(delta "$S" TernCookiesSent)
		c=$(delta "$C" TernRetransSegs)
		bl=$(delta "$S" TernBacklogDrops)
		echo "# $TERN_CASE: S: TernCookiesSent +$d, TernInSegs +$(delta "$S" TernInSegs)," \
			"TernInNoSocket +$(delta "$S" TernInNoSocket), TernBacklogDrops" \
			"+$bl, TernListenOverflows" \
			"+$(delta "$S" TernListenOverflows); C: TernRetransSegs +$c"
		# Every SYN is answered: SYNs to a listener take no lock, so
		# none waits in its backlog while accept() holds it, and none
		# is dropped there (TernBacklogDrops, asserted with BAD_TERN).
		if [ "$d" = missing ] || [ "$c" = missing ] ||
		   [ "$d" -lt $((sent + total)) ] || [ "$d" -gt $((sent + total + c)) ]; then
			err "S sent $d SYN-ACKs for $sent flood SYNs and $total connections ($c retransmissions in C, $bl SYNs dropped in the backlog)"
		fi
		# the flood filled the request queue: cookies took over, as TCP's
		d=$(delta "$S" TernReqQFullDoCookies)
		echo "# $TERN_CASE: S: TernReqQFullDoCookies +$d, TernSynRetrans +$(delta "$S" TernSynRetrans)"
		[ "$d" != missing ] && [ "$d" -gt 0 ] ||
			err "S never fell back to cookies (TernReqQFullDoCookies +$d)"
		d=$(delta "$F" TernInSegs)
		[ "$d" = 0 ] || err "$d Tern segments reached F (the SYN-ACKs must die there)"
		for c in $BAD_TERN; do
			d=$(delta "$S" "$c")
			[ "$d" = 0 ] || err "S: $c +$d"
			d=$(delta "$C" "$c")
			[ "$d" = 0 ] || err "C: $c +$d"
		done
		# TIME_WAIT (1 s here) ends, and with it every socket
		slowwait $((WAIT_S + 2)) tern_sockets_are "$C" 0 ||
			err "$(tern_sockets_in_use "$C") Tern sockets left in C after TIME_WAIT"
		slowwait "$WAIT_S" tern_sockets_are "$S" 0 ||
			err "$(tern_sockets_in_use "$S") Tern sockets left in S"
	else
		d=$(delta "$S" Tcp:PassiveOpens)
		[ "$d" = "$total" ] || err "S counted $d TCP passive opens, want $total"
		d=$(delta "$C" Tcp:ActiveOpens)
		[ "$d" = "$total" ] || err "C counted $d TCP active opens, want $total"
		d=$(delta "$S" TcpExt:SyncookiesSent)
		echo "# $TERN_CASE: S: TcpExt:SyncookiesSent +$d"
		[ "$d" != missing ] && [ "$d" -gt 0 ] ||
			err "S sent no SYN cookies ($d): the flood did not fill the SYN queue"
		for c in $BAD_TCP; do
			d=$(delta "$S" "$c")
			[ "$d" = 0 ] || err "S: $c +$d"
			d=$(delta "$C" "$c")
			[ "$d" = 0 ] || err "C: $c +$d"
		done
	fi
}

tern_test_begin
for b in "$echo_bin" "$flood_bin"; do
	[ -x "$b" ] || { echo "Bail out! $b is missing (make -C selftests)"; exit 1; }
done
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

# the debug kernel's sample: IPv4 carries the scenario
TERN_SAMPLE_OUT=flood_ipv6
for c in $FLOOD_CASES; do
	case $c in
	flood_ipv4) run_case "$c" flood 4 tern ;;
	flood_ipv6) run_case "$c" flood 6 tern ;;
	flood_ipv4_tcp) tern_run_reference_case "$c" flood 4 tcp ;;
	flood_ipv6_tcp) tern_run_reference_case "$c" flood 6 tcp ;;
	*) echo "Bail out! no case $c"; exit 1 ;;
	esac
done

tern_test_end
