#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tern connections in bulk between two namespaces, A (client, sender) and
# B (server, receiver), joined by a veth pair (192.0.2.1/24 and
# 2001:db8::1/64 in A, 192.0.2.2/24 and 2001:db8::2/64 in B), with
# net.tern.tw_timeout_ms=1000 in both:
#   - thousands of short connections (connect, a few bytes, their echo,
#     close), IPv4 and IPv6: all succeed, no reset or timeout is counted,
#     and once TIME_WAIT is over no Tern socket is left in either
#     namespace;
#   - a transfer whose receiver disappears (its namespace deleted and its
#     process killed, or its link deleted first so nothing it sends gets
#     out): the sender ends with an error in bounded time, and no Tern
#     socket is left.
# Traffic comes from tern_echo; every wait is bounded.
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip sysctl timeout

bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
echo_bin=$bindir/tern_echo
CONNS=${TERN_CHURN_CONNS:-2000}	# per address family
CHURN_LIMIT_S=300		# the most one batch of connections may take
WAIT_S=5			# the longest a single expected event may take

A=
B=
ERRS=()

err() { ERRS+=("$*"); }

topo_up() {
	A=
	B=
	setup_ns A B || { err "setup_ns failed"; return 1; }
	tern_veth_pair "$A" "$B" || { err "cannot build the A-B veth pair"; return 1; }
	ip netns exec "$A" sysctl -qw net.tern.tw_timeout_ms=1000 &&
	ip netns exec "$B" sysctl -qw net.tern.tw_timeout_ms=1000 ||
		{ err "cannot set net.tern.tw_timeout_ms"; return 1; }
}

topo_down() {
	tern_ns_remove "$A" "$B"
	A=
	B=
}

run_case() { tern_run_case "$@"; }
# the debug kernel's sample: churn over IPv6 (flood_test takes IPv4 there)
TERN_SAMPLE_OUT=churn_ipv4

# The counters that must not move while connections open and close cleanly.
BAD_COUNTERS="TernOutRsts TernInRsts TernEstabResets TernTimeouts TernAttemptFails TernListenOverflows TernCookiesFailed"

# counter_values NS NAME...: the values, space separated
counter_values() {
	local ns=$1 c v out=

	shift
	for c in "$@"; do
		v=$(tern_counter "$ns" "$c") || v=missing
		out="$out $v"
	done
	echo "${out# }"
}

# counter_delta NS NAME BEFORE: NAME's value in NS minus BEFORE
counter_delta() {
	local v

	v=$(tern_counter "$1" "$2") || { echo missing; return; }
	echo $((v - $3))
}

file_has() { grep -q "$2" "$1"; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# wait_pid PID SECONDS: wait for PID to end, kill it when it does not
wait_pid() {
	if ! slowwait "$2" pid_gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 1
	fi
	wait "$1" 2>/dev/null
}

# churn 4|6 SERVER_ADDR: CONNS short connections from A to B
churn() {
	local fam=() addr=$2 out pid rc bad_a bad_b c i t0 secs
	local -a names
	local opens_a opens_b

	[ "$1" = 6 ] && fam=(-6)
	out=$(mktemp)
	read -ra names <<<"$BAD_COUNTERS"
	bad_a=$(counter_values "$A" "${names[@]}")
	bad_b=$(counter_values "$B" "${names[@]}")
	opens_a=$(tern_counter "$A" TernActiveOpens) || opens_a=0
	opens_b=$(tern_counter "$B" TernPassiveOpens) || opens_b=0

	ip netns exec "$B" "$echo_bin" server "${fam[@]}" -p 7000 -n "$CONNS" -T 30 >"$out" 2>&1 &
	pid=$!
	if ! slowwait "$WAIT_S" file_has "$out" '^ready'; then
		err "the echo server did not start: $(cat "$out")"
		kill "$pid" 2>/dev/null
		rm -f "$out"
		return
	fi
	t0=$SECONDS
	c=$(ip netns exec "$A" timeout "$CHURN_LIMIT_S" "$echo_bin" client -a "$addr" -p 7000 \
		-n "$CONNS" -s 64 2>&1)
	rc=$?
	secs=$((SECONDS - t0))
	echo "# $TERN_CASE: $CONNS connections in ${secs} s: $c"
	[ "$rc" = 0 ] || err "client: exit $rc: $c"
	wait_pid "$pid" "$WAIT_S" || err "the echo server did not finish: $(cat "$out")"
	grep -q "^served $CONNS, 0 failed" "$out" || err "server: $(tr '\n' ' ' <"$out")"
	rm -f "$out"

	# TIME_WAIT (1 s here) ends, and with it every socket
	slowwait $((WAIT_S + 2)) tern_sockets_are "$A" 0 ||
		err "$(tern_sockets_in_use "$A") Tern sockets left in A after TIME_WAIT"
	slowwait "$WAIT_S" tern_sockets_are "$B" 0 ||
		err "$(tern_sockets_in_use "$B") Tern sockets left in B"
	if [ "$(tern_sockets_in_use "$A")$(tern_sockets_in_use "$B")" != 00 ]; then
		echo "# sockets left:"
		ip netns exec "$A" head -20 /proc/net/tern/sockets | sed 's/^/#   A: /'
		ip netns exec "$B" head -20 /proc/net/tern/sockets | sed 's/^/#   B: /'
	fi

	c=$(counter_values "$A" "${names[@]}")
	[ "$c" = "$bad_a" ] || err "A: $BAD_COUNTERS went from '$bad_a' to '$c'"
	c=$(counter_values "$B" "${names[@]}")
	[ "$c" = "$bad_b" ] || err "B: $BAD_COUNTERS went from '$bad_b' to '$c'"
	i=$(counter_delta "$A" TernActiveOpens "$opens_a")
	[ "$i" = "$CONNS" ] || err "A counted $i active opens, want $CONNS"
	i=$(counter_delta "$B" TernPassiveOpens "$opens_b")
	[ "$i" = "$CONNS" ] || err "B counted $i passive opens, want $CONNS"
}

case_churn_ipv4() { churn 4 192.0.2.2; }
case_churn_ipv6() { churn 6 2001:db8::2; }

# vanish HOW: a transfer from A to B, then B's receiver disappears:
#   netns  its namespace is deleted and its process killed (the kernel
#          closes its socket while the link is still there)
#   link   its link is deleted first, then the process killed: nothing
#          it sends gets out, the sender only hears silence; B's closed
#          socket cannot get its FIN out either, and must give up after
#          its retries like any orphan
# The sender (net.tern.retries=3, TCP_USER_TIMEOUT 3 s) must end with an
# error within LIMIT seconds, and leave no socket behind.
vanish() {
	local how=$1 sink_out blast_out sink_pid blast_pid line e limit=30

	ip netns exec "$A" sysctl -qw net.tern.retries=3 &&
	ip netns exec "$B" sysctl -qw net.tern.retries=3 || err "cannot set net.tern.retries"
	sink_out=$(mktemp)
	blast_out=$(mktemp)
	ip netns exec "$B" "$echo_bin" sink -p 7001 >"$sink_out" 2>&1 &
	sink_pid=$!
	if ! slowwait "$WAIT_S" file_has "$sink_out" '^ready'; then
		err "the sink did not start: $(cat "$sink_out")"
		kill "$sink_pid" 2>/dev/null
		rm -f "$sink_out" "$blast_out"
		return
	fi
	ip netns exec "$A" "$echo_bin" blast -a 192.0.2.2 -p 7001 -u 3000 -T "$limit" \
		>"$blast_out" 2>&1 &
	blast_pid=$!
	if ! slowwait "$WAIT_S" file_has "$blast_out" '^connected'; then
		err "the sender did not connect: $(cat "$blast_out")"
		kill "$sink_pid" "$blast_pid" 2>/dev/null
		rm -f "$sink_out" "$blast_out"
		return
	fi
	sleep 1	# data flowing
	if grep -q '^error' "$blast_out"; then
		err "the sender failed while its peer was still there: $(grep -m1 '^error' "$blast_out")"
	fi
	[ "$(tern_sockets_in_use "$A")" = 1 ] || err "$(tern_sockets_in_use "$A") Tern sockets in A during the transfer, want 1"

	case $how in
	netns)
		ip netns del "$B" || err "ip netns del failed"
		remove_ns_list "$B"
		{ kill -KILL "$sink_pid"; wait "$sink_pid"; } 2>/dev/null
		;;
	link)
		ip -n "$B" link del veth-b || err "cannot delete veth-b"
		{ kill -KILL "$sink_pid"; wait "$sink_pid"; } 2>/dev/null
		# 1 + 2 + 4 + 8 s of retransmissions, then it is gone
		if ! slowwait $((limit + WAIT_S)) tern_sockets_are "$B" 0; then
			err "B's closed socket is still there $((limit + WAIT_S)) s later"
			ip netns exec "$B" cat /proc/net/tern/sockets | sed 's/^/#   B: /'
		fi
		ip netns del "$B" || err "ip netns del failed"
		remove_ns_list "$B"
		;;
	esac
	wait "$sink_pid" 2>/dev/null
	B=

	wait_pid "$blast_pid" $((limit + WAIT_S)) || err "the sender was still running after $limit s"
	line=$(grep -m1 '^error\|^no error\|^connect:' "$blast_out")
	echo "# $TERN_CASE: sender: ${line:-$(tr '\n' ' ' <"$blast_out")}"
	e=$(awk '/^error/ { print $2 }' "$blast_out")
	case $e in
	ECONNRESET | ETIMEDOUT | EPIPE | EHOSTUNREACH | ENETUNREACH) ;;
	"") err "the sender ended without an error: $(tr '\n' ' ' <"$blast_out")" ;;
	*) err "the sender ended with $e" ;;
	esac
	rm -f "$sink_out" "$blast_out"
	slowwait "$WAIT_S" tern_sockets_are "$A" 0 ||
		err "$(tern_sockets_in_use "$A") Tern sockets left in A after the sender ended"
}

case_peer_netns_deleted() { vanish netns; }
case_peer_link_vanished() { vanish link; }

tern_test_begin
[ -x "$echo_bin" ] || { echo "Bail out! $echo_bin is missing (make -C selftests)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

run_case churn_ipv4 case_churn_ipv4
run_case churn_ipv6 case_churn_ipv6
run_case peer_netns_deleted case_peer_netns_deleted
run_case peer_link_vanished case_peer_link_vanished

tern_test_end
