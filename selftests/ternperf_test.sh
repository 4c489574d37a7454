#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ternperf (userspace/tools) over Tern between two network namespaces A
# (the server: 192.0.2.1/24, 2001:db8::1/64) and B (the client: .2, ::2)
# joined by a veth pair: every mode (bulk one way and both ways, rr, crr,
# many) for a short run in each family and socket type, its JSON checked:
# it parses, the receiver counted what the sender sent (bulk), every
# transaction was answered, the latency percentiles are ordered, the
# interval samples carry the sender's cwnd and RTT from TERN_INFO. TCP
# runs the same modes through the same code as the reference.
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip python3 timeout
tern_tool_program

top=$(cd "$(dirname "$0")/.." && pwd)
ternperf=$top/build/userspace/ternperf
PORT=5253
A=
B=
SPID=
PROTO=tern	# the case's transport, socket type (--seqpacket) and family
SEQ=
FAM=4
ERRS=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

err() { ERRS+=("$*"); }

# serving NS PROTO: ternperf -s listens in NS
serving() {
	local proto=$1

	if [ "$proto" = tern ]; then
		ip netns exec "$A" grep -qE ":$PORT .* LISTEN" /proc/net/tern/sockets
	else
		ip netns exec "$A" ss -Htln "sport = :$PORT" | grep -q LISTEN
	fi
}

# topo_up with $PROTO ($SEQ: --seqpacket or empty) set by the case
topo_up() {
	A=
	B=
	setup_ns A B || { err "setup_ns failed"; return 1; }
	tern_veth_pair "$A" "$B" || { err "cannot build the A-B veth pair"; return 1; }
	# shellcheck disable=SC2086 # $SEQ is empty or one word
	ip netns exec "$A" timeout 120 "$ternperf" -s -p "$PORT" --proto "$PROTO" $SEQ \
		>"$tmp/server.out" 2>"$tmp/server.err" &
	SPID=$!
	slowwait 10 serving "$PROTO" ||
		{ err "ternperf -s did not listen: $(cat "$tmp/server.err")"; return 1; }
}

topo_down() {
	[ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
	SPID=
	tern_ns_remove "$A" "$B"
	A=
	B=
}

# check_json FILE MODE: what the run's JSON must say; prints the faults
check_json() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError as e:
    print("not JSON: %s" % e)
    sys.exit(0)
mode = sys.argv[2]
bad = []
if mode.startswith("bulk"):
    if r["bytes_sent"] <= 0 or r["bytes_received"] != r["bytes_sent"]:
        bad.append("sent %s, the receiver counted %s" % (r["bytes_sent"], r["bytes_received"]))
    if mode == "bulk_bidir" and not r.get("reverse_bytes"):
        bad.append("no bytes the other way")
    if not any(i.get("cwnd") for i in r["intervals"]):
        bad.append("no interval with the sender's cwnd")
    if not any(i.get("rtt_us") for i in r["intervals"]):
        bad.append("no interval with the sender's RTT")
else:
    if r["transactions"] <= 0:
        bad.append("no transaction")
    if r["bytes_received"] != r["bytes_sent"]:
        bad.append("requests %s bytes, responses %s" % (r["bytes_sent"], r["bytes_received"]))
    l = r["latency_us"]
    if not l["p50"] <= l["p90"] <= l["p99"]:
        bad.append("latency percentiles out of order: %s" % l)
print("; ".join(bad))
EOF
}

# case_mode MODE [ternperf options]: one short client run, its JSON checked
case_mode() {
	local mode=$1 addr=192.0.2.1 faults

	shift
	[ "$FAM" = 6 ] && addr=2001:db8::1
	# shellcheck disable=SC2086 # $SEQ is empty or one word
	if ! ip netns exec "$B" timeout 60 "$ternperf" -c "$addr" -p "$PORT" \
		--proto "$PROTO" $SEQ -t 1 -i 0.5 --json "$@" \
		>"$tmp/client.json" 2>"$tmp/client.err"; then
		err "ternperf -c $* exited $?: $(head -c 300 "$tmp/client.err")"
		return
	fi
	faults=$(check_json "$tmp/client.json" "$mode")
	[ -z "$faults" ] || err "$mode: $faults"
}

case_all_modes() {
	case_mode bulk -m bulk
	case_mode bulk_bidir -m bulk --bidir
	case_mode rr -m rr -l 100
	case_mode crr -m crr
	case_mode many -m many -P 20
}

# each algorithm of net.tern.available_congestion_control by --cc, and
# a name the kernel lacks: exit 3 (unavailable), as for TCP
case_each_cc() {
	local cc avail

	avail=$(ip netns exec "$B" sysctl -n net.tern.available_congestion_control)
	[ -n "$avail" ] || { err "no available_congestion_control"; return; }
	for cc in $avail; do
		case_mode bulk -m bulk --cc "$cc"
		grep -q "\"cc\": *\"$cc\"" "$tmp/client.json" ||
			err "--cc $cc: the JSON does not name it"
	done
	ip netns exec "$B" timeout 60 "$ternperf" -c 192.0.2.1 -p "$PORT" \
		-t 0.3 --cc no_such_cc >/dev/null 2>"$tmp/client.err"
	cc=$?
	[ "$cc" = 3 ] || err "--cc no_such_cc exited $cc, not 3"
}

tern_test_begin
[ -x "$ternperf" ] || { echo "Bail out! $ternperf is missing (make userspace)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

tern_run_case stream_v4 case_all_modes
FAM=6 tern_run_case stream_v6 case_all_modes
SEQ=--seqpacket tern_run_case seqpacket_v4 case_all_modes
tern_run_case each_cc case_each_cc
PROTO=tcp tern_run_reference_case tcp_v4 case_all_modes

tern_test_end
