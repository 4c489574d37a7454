#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tern's tracepoints (module/trace.h, the "tern" trace system) through
# tracefs, and through bpftrace and perf when they work in the guest.
# Every tracefs case enables its events in a tracefs instance of its own,
# makes them fire between two network namespaces A (192.0.2.1,
# 2001:db8::1, the server) and B (.2, ::2, the client) joined by a veth,
# reads the buffer and checks the events and their fields: ports, states,
# sequence ranges against the bytes sent, counts against the counters of
# /proc/net/tern/snmp. The last case unloads the module with every event
# enabled and loads it again.
#
# Environment: TERN_SAMPLE=1 (the debug kernel): smaller transfers, one
# family for each event (the other family's case fires the same
# tracepoint from the same function), and not the bpftrace and perf
# cases, which take the tracefs cases' paths in the module and cost most
# of the time (bpftrace compiles for half a minute on the stock kernel
# already).
TERN_SAMPLE_OUT="probe_v6 reset_refused_v6 set_state_v4 bad_csum_v6 bpftrace perf"
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip tc python3 timeout mount

bindir=${TERN_BINDIR:-$(cd "$(dirname "$0")/.." && pwd)/build/selftests}
conn=$bindir/tern_connect
inject=$bindir/tern_inject
WAIT_S=5
A=
B=
ERRS=()
EVENTS=(tern_bad_csum tern_probe tern_receive_reset tern_retransmit_skb
	tern_send_reset tern_set_state)

# smaller on the debug kernel, where every segment costs many times more
if [ "${TERN_SAMPLE:-0}" = 1 ]; then
	PROBE_BYTES=131072 LOSS_BYTES=65536 LOSS=20%
else
	PROBE_BYTES=262144 LOSS_BYTES=262144 LOSS=10%
fi

err() { ERRS+=("$*"); }

[ -x "$conn" ] && [ -x "$inject" ] || { echo "Bail out! $conn or $inject is not built"; exit 1; }
dir=$(mktemp -d /tmp/tern-trace.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }

# tracefs: where the kernel mounts it, mounted if it is not
T=/sys/kernel/tracing
if [ ! -e "$T/instances" ]; then
	mount -t tracefs nodev "$T" 2>/dev/null ||
		{ echo "Bail out! no tracefs at $T and cannot mount it"; exit 1; }
fi
tern_load || { echo "Bail out! cannot load tern"; exit 1; }
# the interpreter itself, not a wrapper that finds it each time
PY=$(python3 -c 'import sys; print(sys.executable)') || { echo "Bail out! python3"; exit 1; }
# Not the tasks' names: recording them hooks sched_switch each time an
# event is enabled and unhooks it each time all are off, patching
# __schedule's text twice a case. The debug kernel under TCG once took
# an int3 there that the patching had already retired (an Oops in CI).
# The checks read fields, never the comm column. An instance takes the
# option from the top level when it is made, and has no file for it.
record_cmd=$(cat "$T/options/record-cmd") ||
	{ echo "Bail out! no $T/options/record-cmd"; exit 1; }
echo 0 >"$T/options/record-cmd"
I=$T/instances/tern_trace_test_$$
mkdir "$I" || { echo "Bail out! cannot make the tracefs instance $I"; exit 1; }
echo 4096 >"$I/buffer_size_kb"

cleanup() {
	cleanup_all_ns
	echo 0 >"$I/events/enable" 2>/dev/null
	rmdir "$I" 2>/dev/null
	echo "$record_cmd" >"$T/options/record-cmd"
	rm -rf "$dir"
}
trap cleanup EXIT

# One pair of namespaces serves case after case (making them is slow);
# a case that fails gets a fresh pair for the next.
topo_up() {
	[ -n "$A" ] && return 0
	setup_ns A B >/dev/null || { err "setup_ns failed"; return 1; }
	if ! { ip link add tv1 netns "$A" type veth peer name tv2 netns "$B" &&
	       ip -n "$A" addr add 192.0.2.1/24 dev tv1 &&
	       ip -n "$A" addr add 2001:db8::1/64 dev tv1 nodad &&
	       ip -n "$B" addr add 192.0.2.2/24 dev tv2 &&
	       ip -n "$B" addr add 2001:db8::2/64 dev tv2 nodad &&
	       ip -n "$A" link set tv1 up && ip -n "$B" link set tv2 up; }; then
		err "cannot build the topology"
		return 1
	fi
	# netem drops neighbour discovery too: resolve the neighbours for good
	local m1 m2
	m1=$(ip -n "$A" -br link show tv1 | awk '{print $3}')
	m2=$(ip -n "$B" -br link show tv2 | awk '{print $3}')
	ip -n "$A" neigh replace 192.0.2.2 lladdr "$m2" dev tv1 nud permanent &&
	ip -n "$B" neigh replace 192.0.2.1 lladdr "$m1" dev tv2 nud permanent &&
	ip -n "$A" neigh replace 2001:db8::2 lladdr "$m2" dev tv1 nud permanent &&
	ip -n "$B" neigh replace 2001:db8::1 lladdr "$m1" dev tv2 nud permanent &&
	ip netns exec "$A" sysctl -qw net.tern.tw_timeout_ms=100 &&
	ip netns exec "$B" sysctl -qw net.tern.tw_timeout_ms=100 ||
		{ err "cannot set up the neighbours and sysctls"; return 1; }
}

topo_remove() {
	[ -n "$A" ] && tern_ns_remove "$A" "$B"
	A=
	B=
}

topo_down() {
	echo 0 >"$I/events/enable"
	[ ${#ERRS[@]} = 0 ] || topo_remove
}

# ev_on EVENT...: enable these events (SYSTEM/EVENT, tern's by default)
# alone, the buffer empty
ev_on() {
	local e

	echo 0 >"$I/events/enable"
	: >"$I/trace"
	for e in "$@"; do
		[[ $e == */* ]] || e=tern/$e
		echo 1 >"$I/events/$e/enable" || { err "cannot enable $e"; return 1; }
	done
}

# ev_read: the buffer to $dir/trace, events off; none lost
ev_read() {
	echo 0 >"$I/events/enable"
	grep -v '^#' "$I/trace" >"$dir/trace"
	if grep -q 'overrun: [1-9]' "$I"/per_cpu/cpu*/stats; then
		err "the trace buffer overran: events lost"
	fi
}

# ev_fields EVENT KEY... [-- AWK-CONDITION]: one line per EVENT in the
# buffer read, the values of KEYs separated by spaces
ev_fields() {
	local ev=$1

	shift
	awk -v ev="$ev" -v keys="$*" '
		function get(k,   s) {
			if (!match($0, " " k "=[^ ]*"))
				return "-"
			return substr($0, RSTART + length(k) + 2, RLENGTH - length(k) - 2)
		}
		index($0, " " ev ": ") {
			n = split(keys, key, " ")
			line = ""
			for (i = 1; i <= n; i++)
				line = line (i > 1 ? " " : "") get(key[i])
			print line
		}' "$dir/trace"
}

ev_count() { ev_fields "$1" | wc -l; }

# diag_trace: the first lines of the buffer read, as TAP diagnostics
diag_trace() {
	head -n "${1:-20}" "$dir/trace" | sed 's/^/#   /'
}

# a Tern socket in Python, for the exact sequences tern_connect does not
# make: a refused connect, an abort, a close in a set order
cat >"$dir/sock.py" <<'EOF'
import errno, os, socket, struct, sys

IPPROTO_TERN = 253
mode, fam = sys.argv[1], socket.AF_INET6 if sys.argv[2] == "6" else socket.AF_INET

def sock():
    return socket.socket(fam, socket.SOCK_STREAM, IPPROTO_TERN)

def client(src, sport, dst, dport):
    s = sock()
    s.bind((src, int(sport)))
    s.settimeout(10)
    s.connect((dst, int(dport)))
    return s

if mode == "refused":		# refused SRC SPORT DST DPORT
    try:
        client(*sys.argv[3:7])
    except ConnectionRefusedError:
        sys.exit(0)
    sys.exit("connect was not refused")
elif mode == "server":		# server ADDR PORT READYFILE eof|abort
    l = sock()
    l.bind((sys.argv[3], int(sys.argv[4])))
    l.listen(1)
    l.settimeout(10)
    open(sys.argv[5], "w").close()
    c, _ = l.accept()
    c.settimeout(10)
    l.close()
    if sys.argv[6] == "abort":	# the client aborts after our byte
        c.sendall(b"x")
        try:
            while c.recv(4096):
                pass
        except ConnectionResetError:
            sys.exit(0)
        sys.exit("no reset")
    n = 0
    while True:
        b = c.recv(4096)
        if not b:
            break
        n += len(b)
    c.close()
    sys.exit(0 if n == 1000 else "got %d bytes" % n)
elif mode == "close":		# close SRC SPORT DST DPORT: we close first
    s = client(*sys.argv[3:7])
    s.sendall(b"y" * 1000)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1):
        sys.exit("data after the end")
    s.close()
elif mode == "abort":		# abort SRC SPORT DST DPORT: reset
    s = client(*sys.argv[3:7])
    if s.recv(1) != b"x":
        sys.exit("no byte from the server")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
elif mode == "listen":		# listen: a listener opened and closed here
    s = sock()
    s.bind(("127.0.0.1" if fam == socket.AF_INET else "::1", 0))
    s.listen(1)
    s.close()
EOF
# check.py probe|retransmit ARGS < FIELDS: the checks of the two cases
# below, in Python: sequence numbers take 64 bits, awk's numbers 53
cat >"$dir/check.py" <<'EOF'
import sys

def probe(fam, srv, cli, n):
    """P family src dest data_len snd_nxt snd_una snd_cwnd srtt in_flight
    cookie / R seq end_seq (the client's resends)"""
    n, bad, s, c, resent = int(n), [], [], [], 0
    want = "AF_INET6" if fam == "6" else "AF_INET"
    for line in sys.stdin:
        f = line.split()
        if f.pop(0) == "R":
            resent += int(f[1]) - int(f[0])
            continue
        if f[0] != want:
            bad.append("family " + f[0])
        if f[1] == srv:
            s.append(f)
        elif f[1].startswith(cli) and f[2] == srv:
            c.append(f)
        else:
            bad.append("stray %s>%s" % (f[1], f[2]))
    if not s or not c:
        sys.exit("%d server, %d client events" % (len(s), len(c)))
    for f in c:
        nxt, una, cwnd, inf = int(f[4]), int(f[5]), int(f[6]), int(f[8])
        if una > nxt or inf > nxt - una or not cwnd:
            bad.append("snd_una %d snd_nxt %d in_flight %d cwnd %d" % (una, nxt, inf, cwnd))
    # every byte once, and again if it was resent (a tail loss probe)
    sbytes = sum(int(f[3]) for f in s)
    if not n <= sbytes <= n + resent:
        bad.append("the server's data_len add up to %d, %d resent" % (sbytes, resent))
    unas = [int(f[5]) for f in c]
    if unas != sorted(unas):
        bad.append("snd_una went back")
    last = c[-1]
    if int(last[5]) != int(last[4]):
        bad.append("last snd_una %s snd_nxt %s" % (last[5], last[4]))
    # the first ACK takes some data, the last one the FIN: at most n + 1
    if not 0 < unas[-1] - unas[0] <= n + 1:
        bad.append("snd_una moved %d" % (unas[-1] - unas[0]))
    if len({f[9] for f in c}) != 1 or len({f[9] for f in s}) != 1 or c[0][9] == s[0][9]:
        bad.append("not one cookie a socket")
    if not int(last[7]):
        bad.append("no srtt")
    print("%d server, %d client events, %d bytes (%d resent); client snd_una +%d, srtt %s us%s" %
          (len(s), len(c), sbytes, resent, unas[-1] - unas[0], last[7],
           "".join("; " + b for b in bad[:5])))
    sys.exit(1 if bad else 0)

def retransmit(srv, cli, n, want):
    """P src dest snd_una / R family src dest state ca_state seq end_seq"""
    n, want, bad, una, r = int(n), int(want), [], 0, []
    states = ("TCP_SYN_SENT", "TCP_ESTABLISHED", "TCP_FIN_WAIT1", "TCP_CLOSING",
              "TCP_CLOSE_WAIT", "TCP_LAST_ACK")
    for line in sys.stdin:
        f = line.split()
        if f[0] == "P":
            if f[2] == srv:
                una = max(una, int(f[3]))
            continue
        if f[2] == srv:
            continue	# the server resending its FIN
        if f[1] != "AF_INET" or not f[2].startswith(cli) or f[3] != srv:
            bad.append("addresses %s %s>%s" % tuple(f[1:4]))
        if f[4] not in states:
            bad.append("state " + f[4])
        if f[5] not in ("TERN_CA_OPEN", "TERN_CA_RECOVERY", "TERN_CA_LOSS"):
            bad.append("ca_state " + f[5])
        r.append((int(f[6]), int(f[7])))
    # the last ACK takes the FIN: the ISN is n + 2 behind it
    isn = una - n - 2
    for seq, end in r:
        if not isn <= seq < end <= isn + n + 2 or end - seq > 65536:
            bad.append("[%d, %d) outside [%d, %d)" % (seq, end, isn, isn + n + 2))
    if len(r) != want or not r:
        bad.append("%d events, TernRetransSegs +%d" % (len(r), want))
    print("%d resends in [ISN, ISN + %d)%s" % (len(r), n + 2,
          "".join("; " + b for b in bad[:5])))
    sys.exit(1 if bad else 0)

{"probe": probe, "retransmit": retransmit}[sys.argv[1]](*sys.argv[2:])
EOF

# py NETNS ARGS...: sock.py in NETNS ("" for this one)
py() {
	local run=()

	[ -n "$1" ] && run=(ip netns exec "$1")
	timeout 20 "${run[@]}" "$PY" "$dir/sock.py" "${@:2}"
}

# py_pair FAMILY PORT SERVER-MODE CLIENT-MODE CPORT: the Python server in
# A, its client in B from port CPORT
py_pair() {
	local fam=$1 port=$2 smode=$3 cmode=$4 cport=$5 sa=192.0.2.1 ca=192.0.2.2 spid out

	[ "$fam" = 6 ] && sa=2001:db8::1 ca=2001:db8::2
	rm -f "$dir/ready"
	py "$A" server "$fam" "$sa" "$port" "$dir/ready" "$smode" 2>"$dir/py.err" &
	spid=$!
	slowwait "$WAIT_S" test -e "$dir/ready" || err "the Python server never listened"
	out=$(py "$B" "$cmode" "$fam" "$ca" "$cport" "$sa" "$port" 2>&1) ||
		err "Python client ($cmode): $out"
	wait "$spid" || err "Python server ($smode): $(cat "$dir/py.err")"
}

# transfer FAMILY PORT BYTES: BYTES from B to A with tern_connect, none back
transfer() {
	local fam=$1 port=$2 bytes=$3 addr=192.0.2.1 spid

	[ "$fam" = 6 ] && addr=2001:db8::1
	head -c "$bytes" /dev/urandom >"$dir/in"
	: >"$dir/empty"
	rm -f "$dir/ready" "$dir/out"
	timeout 90 ip netns exec "$A" "$conn" -l -"$fam" -p "$port" -w 60 \
		--ready "$dir/ready" -i "$dir/empty" -o "$dir/out" "$addr" 2>"$dir/slog" &
	spid=$!
	slowwait "$WAIT_S" test -e "$dir/ready" || err "the server never listened"
	timeout 90 ip netns exec "$B" "$conn" -"$fam" -p "$port" -w 60 \
		-i "$dir/in" -o /dev/null "$addr" 2>"$dir/clog" ||
		err "client: $(cat "$dir/clog")"
	wait "$spid" || err "server: $(cat "$dir/slog")"
	cmp -s "$dir/in" "$dir/out" || err "the server received other bytes than the client sent"
	# every socket gone (TIME_WAIT included): all its events are in
	slowwait "$WAIT_S" tern_sockets_are "$A" 0 && slowwait "$WAIT_S" tern_sockets_are "$B" 0 ||
		err "Tern sockets left after the transfer"
}

# the tern system holds exactly the six events, each with the fields of
# module/trace.h
case_events() {
	local got e f want

	got=$(cd "$T/events/tern" && for e in *; do [ -d "$e" ] && echo "$e"; done | tr '\n' ' ')
	[ "$got" = "${EVENTS[*]} " ] || err "events/tern holds '$got', want '${EVENTS[*]}'"
	declare -A fields=(
		[tern_probe]="saddr daddr sport dport family mark data_len snd_nxt snd_una snd_cwnd ssthresh snd_wnd srtt rcv_wnd sock_cookie in_flight pacing_rate ca_state skbaddr skaddr"
		[tern_retransmit_skb]="skbaddr skaddr state ca_state sport dport family saddr daddr seq end_seq"
		[tern_send_reset]="skbaddr skaddr state sport dport family saddr daddr"
		[tern_receive_reset]="skaddr state sport dport family saddr daddr sock_cookie"
		[tern_set_state]="skaddr oldstate newstate sport dport family saddr daddr"
		[tern_bad_csum]="skbaddr sport dport family saddr daddr"
	)
	for e in "${EVENTS[@]}"; do
		f="$T/events/tern/$e/format"
		# the event's own fields, after the common_* ones
		got=$(sed -n 's/^\tfield:\(.*\);\toffset.*/\1/p' "$f" | grep -v common_ |
		      sed 's/\[.*\]//; s/.* //' | tr '\n' ' ')
		want="${fields[$e]} "
		[ "$got" = "$want" ] || err "$e: fields '$got', want '$want'"
	done
}

# tern_probe: every ACK taken, at both ends of a transfer. The server
# takes every data segment (each carries an ACK): their lengths add up to
# the bytes sent, and those sent again (tern_retransmit_skb). The client's
# ACKs move snd_una to snd_nxt, its FIN included.
case_probe() {
	local fam=$1 port=$2 n=$PROBE_BYTES s=192.0.2.1 c=192.0.2.2 out

	[ "$fam" = 6 ] && s='[2001:db8::1]' c='[2001:db8::2]'
	ev_on tern_probe tern_retransmit_skb || return
	transfer "$fam" "$port" "$n"
	ev_read
	out=$( { ev_fields tern_probe family src dest data_len snd_nxt snd_una snd_cwnd srtt in_flight sock_cookie |
		 sed 's/^/P /'
		 ev_fields tern_retransmit_skb src seq end_seq | awk -v c="$c:" 'index($1, c) == 1 { print "R", $2, $3 }'; } |
	      "$PY" "$dir/check.py" probe "$fam" "$s:$port" "$c:" "$n") ||
		{ err "tern_probe: $out"; diag_trace 10; }
	echo "# $out"
}

# tern_retransmit_skb: netem drops some of the client's segments; each
# resend is an event, as many as TernRetransSegs counts, its range inside
# what the client sent: [ISN, ISN + bytes + 2), the ISN from the last ACK
# (tern_probe), which takes the FIN.
case_retransmit() {
	local port=5300 n=$LOSS_BYTES before after out

	tc -n "$B" qdisc add dev tv2 root netem loss "$LOSS" ||
		{ err "tc netem loss $LOSS"; return; }
	before=$(tern_counter "$B" TernRetransSegs)
	ev_on tern_probe tern_retransmit_skb || return
	transfer 4 "$port" "$n"
	ev_read
	after=$(tern_counter "$B" TernRetransSegs)
	tc -n "$B" qdisc del dev tv2 root || err "tc qdisc del"
	out=$( { ev_fields tern_probe src dest snd_una | sed 's/^/P /'
		 ev_fields tern_retransmit_skb family src dest state ca_state seq end_seq | sed 's/^/R /'; } |
	      "$PY" "$dir/check.py" retransmit "192.0.2.1:$port" 192.0.2.2: "$n" $((after - before))) ||
		{ err "tern_retransmit_skb: $out"; diag_trace 10; }
	echo "# $out"
}

# tern_send_reset without a socket (A's answer to a SYN for a closed
# port: the SYN's addresses reversed), tern_receive_reset in B's SYN_SENT
case_reset_refused() {
	local fam=$1 s=192.0.2.1 c=192.0.2.2 out

	[ "$fam" = 6 ] && s=2001:db8::1 c=2001:db8::2
	ev_on tern_send_reset tern_receive_reset || return
	out=$(py "$B" refused "$fam" "$c" "4100$fam" "$s" 7 2>&1) || err "connect: $out"
	ev_read
	[ "$fam" = 6 ] && s="[$s]" c="[$c]"
	out=$(ev_fields tern_send_reset family src dest state)
	[ "$out" = "AF_INET$([ "$fam" = 6 ] && echo 6) $s:7 $c:4100$fam UNKNOWN" ] ||
		err "tern_send_reset: '$out'"
	out=$(ev_fields tern_receive_reset family src dest state)
	[ "$out" = "AF_INET$([ "$fam" = 6 ] && echo 6) $c:4100$fam $s:7 TCP_SYN_SENT" ] ||
		err "tern_receive_reset: '$out'"
	[ ${#ERRS[@]} = 0 ] || diag_trace
}

# an abort (SO_LINGER 0): tern_send_reset from B's socket, A's connection
# takes it
case_reset_abort() {
	local out

	ev_on tern_send_reset tern_receive_reset || return
	py_pair 4 5400 abort abort 41010
	ev_read
	out=$(ev_fields tern_send_reset family src dest state)
	[ "$out" = "AF_INET 192.0.2.2:41010 192.0.2.1:5400 TCP_ESTABLISHED" ] ||
		err "tern_send_reset: '$out'"
	out=$(ev_fields tern_receive_reset family src dest state)
	[ "$out" = "AF_INET 192.0.2.1:5400 192.0.2.2:41010 TCP_ESTABLISHED" ] ||
		err "tern_receive_reset: '$out'"
	[ ${#ERRS[@]} = 0 ] || diag_trace
}

# tern_set_state, and sock:inet_sock_set_state beside it: every change of
# the client, the listener and the connection it made, in order (the
# client closes first)
case_set_state() {
	local fam=$1 port=$2 s=192.0.2.1 c=192.0.2.2 got want e

	[ "$fam" = 6 ] && s='[2001:db8::1]' c='[2001:db8::2]'
	ev_on tern_set_state sock/inet_sock_set_state || return
	py_pair "$fam" "$port" eof close "4102$fam"
	slowwait "$WAIT_S" tern_sockets_are "$B" 0 || err "the client's TIME_WAIT stays"
	ev_read
	for e in client listener server; do
		case $e in
		client)
			got=$(ev_fields tern_set_state src dest oldstate newstate |
			      awk -v a="$c:4102$fam" '$1 == a { print $3 ">" $4 }' | tr '\n' ' ')
			want="TCP_CLOSE>TCP_SYN_SENT TCP_SYN_SENT>TCP_ESTABLISHED TCP_ESTABLISHED>TCP_FIN_WAIT1 TCP_FIN_WAIT1>TCP_FIN_WAIT2 TCP_FIN_WAIT2>TCP_CLOSE " ;;
		listener)
			got=$(ev_fields tern_set_state src dest oldstate newstate |
			      awk -v a="$s:$port" '$1 == a && $2 ~ /:0$/ { print $3 ">" $4 }' | tr '\n' ' ')
			want="TCP_CLOSE>TCP_LISTEN TCP_LISTEN>TCP_CLOSE " ;;
		server)
			got=$(ev_fields tern_set_state src dest oldstate newstate |
			      awk -v a="$s:$port" -v b="$c:4102$fam" '$1 == a && $2 == b { print $3 ">" $4 }' |
			      tr '\n' ' ')
			want="TCP_SYN_RECV>TCP_ESTABLISHED TCP_ESTABLISHED>TCP_CLOSE_WAIT TCP_CLOSE_WAIT>TCP_LAST_ACK TCP_LAST_ACK>TCP_CLOSE " ;;
		esac
		[ "$got" = "$want" ] || err "$e: tern_set_state '$got', want '$want'"
	done
	# the generic event saw the same changes (protocol 253), and one
	# more: inet_csk_clone_lock() makes the server's connection, a copy
	# of the listener, SYN_RECV
	got=$(ev_count tern_set_state)
	e=$(grep -c ' inet_sock_set_state: .*protocol=0xfd' "$dir/trace")
	[ "$got" = 11 ] && [ "$e" = 12 ] ||
		err "$got tern_set_state events, $e sock:inet_sock_set_state, want 11 and 12"
	e=$(grep -c ' inet_sock_set_state: .*protocol=0xfd.* oldstate=TCP_LISTEN newstate=TCP_SYN_RECV' "$dir/trace")
	[ "$e" = 1 ] || err "$e sock:inet_sock_set_state LISTEN to SYN_RECV, want 1"
	[ ${#ERRS[@]} = 0 ] || diag_trace 30
}

# tern_bad_csum: crafted segments with a wrong checksum, the addresses and
# ports they carry, one event per segment counted in TernInCsumErrors
case_bad_csum() {
	local fam=$1 s=192.0.2.1 c=192.0.2.2 before after out

	[ "$fam" = 6 ] && s=2001:db8::1 c=2001:db8::2
	before=$(tern_counter "$A" TernInCsumErrors)
	ev_on tern_bad_csum || return
	out=$(ip netns exec "$B" "$inject" -"$fam" -s "$c" -d "$s" --sport 40007 \
		--dport 5007 --seq 777 --len 10 --bad-csum --count 3 2>&1) || err "tern_inject: $out"
	slowwait "$WAIT_S" bash -c "[ \$(ip netns exec $A awk '\$1 == \"TernInCsumErrors\" { print \$2 }' /proc/net/tern/snmp) = $((before + 3)) ]" ||
		err "TernInCsumErrors did not grow by 3"
	ev_read
	[ "$fam" = 6 ] && s="[$s]" c="[$c]"
	out=$(ev_fields tern_bad_csum family src dest | sort | uniq -c | sed 's/^ *//')
	[ "$out" = "3 AF_INET$([ "$fam" = 6 ] && echo 6) $c:40007 $s:5007" ] ||
		err "tern_bad_csum: '$out'"
	after=$(tern_counter "$A" TernInCsumErrors)
	[ $((after - before)) = 3 ] || err "TernInCsumErrors +$((after - before))"
}

# bpftrace lists the events and sums tern_probe's data_len over a transfer
# (each start costs bpftrace seconds of compiling: the listing alone
# tells whether it can see the tracepoints at all)
bpftrace_usable() {
	command -v bpftrace >/dev/null || { echo "bpftrace is not installed"; return 1; }
	timeout 60 bpftrace -l 'tracepoint:tern:*' >"$dir/bt.list" 2>"$dir/bt.err" &&
		[ -s "$dir/bt.list" ] ||
		{ echo "bpftrace does not list the tracepoints here: $(head -n1 "$dir/bt.err")"; return 1; }
}

case_bpftrace() {
	local got n=$PROBE_BYTES spid

	got=$(sed 's/^tracepoint:tern://' "$dir/bt.list" | sort | tr '\n' ' ')
	[ "$got" = "${EVENTS[*]} " ] || err "bpftrace -l lists '$got'"
	head -c "$n" /dev/urandom >"$dir/in"
	: >"$dir/empty"
	rm -f "$dir/ready"
	timeout 90 ip netns exec "$A" "$conn" -l -4 -p 5500 -w 60 --ready "$dir/ready" \
		-i "$dir/empty" -o /dev/null 192.0.2.1 2>"$dir/slog" &
	spid=$!
	slowwait "$WAIT_S" test -e "$dir/ready" || err "the server never listened"
	# the client runs under bpftrace, which prints the maps as it ends
	timeout 120 bpftrace -e 'tracepoint:tern:tern_probe { @acks = count(); @bytes = sum(args->data_len); }' \
		-c "$(command -v ip) netns exec $B $conn -4 -p 5500 -w 60 -i $dir/in -o /dev/null 192.0.2.1" \
		>"$dir/bt.out" 2>&1 || err "bpftrace: $(tail -n3 "$dir/bt.out")"
	wait "$spid" || err "server: $(cat "$dir/slog")"
	got=$(awk '$1 == "@bytes:" { print $2 }' "$dir/bt.out")
	[ "$got" = "$n" ] || err "bpftrace: tern_probe data_len sums to '$got', want $n"
	echo "# bpftrace: $(grep '^@' "$dir/bt.out" | tr '\n' ' ')"
}

# perf record -e tern:tern_probe over a transfer, perf script reads it
perf_usable() {
	command -v perf >/dev/null || { echo "perf is not installed"; return 1; }
	timeout 60 perf record -q -e tern:tern_probe -a -o "$dir/perf.test" -- true \
		>"$dir/perf.err" 2>&1 ||
		{ echo "perf record does not work here: $(grep -v '^$' "$dir/perf.err" | head -n1)"; return 1; }
}

case_perf() {
	local got n=$PROBE_BYTES spid

	head -c "$n" /dev/urandom >"$dir/in"
	: >"$dir/empty"
	rm -f "$dir/ready"
	timeout 90 ip netns exec "$A" "$conn" -l -4 -p 5600 -w 60 --ready "$dir/ready" \
		-i "$dir/empty" -o /dev/null 192.0.2.1 2>"$dir/slog" &
	spid=$!
	slowwait "$WAIT_S" test -e "$dir/ready" || err "the server never listened"
	timeout 120 perf record -q -e tern:tern_probe -a -o "$dir/perf.data" -- \
		ip netns exec "$B" "$conn" -4 -p 5600 -w 60 -i "$dir/in" -o /dev/null 192.0.2.1 \
		>"$dir/perf.out" 2>&1 || err "perf record: $(tail -n3 "$dir/perf.out")"
	wait "$spid" || err "server: $(cat "$dir/slog")"
	timeout 60 perf script -i "$dir/perf.data" >"$dir/perf.txt" 2>"$dir/perf.err" ||
		err "perf script: $(head -n3 "$dir/perf.err")"
	got=$(grep 'tern:tern_probe' "$dir/perf.txt" | grep -o 'data_len=[0-9]*' |
	      awk -F= '{ s += $2 } END { print s + 0 }')
	[ "$got" = "$n" ] || { err "perf script: tern_probe data_len sums to '$got', want $n"; head -n3 "$dir/perf.txt" | sed 's/^/#   /'; }
	echo "# perf: $(grep -c 'tern:tern_probe' "$dir/perf.txt") tern_probe events"
}

# rmmod with every event enabled: the module goes, its events with it,
# the buffer stays readable; loaded again, the events are back and fire
case_rmmod() {
	local out

	ev_on "${EVENTS[@]}" || return
	transfer 4 5700 1000
	topo_remove
	slowwait 10 bash -c 'rmmod tern 2>/dev/null; ! grep -q "^tern " /proc/modules' ||
		{ err "rmmod tern with its events enabled: $(rmmod tern 2>&1)"; return; }
	[ ! -e "$T/events/tern" ] || err "events/tern outlives the module"
	[ ! -e "$I/events/tern" ] || err "the instance's events/tern outlives the module"
	cat "$I/trace" >/dev/null || err "the buffer cannot be read after rmmod"
	tern_load || { err "modprobe tern again"; return; }
	[ -e "$I/events/tern/tern_set_state/enable" ] || { err "no events/tern after modprobe"; return; }
	ev_on tern_set_state || return
	out=$(py "" listen 4 2>&1) || err "listen: $out"
	ev_read
	out=$(ev_fields tern_set_state oldstate newstate | tr '\n' ' ')
	[ "$out" = "TCP_CLOSE TCP_LISTEN TCP_LISTEN TCP_CLOSE " ] ||
		err "tern_set_state after reload: '$out'"
}

# a case with no topology of its own
run_bare_case() {
	local name=$1

	shift
	ERRS=()
	tern_case "$name"
	"$@"
	echo 0 >"$I/events/enable"
	tern_report_errs
}

tern_test_begin
run_bare_case events case_events
tern_run_case probe_v4 case_probe 4 5100
tern_run_case probe_v6 case_probe 6 5101
tern_run_case retransmit case_retransmit
tern_run_case reset_refused_v4 case_reset_refused 4
tern_run_case reset_refused_v6 case_reset_refused 6
tern_run_case reset_abort case_reset_abort
tern_run_case set_state_v4 case_set_state 4 5800
tern_run_case set_state_v6 case_set_state 6 5801
tern_run_case bad_csum_v4 case_bad_csum 4
tern_run_case bad_csum_v6 case_bad_csum 6
if ! tern_in_sample bpftrace; then
	:
elif why=$(bpftrace_usable); then
	tern_run_case bpftrace case_bpftrace
else
	tern_case bpftrace
	tern_skip "$why"
fi
if ! tern_in_sample perf; then
	:
elif why=$(perf_usable); then
	tern_run_case perf case_perf
else
	tern_case perf
	tern_skip "$why"
fi
tern_run_case rmmod_enabled case_rmmod
tern_test_end
