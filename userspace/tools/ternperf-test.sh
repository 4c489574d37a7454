#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ternperf on the host, TAP: ternperf-test.sh PATH-TO-TERNPERF
# A TCP server on an ephemeral port, every mode against it over 127.0.0.1
# and ::1 for a moment each, the JSON checked for validity and for numbers
# that agree with each other (bytes > 0, what was sent is what arrived,
# p50 <= p90 <= p99, one sample per interval); the same against SCTP when
# the kernel has it; --proto tern failing with libtern's words and exit
# code 3 when no Tern module is loaded (as on the build host); a silent
# peer giving ETIMEDOUT within -T; usage errors giving 2. Asserts on
# counts and exit codes, never on speed. About 15 s.
set -uo pipefail
prog=${1:?usage: ternperf-test.sh PATH-TO-TERNPERF}
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 130" INT TERM
n=0 failed=0
T=0.6 I=0.2

ok() {	# ok NAME: the last check passed
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {	# not_ok NAME FILE...: it failed; show the files
	local name=$1
	shift
	n=$((n + 1))
	failed=$((failed + 1))
	cat "$@" 2>/dev/null | sed 's/^/# /'
	echo "not ok $n - $name"
}

skip() {	# skip NAME REASON
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# start_server PROTO: in this shell (cleanup must know its pid); sets
# port, or fails with the server's exit code (its stderr in
# $tmp/server-PROTO.err)
start_server() {
	local proto=$1 i pid
	port=
	"$prog" -s -p 0 --proto "$proto" >"$tmp/server-$proto.out" \
		2>"$tmp/server-$proto.err" &
	pid=$!
	pids+=("$pid")
	for i in $(seq 100); do
		port=$(sed -n 's/.* listening on port \([0-9]*\)$/\1/p' "$tmp/server-$proto.out")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		[ "$i" = 100 ] || sleep 0.05
	done
	return 1
}

# check_json FILE MODE ARGS: what must hold of one run's JSON
check_json() {
	python3 - "$@" <<'EOF'
import json, math, sys
path, mode, t, i = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
j = json.load(open(path))
bidir = j.get("bidir")
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
keys = ("ternperf proto mode family seqpacket bidir cc connections msg_len "
        "duration seconds bytes_sent bytes_received mbit_s reverse_bytes "
        "reverse_mbit_s transactions trans_s conns_s completion_s latency_us "
        "retransmits mem_per_conn_bytes intervals").split()
need(sorted(j) == sorted(keys), "keys %s" % sorted(set(j) ^ set(keys)))
need(j["mode"] == mode, "mode")
need(j["seconds"] > 0 and j["bytes_sent"] > 0, "seconds, bytes_sent > 0")
need(j["bytes_received"] == j["bytes_sent"], "bytes_received == bytes_sent")
need(j["mbit_s"] > 0, "mbit_s > 0")
need(j["retransmits"] is not None and j["retransmits"] >= 0, "retransmits")
if bidir:
    need(j["reverse_bytes"] > 0 and j["reverse_mbit_s"] > 0, "reverse > 0")
if mode == "bulk":
    need(j["latency_us"] is None and j["transactions"] is None, "bulk nulls")
else:
    lat = j["latency_us"]
    need(j["transactions"] > 0 and j["trans_s"] > 0, "transactions > 0")
    need(j["bytes_sent"] == j["transactions"] * j["msg_len"], "bytes = trans * len")
    need(lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"],
         "min <= p50 <= p90 <= p99 <= max: %s" % lat)
    need(lat["p50"] > 0, "p50 > 0")
need((j["conns_s"] is not None) == (mode == "crr"), "conns_s only in crr")
need((j["completion_s"] is not None) == (mode == "bulk"), "completion_s only in bulk")
if mode == "many":
    need(j["connections"] == 20, "many: 20 connections")
ivs = j["intervals"]
need(len(ivs) == math.ceil(t / i - 1e-9), "%d intervals" % len(ivs))
need(sum(v["bytes_sent"] for v in ivs) == j["bytes_sent"], "intervals: bytes_sent sum")
rx = j["reverse_bytes"] if mode == "bulk" and bidir else 0 if mode == "bulk" else j["bytes_sent"]
need(sum(v["bytes_received"] for v in ivs) == rx, "intervals: bytes_received sum")
need(all(v["start"] < v["end"] for v in ivs), "interval times")
need(any(v["cwnd"] for v in ivs), "a cwnd sampled")
for b in bad:
    print("# %s: %s" % (path, b))
sys.exit(1 if bad else 0)
EOF
}

# run_mode PROTO PORT ADDR MODE [ARGS...]: one client run, its JSON checked
run_mode() {
	local proto=$1 port=$2 addr=$3 mode=$4 name f
	shift 4
	name="$proto $mode${*:+ $*} to $addr"
	f=$tmp/$proto-$mode-${addr//:/_}
	[ "$mode" = many ] && set -- -P 20 "$@"
	if "$prog" -c "$addr" -p "$port" --proto "$proto" -m "$mode" -t $T -i $I \
		-T 5 --json "$@" >"$f.json" 2>"$f.err" &&
		python3 -m json.tool "$f.json" >/dev/null 2>>"$f.err" &&
		check_json "$f.json" "$mode" $T $I >>"$f.err"; then
		ok "$name"
	else
		not_ok "$name" "$f.err" "$f.json"
	fi
}

run_all() {	# run_all PROTO PORT ADDR...
	local proto=$1 port=$2 addr
	shift 2
	for addr in "$@"; do
		run_mode "$proto" "$port" "$addr" bulk
		run_mode "$proto" "$port" "$addr" bulk --bidir
		run_mode "$proto" "$port" "$addr" rr
		run_mode "$proto" "$port" "$addr" crr
		run_mode "$proto" "$port" "$addr" many
	done
}

# expect CODE TEXT NAME CMD...: CMD exits CODE, saying TEXT on stderr
expect() {
	local code=$1 text=$2 name=$3 rc
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$code" ] && grep -qF -- "$text" "$tmp/err"; then
		ok "$name"
	else
		echo "exit code $rc, wanted $code and \"$text\"" >>"$tmp/err"
		not_ok "$name" "$tmp/err"
	fi
}

echo "TAP version 13"
addrs=(127.0.0.1)
if [ -e /proc/net/if_inet6 ] && grep -q ' lo$' /proc/net/if_inet6; then
	addrs+=(::1)
fi
if start_server tcp; then
	ok "tcp server listens (port $port)"
	run_all tcp "$port" "${addrs[@]}"
	# the table, for a person, and --cc (reno is always built in)
	if "$prog" -c 127.0.0.1 -p "$port" --proto tcp -t 0.3 -l 1000 --cc reno >"$tmp/table" 2>&1 &&
		grep -qE '^tcp +bulk +send +1 ' "$tmp/table"; then
		ok "table output, --cc reno"
	else
		not_ok "table output, --cc reno" "$tmp/table"
	fi
	# -n: that many bytes each way, and how long it took
	if "$prog" -c 127.0.0.1 -p "$port" --proto tcp -n 1000000 -l 65536 --bidir \
		--json >"$tmp/n.json" 2>&1 &&
		python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not (j["bytes_sent"] == j["bytes_received"] == j["reverse_bytes"] == 1000000
              and j["completion_s"] >= j["seconds"] >= 0))' "$tmp/n.json"; then
		ok "-n 1000000 --bidir: exactly that each way, completion_s"
	else
		not_ok "-n 1000000 --bidir: exactly that each way, completion_s" "$tmp/n.json"
	fi
	expect 3 "--cc no_such_cc: not in this kernel" "--cc unknown: exit 3" \
		"$prog" -c 127.0.0.1 -p "$port" --proto tcp --cc no_such_cc -t 0.3
else
	not_ok "tcp server listens" "$tmp/server-tcp.err"
fi

if start_server sctp; then
	ok "sctp server listens (port $port)"
	run_all sctp "$port" 127.0.0.1
elif grep -q EPROTONOSUPPORT "$tmp/server-sctp.err"; then
	skip "sctp" "no SCTP in this kernel"
else
	not_ok "sctp server" "$tmp/server-sctp.err"
fi

if [ -e /sys/module/tern ]; then
	skip "--proto tern without the module" "the tern module is loaded"
else
	expect 3 "EPROTONOSUPPORT: Tern module not loaded (modprobe tern)" \
		"--proto tern client without the module: exit 3, libtern's words" \
		"$prog" -c 127.0.0.1 --proto tern -t 0.3
	expect 3 "Tern module not loaded" "--proto tern server without the module" \
		"$prog" -s -p 0 --proto tern
fi

# a peer that accepts and never answers: the response times out in -T
python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(15)' >"$tmp/silent" &
pids+=($!)
for _ in $(seq 50); do [ -s "$tmp/silent" ] && break; sleep 0.05; done
expect 1 "recv response (tcp, rr): ETIMEDOUT" "a silent peer: ETIMEDOUT after -T" \
	"$prog" -c 127.0.0.1 -p "$(cat "$tmp/silent")" --proto tcp -m rr -T 0.5 -t 2

expect 2 "--seqpacket is for --proto tern only" "usage: --seqpacket with tcp" \
	"$prog" -c 127.0.0.1 --proto tcp --seqpacket
expect 2 "one of -s and -c host" "usage: neither -s nor -c" "$prog" -t 1
expect 2 "-n is for -m bulk only" "usage: -n with rr" "$prog" -c 127.0.0.1 -m rr -n 5
expect 2 "-m: unknown: bogus" "usage: unknown mode" "$prog" -c 127.0.0.1 -m bogus

echo "1..$n"
echo "# ternperf: $((n - failed)) of $n passed"
[ "$failed" = 0 ]
