#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, inside the VM (bench/run.sh boots it through vm/check.sh):
# two namespaces over a veth pair, the server "srv" (192.0.2.1) and the
# client "cli" (192.0.2.2), one scenario at a time, each a function below
# that sets up its netem/tbf qdiscs and runs ternperf (or bench/idle.py)
# for every transport, transports interleaved run by run. Every run's raw
# output goes to $TERN_VM_OUT/bench/SCENARIO/TRANSPORT.RUN.* for the
# host's bench/report.py; each run is one TAP case.
#   bench/guest.sh
# Environment (bench/run.sh passes make bench's knobs through as TERN_*):
# TERN_BENCH_RUNS (3), TERN_BENCH_TIME (seconds a run, 5),
# TERN_BENCH_SCENARIOS (all), TERN_BENCH_BYTES (the impaired exchange,
# 8 MiB each way), TERN_BENCH_IDLE_CONNS (1000), TERN_KO (tern.ko).
# The run_* and setup_* functions are called by name (runs, scenario).
# shellcheck disable=SC2317
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
perf=$top/build/userspace/ternperf
idle=$top/bench/idle.py
raw=${TERN_VM_OUT:-/tmp}/bench
RUNS=${TERN_BENCH_RUNS:-3}
TIME=${TERN_BENCH_TIME:-5}
SCENARIOS=${TERN_BENCH_SCENARIOS:-memory clean lossy impaired crr rr fairness tbf}
BYTES=${TERN_BENCH_BYTES:-8388608}
IDLE_CONNS=${TERN_BENCH_IDLE_CONNS:-1000}
A=srv
B=cli
ADDR=192.0.2.1
# interval samples (for the charts): about 25 a run, 50 ms at least
IV=$(awk -v t="$TIME" 'BEGIN { i = t / 25; printf "%.2f", i < 0.05 ? 0.05 : i }')
# a run that takes this much longer than asked has hung
LIMIT=$((${TIME%.*} * 3 + 120))
SPIDS=()
TRANSPORTS=()
# rr and crr: the client and the servers on one vCPU. A wakeup across the
# TCG guest's vCPUs can wait for the next tick (4 ms): across them, p50
# was 250 us in one run and 4 ms in the next, whatever the transport.
PINNED="rr crr"
PIN=()
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
not_ok() {	# not_ok NAME FILE...: the files' first lines as diagnostics
	local name=$1
	shift
	n=$((n + 1))
	failed=1
	head -n 5 "$@" 2>/dev/null | sed 's/^/# /'
	echo "not ok $n $name"
}
kmsg() { echo "tern-bench: $*" >/dev/kmsg 2>/dev/null || true; }
meta() { echo "$*" >>"$raw/meta"; }	# meta KEY VALUE...: for the report

# ---- setup: tern.ko where modprobe finds it (as selftests/run.sh does)

install_tern() {
	local moddir

	moddir=/lib/modules/$(uname -r)/extra
	mkdir -p "$moddir" && install -m 0644 "${TERN_KO:?}" "$moddir/tern.ko" || return 1
	if [ -n "${TERN_MODINDEX:-}" ]; then
		cp "$TERN_MODINDEX"/modules.* "${moddir%/extra}/"
	else
		depmod -a
	fi && modprobe tern
}

# The transports: each Tern congestion control, TCP CUBIC (the reference
# of every ratio), TCP BBR and SCTP where this kernel has them.
pick_transports() {
	local cc

	for cc in $(sysctl -n net.tern.available_congestion_control); do
		TRANSPORTS+=("tern-$cc")
	done
	TRANSPORTS+=(tcp-cubic)
	if modprobe tcp_bbr 2>/dev/null &&
		grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control; then
		TRANSPORTS+=(tcp-bbr)
	else
		skip "transport tcp-bbr" "no tcp_bbr module in this kernel"
		meta skip tcp-bbr "no tcp_bbr module in this kernel"
	fi
	if modprobe sctp 2>/dev/null && [ -d /proc/net/sctp ]; then
		TRANSPORTS+=(sctp)
		meta note "SCTP's bulk writes are 16 KiB messages (the others': 128 KiB, 16 KiB in lossy, fairness and tbf): a message larger than SCTP's receive window is delivered in parts, the window reopening on the 200 ms delayed SACK"
	else
		skip "transport sctp" "no SCTP in this kernel"
		meta skip sctp "no SCTP in this kernel"
	fi
	meta transports "${TRANSPORTS[@]}"
}

proto_of() { echo "${1%%-*}"; }		# tern-cubic -> tern
cc_of() { [ "${1#*-}" != "$1" ] && echo "${1#*-}"; }	# tern-cubic -> cubic
port_of() {
	case $(proto_of "$1") in
	tern) echo 5253 ;;
	tcp) echo 5254 ;;
	sctp) echo 5255 ;;
	esac
}

# perf_args TRANSPORT: ternperf's options for it
perf_args() {
	local cc

	cc=$(cc_of "$1")
	echo "-p $(port_of "$1") --proto $(proto_of "$1")${cc:+ --cc $cc}"
}

# ---- topology

# waitfor SECONDS CMD...: until CMD succeeds, every 50 ms
waitfor() {
	local i end=$(($1 * 20))

	shift
	for ((i = 0; i < end; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

listening() { grep -q listening "$1" 2>/dev/null; }
link_up() { ip -n "$1" -o link show dev "$2" 2>/dev/null | grep -q 'state UP'; }

# topo_up: the namespaces, the veth pair, a ternperf server per protocol
topo_up() {
	local proto f

	ip netns add "$A" && ip netns add "$B" &&
	ip -n "$A" link set lo up && ip -n "$B" link set lo up &&
	ip -n "$A" link add veth-a type veth peer name veth-b netns "$B" &&
	ip -n "$A" addr add 192.0.2.1/24 dev veth-a &&
	ip -n "$B" addr add 192.0.2.2/24 dev veth-b &&
	ip -n "$A" link set veth-a up && ip -n "$B" link set veth-b up || return 1
	# crr leaves a TIME-WAIT a connection at the client; no TCP run may
	# start from the metrics (ssthresh) of the one before it
	ip netns exec "$B" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip netns exec "$A" sysctl -qw net.ipv4.tcp_no_metrics_save=1
	ip netns exec "$B" sysctl -qw net.ipv4.tcp_no_metrics_save=1
	for proto in $(printf '%s\n' "${TRANSPORTS[@]}" | sed 's/-.*//' | sort -u); do
		f=$raw/server-$proto
		"${PIN[@]}" ip netns exec "$A" "$perf" -s -p "$(port_of "$proto")" --proto "$proto" \
			-T 120 >"$f.out" 2>>"$f.err" &
		SPIDS+=($!)
		waitfor 10 listening "$f.out" || { cat "$f.err" >&2; return 1; }
	done
	waitfor 10 link_up "$A" veth-a && waitfor 10 link_up "$B" veth-b
}

topo_down() {
	local p

	for p in "${SPIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SPIDS=()
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	sleep 0.5
}

# qdisc NS DEV QDISC...: the root qdisc of DEV in NS (veth-a: the server's
# egress, the ACK and reverse path; veth-b: the client's, the data path)
qdisc() {
	local ns=$1 dev=$2

	shift 2
	ip netns exec "$ns" tc qdisc replace dev "$dev" root "$@"
}

# netem both ways, the same impairments
netem_both() {
	qdisc "$A" veth-a netem limit 100000 "$@" &&
		qdisc "$B" veth-b netem limit 100000 "$@"
}

# ---- counters

# rtos NS PROTO: retransmission timeouts so far in NS (Tern: TernRTOs of
# /proc/net/tern/snmp; TCP: TcpExt TCPTimeouts, as nstat shows it; SCTP:
# SctpT3RtxExpireds)
rtos() {
	case $2 in
	tern) ip netns exec "$1" awk '$1 == "TernRTOs" { print $2 }' /proc/net/tern/snmp ;;
	tcp) ip netns exec "$1" awk '$1 == "TcpExt:" && !h { for (i = 2; i <= NF; i++) k[i] = $i; h = 1; next }
		$1 == "TcpExt:" { for (i = 2; i <= NF; i++) if (k[i] == "TCPTimeouts") print $i }' /proc/net/netstat ;;
	sctp) ip netns exec "$1" awk '$1 == "SctpT3RtxExpireds" { print $2 }' /proc/net/sctp/snmp ;;
	esac
}

# ---- one run

# client TRANSPORT FILE ARGS...: ternperf -c in the client namespace, its
# JSON in FILE.json, with the RTOs of either side over the run in FILE.ctr
client() {
	local tr=$1 f=$2 proto c0 s0 rc
	local -a args

	shift 2
	proto=$(proto_of "$tr")
	read -r -a args <<<"$(perf_args "$tr")"
	# SCTP delivers a message larger than its receive window only in
	# parts, the window reopening on the 200 ms delayed SACK: 128 KiB
	# writes (ternperf's default) run at a few Mbit/s on a clean veth
	[ "$proto" = sctp ] && [[ " $* " == *" -m bulk "* ]] && set -- "$@" -l 16384
	c0=$(rtos "$B" "$proto")
	s0=$(rtos "$A" "$proto")
	timeout "$LIMIT" "${PIN[@]}" ip netns exec "$B" "$perf" -c "$ADDR" "${args[@]}" -T 60 --json "$@" \
		>"$f.json" 2>"$f.err"
	rc=$?
	printf 'rto_client %s\nrto_server %s\n' "$(($(rtos "$B" "$proto") - c0))" \
		"$(($(rtos "$A" "$proto") - s0))" >"$f.ctr"
	return "$rc"
}

# runs SCENARIO FUNC: FUNC TRANSPORT FILE for every run and transport,
# interleaved (the order turned by one each run), each one TAP case
runs() {
	local sc=$1 fn=$2 r i k tr f
	local nt=${#TRANSPORTS[@]}

	mkdir -p "$raw/$sc"
	for ((r = 1; r <= RUNS; r++)); do
		for ((k = 0; k < nt; k++)); do
			i=$(((k + r - 1) % nt))
			tr=${TRANSPORTS[$i]}
			f=$raw/$sc/$tr.$r
			kmsg "$sc $tr run $r"
			if "$fn" "$tr" "$f"; then
				ok "$sc $tr run $r"
			else
				not_ok "$sc $tr run $r" "$f.err"
			fi
		done
	done
}

# scenario NAME DESCRIPTION SETUP...: a fresh topology, SETUP (its
# qdiscs), then sc_NAME's runs
scenario() {
	local sc=$1 desc=$2

	shift 2
	echo "# $sc: $desc"
	PIN=()
	if [[ " $PINNED " == *" $sc "* ]]; then
		PIN=(taskset -c 1)
		desc="$desc; client and server pinned to one vCPU"
	fi
	meta scenario "$sc" "$desc"
	kmsg "scenario $sc"
	if ! topo_up || ! "$@"; then
		not_ok "$sc: topology" "$raw"/server-*.err
		topo_down
		return
	fi
	runs "$sc" "run_$sc"
	topo_down
}

run_clean() { client "$1" "$2" -m bulk -t "$TIME" -i "$IV"; }
# the charted scenarios write 16 KiB at a time: the interval samples
# count writes, and 128 KiB ones make a rate of a few Mbit/s look jagged
run_lossy() { client "$1" "$2" -m bulk -l 16384 -t "$TIME" -i "$IV"; }
run_tbf() { run_lossy "$@"; }
run_impaired() { client "$1" "$2" -m bulk -n "$BYTES" --bidir -l 65536 -t 120 -i 1; }
run_crr() { client "$1" "$2" -m crr -t "$TIME"; }
run_rr() { client "$1" "$2" -m rr -t "$TIME"; }

# the flow under test and one TCP CUBIC flow through the same bottleneck,
# started together; the competitor's JSON in FILE.ref.json
run_fairness() {
	local tr=$1 f=$2 pid rc

	client tcp-cubic "$f.ref" -m bulk -l 16384 -t "$TIME" -i "$IV" &
	pid=$!
	client "$tr" "$f" -m bulk -l 16384 -t "$TIME" -i "$IV"
	rc=$?
	wait "$pid" || { cat "$f.ref.err" >>"$f.err"; rc=1; }
	return "$rc"
}

slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
has_line() { grep -q "^$2" "$1" 2>/dev/null; }

# kernel memory of IDLE_CONNS idle connections (both ends, one kernel):
# bench/idle.py holds them in one process at each end, no thread or
# buffer of its own per connection; the growth of Slab: in
# /proc/meminfo from just before the connections to a second after.
run_memory() {
	local tr=$1 f=$2 proto port=6000 s0 s1 lp cp rc=0

	proto=$(proto_of "$tr")
	rm -f "$f.go" "$f.srv" "$f.cli"
	ip netns exec "$A" python3 "$idle" listen "$proto" "$port" "$IDLE_CONNS" \
		>"$f.srv" 2>"$f.err" &
	lp=$!
	waitfor 20 has_line "$f.srv" listening || rc=1
	ip netns exec "$B" python3 "$idle" connect "$proto" "$ADDR" "$port" "$IDLE_CONNS" \
		"$f.go" >"$f.cli" 2>>"$f.err" &
	cp=$!
	waitfor 20 has_line "$f.cli" ready || rc=1
	sleep 0.5
	s0=$(slab_kb)
	touch "$f.go"
	waitfor 120 has_line "$f.cli" connected || rc=1
	waitfor 20 has_line "$f.srv" accepted || rc=1
	sleep 1
	s1=$(slab_kb)
	kill "$lp" "$cp" 2>/dev/null
	wait "$lp" "$cp" 2>/dev/null
	[ "$rc" = 0 ] || return 1
	echo "mem_per_conn_bytes $(((s1 - s0) * 1024 / IDLE_CONNS))" >"$f.ctr"
}

setup_none() { :; }
setup_lossy() { netem_both delay 10ms loss 1%; }
setup_impaired() {
	netem_both delay 5ms reorder 25% loss 5% duplicate 2% corrupt 0.5%
}
# the bottleneck on the data path, the delay on the ACK path
setup_fairness() {
	qdisc "$B" veth-b tbf rate 50mbit burst 32kb latency 20ms &&
		qdisc "$A" veth-a netem limit 100000 delay 10ms
}
setup_tbf() {
	qdisc "$B" veth-b tbf rate 100mbit burst 32kb limit 625000 &&
		qdisc "$A" veth-a netem limit 100000 delay 50ms
}

# ---- main

cleanup() {
	topo_down 2>/dev/null
}
trap cleanup EXIT

echo "TAP version 13"
rm -rf "$raw"
mkdir -p "$raw"
[ -x "$perf" ] || { echo "Bail out! $perf is missing (make userspace)"; exit 1; }
install_tern || { echo "Bail out! cannot load tern.ko"; exit 1; }
meta kernel "$(uname -r)"
meta cpus "$(nproc)"
meta runs "$RUNS"
meta time "$TIME"
meta bytes "$BYTES"
meta idle_conns "$IDLE_CONNS"
pick_transports
for sc in $SCENARIOS; do
	case $sc in
	memory) scenario memory "kernel memory per idle connection ($IDLE_CONNS, both ends)" setup_none ;;
	clean) scenario clean "bulk, clean veth" setup_none ;;
	lossy) scenario lossy "bulk, 20 ms RTT, 1 % loss each way" setup_lossy ;;
	impaired) scenario impaired "$BYTES bytes each way; 5 ms delay, 5 % loss, 25 % reorder, 2 % duplicate, 0.5 % corrupt each way" setup_impaired ;;
	crr) scenario crr "connect, 1-byte request/response, close" setup_none ;;
	rr) scenario rr "1-byte request/response" setup_none ;;
	fairness) scenario fairness "bulk next to one TCP CUBIC flow, 50 Mbit/s tbf, 10 ms RTT" setup_fairness ;;
	tbf) scenario tbf "bulk, 100 Mbit/s tbf (1 BDP of queue), 50 ms RTT" setup_tbf ;;
	*) not_ok "scenario $sc" /dev/null; echo "# unknown scenario $sc" ;;
	esac
done
echo "1..$n"
exit $failed
