#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo itself, run inside the VM by vm/demo.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
inject=$top/build/selftests/tern_inject
ternstat=$top/userspace/tools/ternstat
bin=$top/build/userspace
lua=$top/userspace/wireshark/tern.lua
export TERNSTAT_HISTORY=/tmp/ternstat.demo

if [ "${TERN_COLOR:-0}" = 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
run() { printf '$ %s\n' "$*"; "$@"; }

step "Install tern.ko so that socket() can autoload it"
install -D -m 0644 "$TERN_KO" "/lib/modules/$(uname -r)/extra/tern.ko"
cp "$TERN_MODINDEX"/modules.* "/lib/modules/$(uname -r)/"	# depmod, done on the host
run modinfo -F alias tern

step "Two namespaces, A and B, joined by a veth pair"
ip netns add A
ip netns add B
ip link add veth-a netns A type veth peer name veth-b netns B
ip -n A addr add 192.0.2.1/24 dev veth-a
ip -n B addr add 192.0.2.2/24 dev veth-b
ip -n A addr add 2001:db8::1/64 dev veth-a nodad
ip -n B addr add 2001:db8::2/64 dev veth-b nodad
for ns in A B; do ip -n $ns link set lo up; done
ip -n A link set veth-a up
ip -n B link set veth-b up
run ip -n A -br addr show dev veth-a
run ip -n B -br addr show dev veth-b

step "socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_TERN) in B loads the module"
grep -q '^tern ' /proc/modules && echo "(already loaded)" || echo "tern is not loaded yet"
ip netns exec B python3 - <<'PY' &
import socket, time
s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s4.bind(("192.0.2.2", 5001))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_SEQPACKET, 253)
s6.bind(("2001:db8::2", 5002))
print("B: SOCK_STREAM    bound to %s:%d" % s4.getsockname()[:2])
print("B: SOCK_SEQPACKET bound to [%s]:%d" % s6.getsockname()[:2], flush=True)
time.sleep(3)
PY
holder=$!
sleep 1.5
run ip netns exec B grep -E '^(protocol|TERN)' /proc/net/protocols
run lsmod | grep -E '^(Module|tern)'

step "A sends Tern segments to B: good ones, a corrupted one, a truncated one"
ip netns exec B "$ternstat" -n
run ip netns exec A "$inject" -4 -s 192.0.2.1 -d 192.0.2.2 --dport 5001 --len 100 --count 3
run ip netns exec A "$inject" -6 -s 2001:db8::1 -d 2001:db8::2 --dport 5002 --len 1000 --count 2
run ip netns exec A "$inject" -4 -s 192.0.2.1 -d 192.0.2.2 --dport 5001 --len 100 --bad-csum
run ip netns exec A "$inject" -4 -s 192.0.2.1 -d 192.0.2.2 --dport 5001 --len 0 --doff 4
sleep 0.5

step "B's counters (ternstat is nstat for /proc/net/tern/snmp)"
run ip netns exec B "$ternstat" -az
echo "(the segments were resets for ports nobody uses: TernInNoSocket)"
step "A's counters: nothing was received there"
run ip netns exec A "$ternstat" -a

wait $holder

step "A file crosses a lossy link: 10% loss, 20 ms delay each way (tc netem)"
# TIME_WAIT lasts net.tern.tw_timeout_ms (60 s); 2 s is enough for a demo
for ns in A B; do ip netns exec $ns sysctl -qw net.tern.tw_timeout_ms=2000; done
ip -n A neigh replace 192.0.2.2 lladdr "$(ip -n B -br link show veth-b | awk '{print $3}')" dev veth-a
ip -n B neigh replace 192.0.2.1 lladdr "$(ip -n A -br link show veth-a | awk '{print $3}')" dev veth-b
run ip netns exec A tc qdisc add dev veth-a root netem loss 10% delay 20ms
run ip netns exec B tc qdisc add dev veth-b root netem loss 10% delay 20ms
dir=$(mktemp -d)
head -c 2000000 /dev/urandom >"$dir/file"
ip netns exec B python3 - "$dir/received" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.bind(("192.0.2.2", 5003)); s.listen(1); s.settimeout(120)
c, peer = s.accept()
with open(sys.argv[1], "wb") as f:
    while (d := c.recv(65536)):
        f.write(d)
print("B: received from %s:%d" % peer, flush=True)
PY
receiver=$!
sleep 2
start=$(date +%s.%N)
ip netns exec A python3 - "$dir/file" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.connect(("192.0.2.2", 5003))
with open(sys.argv[1], "rb") as f:
    s.sendfile(f)
s.close()
PY
wait $receiver
echo "2000000 bytes in $(echo "$(date +%s.%N) - $start" | bc) s"
run sha256sum "$dir/file" "$dir/received"
cmp "$dir/file" "$dir/received" && echo "identical"
run ip netns exec A "$ternstat" -a TernOutSegs TernRetransSegs TernFastRetrans TernRTOs TernTLPs
rm -rf "$dir"
# B's FIN may still be on its way (loss): A is in FIN-WAIT-2 until then
for _ in $(seq 100); do
	ip netns exec A grep -q TIME-WAIT /proc/net/tern/sockets && break
	sleep 0.1
done
echo "A's side closed first: it waits in TIME-WAIT"
run ip netns exec A cat /proc/net/tern/sockets

step "The tools: ternss (ss for Tern), terncat, ternize, tracepoints, tshark"
for ns in A B; do ip netns exec $ns tc qdisc del dev veth-${ns,,} root; done
ip netns exec B tc qdisc add dev veth-b root netem delay 5ms
dir=$(mktemp -d)
# B's stdin stays open while A sends (terncat half-closes at its EOF)
sleep 6 | ip netns exec B "$bin/terncat" -l 5201 >/dev/null &
server=$!
ip netns exec A dumpcap -q -i veth-a -f "ip proto 253" -c 10 -w "$dir/cap.pcapng" 2>/dev/null &
capture=$!
sleep 2
# a paced stream keeps a connection busy while the tools look at it
(for _ in $(seq 20); do head -c 65536 /dev/zero; sleep 0.1; done) |
	ip netns exec A "$bin/terncat" 192.0.2.2 5201 &
client=$!
sleep 1
run ip netns exec A "$bin/ternss" -np
run ip netns exec A "$bin/ternss" -ni dport = :5201
run ip netns exec B "$bin/ternss" -nl
wait $client $server
wait $capture || true
run tshark -X lua_script:"$lua" -r "$dir/cap.pcapng"
ip netns exec B tc qdisc del dev veth-b root

echo
ip netns exec B "$bin/ternize" run iperf3 -s -1 >/dev/null &
server=$!
sleep 1
run ip netns exec A perf stat -e 'tern:*' -a -- \
	"$bin/ternize" run iperf3 -c 192.0.2.2 -t 2 -f m
wait $server
rm -rf "$dir"

step "Clean up: delete the namespaces, unload the module"
inuse() {
	for ns in A B; do
		ip netns exec $ns awk '$1 ~ /^TERN/ { n += $3 } END { print n + 0 }' /proc/net/protocols
	done | paste -sd+ | bc
}
for _ in $(seq 100); do [ "$(inuse)" = 0 ] && break; sleep 0.1; done
ip netns del A
ip netns del B
run grep -E '^TERN' /proc/net/protocols
run rmmod tern
echo "done: tern unloaded, no namespace left ($(ip netns list | wc -l))"
