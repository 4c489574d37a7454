#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# terncat (userspace/tools) across two network namespaces A and B joined by
# a veth pair (192.0.2.1/24 and 2001:db8::1/64 in A, .2 and ::2 in B):
# a file moves byte-exact both ways at once, both families, stream and
# seqpacket; a closed port exits 1 saying "refused"; an address whose
# frames go nowhere (a permanent neighbour entry with a MAC nobody has)
# exits 1 saying "timed out" after -w; -k serves two clients in turn.
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip cmp head
tern_tool_program

top=$(cd "$(dirname "$0")/.." && pwd)
terncat=$top/build/userspace/terncat
WAIT_S=10
PORT=7000
# 1 MiB; less on the debug kernel, where every packet costs ten times
SIZE=$((1 << 20))
[ "${TERN_SAMPLE:-0}" = 1 ] && SIZE=$((256 << 10))

A=
B=
ERRS=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

err() { ERRS+=("$*"); }

topo_up() {
	A=
	B=
	setup_ns A B || { err "setup_ns failed"; return 1; }
	tern_veth_pair "$A" "$B" || { err "cannot build the A-B veth pair"; return 1; }
}

topo_down() {
	tern_ns_remove "$A" "$B"
	A=
	B=
}

addr_b() { [ "$1" = 4 ] && echo 192.0.2.2 || echo 2001:db8::2; }

# listening NS PORT: a Tern listener on PORT in NS
listening() { ip netns exec "$1" grep -qE ":$2 .* LISTEN" /proc/net/tern/sockets; }

# wait_rc PID NAME: its exit status into RC, within WAIT_S * 3 seconds
wait_rc() {
	local i

	for ((i = 0; i < WAIT_S * 30; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		err "$2 did not end"
	fi
	wait "$1"
	RC=$?
}

# A file each way at once: A sends a.bin, B b.bin; each side gets the
# other's, byte for byte, and both exit 0.
transfer() {	# transfer 4|6 [-s]
	local fam=$1 opts=("-$1" ${2:+"$2"}) srv

	head -c "$SIZE" /dev/urandom >"$tmp/a.bin"
	head -c "$SIZE" /dev/urandom >"$tmp/b.bin"
	ip netns exec "$B" "$terncat" "${opts[@]}" -l "$PORT" \
		<"$tmp/b.bin" >"$tmp/from_a" 2>"$tmp/srv.err" &
	srv=$!
	slowwait "$WAIT_S" listening "$B" "$PORT" || err "no listener in B"
	ip netns exec "$A" timeout $((WAIT_S * 6)) "$terncat" "${opts[@]}" -w 30 \
		"$(addr_b "$fam")" "$PORT" <"$tmp/a.bin" >"$tmp/from_b" 2>"$tmp/cli.err"
	RC=$?
	[ "$RC" = 0 ] || err "client exit $RC: $(cat "$tmp/cli.err")"
	wait_rc "$srv" "the listener"
	[ "$RC" = 0 ] || err "listener exit $RC: $(cat "$tmp/srv.err")"
	cmp -s "$tmp/a.bin" "$tmp/from_a" ||
		err "B got $(stat -c %s "$tmp/from_a") bytes, not A's $SIZE"
	cmp -s "$tmp/b.bin" "$tmp/from_b" ||
		err "A got $(stat -c %s "$tmp/from_b") bytes, not B's $SIZE"
}

# No listener: the peer's reset, exit 1, "refused" on stderr.
refused() {	# refused 4|6 [-s]
	local fam=$1 opts=("-$1" ${2:+"$2"}) out

	out=$(ip netns exec "$A" "$terncat" "${opts[@]}" "$(addr_b "$fam")" \
		"$PORT" </dev/null 2>&1)
	RC=$?
	[ "$RC" = 1 ] || err "exit $RC, not 1"
	grep -q "refused" <<<"$out" || err "said '$out'"
}

# Frames to .3/::3 go to a MAC nobody has: -w 1 ends it, exit 1.
timed_out() {	# timed_out 4|6 [-s]
	local fam=$1 opts=("-$1" ${2:+"$2"}) dst out

	ip -n "$A" neigh add 192.0.2.3 lladdr 02:00:00:00:00:99 dev veth-a nud permanent &&
	ip -n "$A" -6 neigh add 2001:db8::3 lladdr 02:00:00:00:00:99 dev veth-a nud permanent ||
		{ err "cannot add the neighbours"; return; }
	dst=192.0.2.3
	[ "$fam" = 6 ] && dst=2001:db8::3
	out=$(ip netns exec "$A" timeout 30 "$terncat" "${opts[@]}" -w 1 "$dst" \
		"$PORT" </dev/null 2>&1)
	RC=$?
	[ "$RC" = 1 ] || err "exit $RC, not 1"
	grep -q "timed out" <<<"$out" || err "said '$out'"
}

# -k: one listener serves two clients in turn, and a third.
keep() {	# keep 4|6 [-s]
	local fam=$1 opts=("-$1" ${2:+"$2"}) srv i

	ip netns exec "$B" "$terncat" "${opts[@]}" -k -l "$PORT" \
		</dev/null >"$tmp/kept" 2>"$tmp/srv.err" &
	srv=$!
	slowwait "$WAIT_S" listening "$B" "$PORT" || err "no listener in B"
	for i in one two three; do
		echo "$i" | ip netns exec "$A" timeout $((WAIT_S * 3)) "$terncat" "${opts[@]}" \
			"$(addr_b "$fam")" "$PORT" >/dev/null 2>"$tmp/cli.err" ||
			err "client $i: exit $?: $(cat "$tmp/cli.err")"
	done
	# the third client's line is written once its connection is done
	slowwait "$WAIT_S" grep -q three "$tmp/kept"
	kill -0 "$srv" 2>/dev/null || err "the -k listener ended"
	listening "$B" "$PORT" || err "the -k listener stopped listening"
	kill "$srv"
	wait "$srv" 2>/dev/null
	[ "$(cat "$tmp/kept")" = "$(printf 'one\ntwo\nthree')" ] ||
		err "the listener wrote '$(cat "$tmp/kept")'"
}

tern_test_begin
[ -x "$terncat" ] || { echo "Bail out! $terncat is missing (make -C userspace)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

for fam in 4 6; do
	for t in stream seqpacket; do
		seq=
		[ $t = seqpacket ] && seq=-s
		tern_run_case "transfer_ipv${fam}_$t" transfer "$fam" ${seq:+"$seq"}
		tern_run_case "refused_ipv${fam}_$t" refused "$fam" ${seq:+"$seq"}
		tern_run_case "keep_ipv${fam}_$t" keep "$fam" ${seq:+"$seq"}
	done
	tern_run_case "timeout_ipv$fam" timed_out "$fam"
done

tern_test_end
