#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hardening cases across two namespaces, A (client) and B (server), joined
# by a veth pair (192.0.2.1/24 and 2001:db8::1/64 in A, 192.0.2.2/24 and
# 2001:db8::2/64 in B). The small programs are python3, given to it inline.
#
#   ip_options_children_v4, ipv6_options_children,
#   ip_options_children_v4mapped
#	A listener with options of its own (IP_OPTIONS: three NOPs and an
#	END; IPv6: sticky IPV6_HOPOPTS and IPV6_DSTOPTS of padding; the last
#	case an IPv6 listener with IP_OPTIONS taking IPv4 peers) accepts 50
#	connections and exchanges a byte on each; half of them close, the
#	others exchange one more byte some seconds later (after the first
#	ones are freed) and close, then the listener closes. Nothing may
#	turn up in the kernel log (no child may free or use the listener's
#	options block).
#   time_wait_reconnect, time_wait_reconnect_tcp
#	The server closes first and holds TIME_WAIT (its tw_timeout_ms at
#	the default 60000); the client binds the same port again
#	(SO_REUSEADDR) and connects at once with 2 SYN retries (TERN_SYNCNT,
#	TCP_SYNCNT for the TCP reference). The new SYN lies beyond the old
#	connection's sequence space: it must end the TIME_WAIT and the
#	connection must be made.
#   broadcast_dest_dropped
#	Segments in unicast Ethernet frames to B's MAC (AF_PACKET from A),
#	addressed to the subnet broadcast, the limited broadcast, 224.0.0.1
#	and ff02::1: each is dropped and counted in TernInAddrErrors, and no
#	reset goes back. The same frames to B's unicast addresses are the
#	control: taken, no socket, answered with a reset.
#   netns_delete_frees_everything
#	In B, listeners, senders blocked on peers that do not read, orphans
#	with unsent data and TIME_WAIT sockets (default 60 s), a hundred
#	of each kind; the link is cut, every process killed, both
#	namespaces deleted together with an empty one: within 10 s of the
#	empty one (how long dismantling takes here) both are gone (a veth
#	whose other end is in each namespace disappears from the initial
#	one) and tern unloads. tern is loaded again afterwards.
#
# Every case checks the kernel log from its start, so a splat fails the
# case that caused it. Every wait is bounded.
#
# Environment: TERN_HARDEN_CASES, an extended regular expression: run only
# the cases whose name matches it.
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip python3 ss sysctl timeout

WAIT_S=5	# the longest any single expected event may take
A=
B=
E=		# netns_delete_frees_everything's empty control namespace
REFCNT0=0
ERRS=()
BG=()		# background processes of the current case
KLOG_MARK=
KLOG_N=0

err() { ERRS+=("$*"); }

# Mark the kernel log: klog_check looks at what follows.
klog_mark() {
	KLOG_N=$((KLOG_N + 1))
	KLOG_MARK="harden_test[$$]: case $KLOG_N $TERN_CASE"
	echo "$KLOG_MARK" >/dev/kmsg 2>/dev/null || KLOG_MARK=
}

# Anything bad in the kernel log since klog_mark goes to ERRS.
klog_check() {
	local found line

	[ -n "$KLOG_MARK" ] || return 0
	found=$(dmesg 2>/dev/null | awk -v m="$KLOG_MARK" '
		index($0, m) { on = 1; next }
		on && /WARNING:|BUG:|Oops|KASAN:|UBSAN:|KFENCE:|general protection fault|refcount_t:|list_add corruption|list_del corruption|double free|Call Trace:/' |
		head -n 20)
	[ -z "$found" ] && return 0
	err "the kernel log has reports since the case began:"
	while IFS= read -r line; do err "  $line"; done <<<"$found"
}

topo_up() {
	A=
	B=
	BG=()
	REFCNT0=$(refcnt)
	klog_mark
	setup_ns A B || { err "setup_ns failed"; return 1; }
	tern_veth_pair "$A" "$B" || { err "cannot build the A-B veth pair"; return 1; }
}

refcnt() { cat /sys/module/tern/refcnt 2>/dev/null || echo unloaded; }
# the module's references are back to what they were when the case began
refcnt_back() {
	local r

	r=$(refcnt)
	[ "$r" = unloaded ] || [ "$REFCNT0" = unloaded ] || [ "$r" -le "$REFCNT0" ]
}

topo_down() {
	local pid w t0

	for pid in "${BG[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	BG=()
	for w in ternw-a ternw-b ternw-e; do
		ip link del "$w" 2>/dev/null
	done
	tern_ns_remove "$A" "$B" "$E"
	A=
	B=
	E=
	# sockets left in the deleted namespaces would fail a later case's
	# rmmod or count: wait for them here (at most a TIME_WAIT or an
	# orphan's user timeout)
	t0=$SECONDS
	if ! refcnt_back; then
		slowwait 130 refcnt_back
		err "Tern sockets outlived the case's namespaces by $((SECONDS - t0)) s (module refcnt $(refcnt), $REFCNT0 when the case began)"
	fi
	klog_check
}

run_case() {
	[[ $1 =~ ${TERN_HARDEN_CASES:-.} ]] || return 0
	if ! command -v python3 >/dev/null; then
		tern_case "$1"
		tern_skip "python3 is missing"
		return
	fi
	if [[ $1 = *_tcp ]]; then
		tern_run_reference_case "$@"
	else
		tern_run_case "$@"
	fi
}

file_has() { grep -qE "$2" "$1" 2>/dev/null; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
ready_or_gone() { file_has "$1" '^ready' || pid_gone "$2"; }	# FILE PID

# wait_pid PID SECONDS: wait for PID to end (its status), kill it if it
# does not
wait_pid() {
	if ! slowwait "$2" pid_gone "$1"; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		return 124
	fi
	wait "$1"
}

# bg_in NS OUT SCRIPT ARGS...: python3 SCRIPT in NS, in the background,
# output to OUT; its pid in BG and BG_PID
bg_in() {
	local ns=$1 out=$2 script=$3

	shift 3
	ip netns exec "$ns" python3 -c "$script" "$@" >"$out" 2>&1 &
	BG_PID=$!
	BG+=("$BG_PID")
}

oneline() { tr '\n' ' ' <"$1"; }

# ---------------------------------------------------------------------
# Listener options and children

# The listener: ARGS family (4, 6) kind (ip, v6, ip+v6) port count. IPv6
# listeners take IPv4 peers too.
py_opt_server='
import socket, sys, time
fam, kind, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
s = socket.socket(af, socket.SOCK_STREAM, 253)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if af == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
if "ip" in kind:
    opt = b"\x01\x01\x01\x00"
    s.setsockopt(socket.SOL_IP, socket.IP_OPTIONS, opt)
    got = s.getsockopt(socket.SOL_IP, socket.IP_OPTIONS, 40)
    if got != opt:
        sys.exit("IP_OPTIONS reads back as %r" % got)
if "v6" in kind:
    pad = b"\x00\x00\x01\x04\x00\x00\x00\x00"  # 8 bytes: PadN of 4
    for o in (socket.IPV6_HOPOPTS, socket.IPV6_DSTOPTS):
        s.setsockopt(socket.IPPROTO_IPV6, o, pad)
        got = s.getsockopt(socket.IPPROTO_IPV6, o, 64)
        if len(got) != 8:
            sys.exit("IPv6 option %d reads back as %r" % (o, got))
s.bind(("::" if af == socket.AF_INET6 else "0.0.0.0", port))
s.listen(n)
s.settimeout(300)
print("ready", flush=True)
conns = []
for i in range(n):
    c, _ = s.accept()
    c.settimeout(300)
    conns.append(c)
def ping(c, b):
    c.sendall(b)
    got = c.recv(1)
    if got != b:
        sys.exit("echo: %r, want %r" % (got, b))
for c in conns:
    ping(c, b"a")
half = n // 2
for c in conns[:half]:
    c.close()
# TIME_WAIT is 1 s and kfree_rcu() batches for up to 5 s: by now the
# first children are freed, with whatever they held
time.sleep(8)
for c in conns[half:]:
    ping(c, b"b")
for c in conns[half:]:
    c.close()
s.close()
print("done %d" % n, flush=True)
'

# The clients: ARGS family addr port count. Echo each byte, close on EOF.
py_opt_client='
import select, socket, sys
fam, addr, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
cs = []
for i in range(n):
    c = socket.socket(af, socket.SOCK_STREAM, 253)
    c.settimeout(300)
    c.connect((addr, port))
    cs.append(c)
left = set(cs)
echoed = 0
while left:
    r, _, _ = select.select(list(left), [], [], 300)
    if not r:
        sys.exit("%d connections silent for 300 s" % len(left))
    for c in r:
        b = c.recv(1)
        if b:
            c.sendall(b)
            echoed += 1
        else:
            c.close()
            left.discard(c)
print("done %d echoed %d" % (n, echoed), flush=True)
'

# listener_options SRVFAMILY KIND CLIENTFAMILY ADDR
listener_options() {
	local sfam=$1 kind=$2 cfam=$3 addr=$4 n=${TERN_HARDEN_CHILDREN:-50} port=7200 sout cout rc

	if ! ip netns exec "$A" sysctl -qw net.tern.tw_timeout_ms=1000 ||
	   ! ip netns exec "$B" sysctl -qw net.tern.tw_timeout_ms=1000; then
		err "cannot set net.tern.tw_timeout_ms"
		return
	fi
	sout=$(mktemp)
	cout=$(mktemp)
	bg_in "$B" "$sout" "$py_opt_server" "$sfam" "$kind" "$port" "$n"
	if ! slowwait 120 file_has "$sout" '^ready'; then
		err "the listener did not start: $(oneline "$sout")"
		rm -f "$sout" "$cout"
		return
	fi
	ip netns exec "$A" timeout -k 5 900 python3 -c "$py_opt_client" \
		"$cfam" "$addr" "$port" "$n" >"$cout" 2>&1
	rc=$?
	[ "$rc" = 0 ] || err "clients: exit $rc: $(oneline "$cout")"
	wait_pid "$BG_PID" 120
	rc=$?
	[ "$rc" = 0 ] || err "listener: exit $rc: $(oneline "$sout")"
	grep -q "^done $n echoed $((n + n / 2))\$" "$cout" ||
		err "clients: $(oneline "$cout"), want $n done, $((n + n / 2)) echoed"
	echo "# $TERN_CASE: listener: $(oneline "$sout")| clients: $(oneline "$cout")"
	rm -f "$sout" "$cout"
	slowwait 30 tern_sockets_are "$B" 0 ||
		err "$(tern_sockets_in_use "$B") Tern sockets left in B"
	slowwait 30 tern_sockets_are "$A" 0 ||
		err "$(tern_sockets_in_use "$A") Tern sockets left in A"
	# the last frees are batched by kfree_rcu() for up to 5 s
	sleep 6
}

case_ip_options_children_v4() { listener_options 4 ip 4 192.0.2.2; }
case_ipv6_options_children() { listener_options 6 v6 6 2001:db8::2; }
case_ip_options_children_v4mapped() { listener_options 6 ip+v6 4 192.0.2.2; }

# ---------------------------------------------------------------------
# TIME_WAIT on the server, reconnect from the same port

# ARGS proto port: accept one connection, read a byte, close first; then
# accept the reconnect and echo a byte on it.
py_tw_server='
import socket, sys
proto, port = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(4)
s.settimeout(300)
print("ready", flush=True)
c, peer = s.accept()
c.settimeout(300)
if c.recv(1) != b"a":
    sys.exit("first connection: no byte")
c.close()
print("first from port %d closed" % peer[1], flush=True)
try:
    c, peer2 = s.accept()
except socket.timeout:
    sys.exit("no second connection")
c.settimeout(300)
b = c.recv(1)
c.sendall(b)
if c.recv(1) != b"":
    sys.exit("second connection: more than a byte")
c.close()
print("second from port %d served" % peer2[1], flush=True)
'

# ARGS proto addr port gofile: connect, send a byte, wait for the server
# to close, close. Once GOFILE exists (the caller has seen the server's
# TIME_WAIT), bind the same port again and connect at once with 2 SYN
# retries (TERN_SYNCNT and TCP_SYNCNT are both 7); echo a byte.
py_tw_client='
import errno, os, socket, sys, time
proto, addr, port, go = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.settimeout(300)
c.connect((addr, port))
lport = c.getsockname()[1]
c.sendall(b"a")
if c.recv(1) != b"":
    sys.exit("data instead of the end of the stream")
c.close()
closed = time.monotonic()
print("first from port %d closed" % lport, flush=True)
while not os.path.exists(go):
    if time.monotonic() > closed + 300:
        sys.exit("not told to reconnect")
    time.sleep(0.05)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
c.setsockopt(proto, 7, 2)
c.bind(("192.0.2.1", lport))
c.settimeout(300)
t0 = time.monotonic()
try:
    c.connect((addr, port))
except OSError as e:
    sys.exit("reconnect from port %d, %.1f s after the close: %s after %.1f s" %
             (lport, t0 - closed, errno.errorcode.get(e.errno, e.errno), time.monotonic() - t0))
t1 = time.monotonic() - t0
c.sendall(b"b")
if c.recv(1) != b"b":
    sys.exit("no echo on the new connection")
c.close()
print("reconnected from port %d, %.1f s after the close, in %.1f s" % (lport, t0 - closed, t1))
'

# tw_listed PROTO NS LOCAL REMOTE: NS has a TIME_WAIT socket LOCAL REMOTE
tw_listed() {
	if [ "$1" = tern ]; then
		ip netns exec "$2" grep -q "^$3 $4 TIME-WAIT" /proc/net/tern/sockets
	else
		ip netns exec "$2" ss -Htn state time-wait src "$3" dst "$4" | grep -q .
	fi
}

# port_unused PROTO NS PORT: no socket of NS has local port PORT
port_unused() {
	if [ "$1" = tern ]; then
		! ip netns exec "$2" grep -q "^[^ ]*:$3 " /proc/net/tern/sockets
	else
		[ -z "$(ip netns exec "$2" ss -Htan "( sport = :$3 )")" ]
	fi
}

tw_reconnect() {
	local proto=$1 pnum=253 port=7300 sout cout go spid cpid lport rc gap
	local seg0 syn0 seg1 syn1

	[ "$proto" = tcp ] && pnum=6
	ip netns exec "$A" sysctl -qw net.tern.tw_timeout_ms=1000 ||
		{ err "cannot set net.tern.tw_timeout_ms in A"; return; }
	sout=$(mktemp)
	cout=$(mktemp)
	go=$(mktemp -u)
	bg_in "$B" "$sout" "$py_tw_server" "$pnum" "$port"
	spid=$BG_PID
	if ! slowwait 120 file_has "$sout" '^ready'; then
		err "the server did not start: $(oneline "$sout")"
		rm -f "$sout" "$cout"
		return
	fi
	bg_in "$A" "$cout" "$py_tw_client" "$pnum" 192.0.2.2 "$port" "$go"
	cpid=$BG_PID
	slowwait 300 bash -c "grep -q '^first from port' '$cout' || ! kill -0 $cpid 2>/dev/null"
	lport=$(sed -n 's/^first from port \([0-9]*\) closed$/\1/p' "$cout")
	if [ -z "$lport" ]; then
		err "first connection: $(oneline "$cout")"
		rm -f "$sout" "$cout"
		return
	fi
	slowwait 30 tw_listed "$proto" "$B" 192.0.2.2:$port 192.0.2.1:"$lport" ||
		err "the server did not enter TIME_WAIT for 192.0.2.2:$port 192.0.2.1:$lport"
	slowwait 30 port_unused "$proto" "$A" "$lport" ||
		err "port $lport is still used in A"
	if [ ${#ERRS[@]} != 0 ]; then
		rm -f "$sout" "$cout"
		return
	fi
	seg0=$(tern_counter "$B" TernInSegs)
	syn0=$(tern_counter "$B" TernCookiesSent)
	touch "$go"
	wait_pid "$cpid" 300
	rc=$?
	rm -f "$go"
	echo "# $TERN_CASE: $(oneline "$cout")"
	if [ "$rc" = 0 ]; then
		# the reconnect must have met the TIME_WAIT (60 s), or this
		# proves nothing
		gap=$(sed -n 's/^reconnected from port [0-9]*, \([0-9]*\)\..*/\1/p' "$cout")
		[ "${gap:-99}" -lt 30 ] ||
			err "the reconnect came ${gap:-?} s after the close: the TIME_WAIT may have ended by itself (test void)"
	else
		kill "$spid" 2>/dev/null	# it waits for the reconnect
		err "client: exit $rc: $(oneline "$cout")"
		if [ "$proto" = tern ]; then
			seg1=$(tern_counter "$B" TernInSegs)
			syn1=$(tern_counter "$B" TernCookiesSent)
			err "meanwhile B took $((seg1 - seg0)) segments and sent $((syn1 - syn0)) SYN-ACKs"
			if tw_listed tern "$B" 192.0.2.2:$port 192.0.2.1:"$lport"; then
				err "and still holds TIME_WAIT for the four-tuple: its TIME_WAIT socket dropped the SYNs"
			fi
		fi
	fi
	wait_pid "$spid" 120
	grep -q "^second from port $lport served" "$sout" ||
		err "server: $(oneline "$sout")"
	rm -f "$sout" "$cout"
	if [ "$proto" = tern ] && ! slowwait 75 tern_sockets_are "$B" 0; then
		# a TIME_WAIT left behind lasts 60 s: let it end here, not in
		# a later case's namespace count or rmmod
		err "$(tern_sockets_in_use "$B") Tern sockets left in B 75 s later"
	fi
}

case_time_wait_reconnect() { tw_reconnect tern; }
case_time_wait_reconnect_tcp() { tw_reconnect tcp; }

# ---------------------------------------------------------------------
# Broadcast and multicast destinations in unicast frames

# ARGS ifname srcmac dstmac src dst: one Tern ACK segment (no socket takes
# it: answered with a reset unless dropped) in an Ethernet frame
py_frame='
import socket, struct, sys
ifname, smac, dmac, src, dst = sys.argv[1:6]
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def mac(m):
    return bytes(int(x, 16) for x in m.split(":"))
# sport dport doff flags(ACK) check seq ack window version
seg = struct.pack("!HHBBHQQIB3x", 40000, 5999, 8, 2, 0, 1, 1, 65535, 1)
if ":" in dst:
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    pseudo = s6 + d6 + struct.pack("!I3xB", len(seg), 253)
    seg = seg[:6] + struct.pack("!H", csum(pseudo + seg)) + seg[8:]
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(seg), 253, 64, s6, d6)
    etype = 0x86dd
else:
    s4, d4 = socket.inet_aton(src), socket.inet_aton(dst)
    pseudo = s4 + d4 + struct.pack("!BBH", 0, 253, len(seg))
    seg = seg[:6] + struct.pack("!H", csum(pseudo + seg)) + seg[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0x4000, 64, 253, 0, s4, d4)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    etype = 0x0800
frame = mac(dmac) + mac(smac) + struct.pack("!H", etype) + ip + seg
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
p.bind((ifname, 0))
p.send(frame)
'

# B's counters that tell what became of a segment
ADDR_COUNTERS="TernInSegs TernInAddrErrors TernInNoSocket TernOutRsts"
b_counters() {
	local c out=

	for c in $ADDR_COUNTERS; do
		out="$out $(tern_counter "$B" "$c")"
	done
	echo "${out# }"
}
counters_moved() { [ "$(b_counters)" != "$1" ]; }

# frame_to SRC DST WANT WHAT: send the frame from A to B's MAC; WANT is
# the change of B's ADDR_COUNTERS
frame_to() {
	local src=$1 dst=$2 want=$3 what=$4 before after d i
	local -a b0 b1

	before=$(b_counters)
	ip netns exec "$A" python3 -c "$py_frame" veth-a "$MAC_A" "$MAC_B" "$src" "$dst" ||
		{ err "$what: cannot send the frame"; return; }
	slowwait "$WAIT_S" counters_moved "$before"
	sleep 0.2	# a reset would be counted by now as well
	after=$(b_counters)
	read -ra b0 <<<"$before"
	read -ra b1 <<<"$after"
	d=
	for i in "${!b0[@]}"; do
		d="$d $((b1[i] - b0[i]))"
	done
	d=${d# }
	echo "# $TERN_CASE: $what ($src -> $dst): $d"
	[ "$d" = "$want" ] && return
	case $d in
	"0 0 0 0") err "$what: B counted nothing: the frame did not arrive" ;;
	"1 0 1 1") err "$what: taken as a segment for this host (no socket), answered with a reset" ;;
	"1 0 1 0") err "$what: taken as a segment for this host (no socket); no reset went out" ;;
	esac
	err "$what: B's $ADDR_COUNTERS moved by '$d', want '$want'"
}

case_broadcast_dest_dropped() {
	local taken="1 0 1 1" dropped="0 1 0 0"

	MAC_A=$(ip netns exec "$A" cat /sys/class/net/veth-a/address)
	MAC_B=$(ip netns exec "$B" cat /sys/class/net/veth-b/address)
	frame_to 192.0.2.1 192.0.2.2 "$taken" "control: IPv4 unicast"
	[ ${#ERRS[@]} = 0 ] || { err "the control frame went wrong: a test problem"; return; }
	frame_to 192.0.2.1 192.0.2.255 "$dropped" "subnet broadcast"
	frame_to 192.0.2.1 255.255.255.255 "$dropped" "limited broadcast"
	frame_to 192.0.2.1 224.0.0.1 "$dropped" "IPv4 multicast"
	frame_to 2001:db8::1 2001:db8::2 "$taken" "control: IPv6 unicast"
	frame_to 2001:db8::1 ff02::1 "$dropped" "IPv6 multicast"
}

# ---------------------------------------------------------------------
# Deleting namespaces full of connections

# ARGS port n: listeners (IPv4 and IPv6 stream, IPv4 seqpacket); 3n
# connections on the first, each saying what it is for: M sends until the
# peer's window is shut, O does so too and is closed (an orphan with
# unsent data), T is closed at once (this side closes first: TIME_WAIT).
# The T ones are taken last, so that their TIME_WAIT is young when the
# namespace goes. Each M and O connection has a 120 s TERN_USER_TIMEOUT,
# which bounds how long its socket outlives the test (its probes have no
# answer once the link is cut).
py_mix_server='
import select, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
def listener(af, kind, addr, p):
    s = socket.socket(af, kind, 253)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    s.bind((addr, p))
    s.listen(1024)
    return s
ls = listener(socket.AF_INET, socket.SOCK_STREAM, "0.0.0.0", port)
more = [listener(socket.AF_INET6, socket.SOCK_STREAM, "::", port + 1),
        listener(socket.AF_INET, socket.SOCK_SEQPACKET, "0.0.0.0", port + 2)]
ls.settimeout(300)
print("listening", flush=True)
kinds = {"M": [], "O": [], "T": []}
def take():
    c, _ = ls.accept()
    c.settimeout(300)
    k = c.recv(1).decode()
    if k == "T":
        c.close()
        kinds[k].append(None)
        return
    c.setsockopt(253, 18, 120000)
    c.setblocking(False)
    kinds[k].append(c)
while len(kinds["M"]) < n or len(kinds["O"]) < n:
    take()
senders = kinds["M"] + kinds["O"]
buf = b"z" * 4096
deadline = time.monotonic() + 300
while True:
    if time.monotonic() > deadline:
        sys.exit("the senders could still write after 300 s")
    _, w, _ = select.select([], senders, [], 1.0)
    if not w:
        break   # no sender could write for a second: the windows are shut
    for c in w:
        try:
            while True:
                c.send(buf)
        except BlockingIOError:
            pass
for c in kinds["O"]:
    c.close()
while len(kinds["T"]) < n:
    take()
print("ready %d senders %d orphans %d closed" %
      (len(kinds["M"]), len(kinds["O"]), len(kinds["T"])), flush=True)
time.sleep(1800)
'

# ARGS addr port n: n connections M and n O in turn, then n T; a 4 KiB
# receive buffer, nothing read but the end of the T ones (closed then).
py_mix_client='
import select, socket, sys, time
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held, tw = [], []
for k in "MO" * n + "T" * n:
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.settimeout(300)
    c.connect((addr, port))
    c.sendall(k.encode())
    (tw if k == "T" else held).append(c)
while tw:
    r, _, _ = select.select(tw, [], [], 600)
    if not r:
        sys.exit("%d connections not closed by the server" % len(tw))
    for c in r:
        if c.recv(1) != b"":
            sys.exit("data on a connection the server should close")
        c.close()
        tw.remove(c)
print("ready %d held" % len(held), flush=True)
time.sleep(1800)
'

# mix_counts NS: listeners, established senders with queued data, orphans
# in FIN_WAIT1 with queued data, TIME_WAIT, others
mix_counts() {
	# shellcheck disable=SC2016
	ip netns exec "$1" awk '
		NR > 1 {
			wq = 0
			for (i = 4; i <= NF; i++)
				if ($i ~ /^wq=/)
					wq = substr($i, 4) + 0
			if ($3 == "LISTEN") l++
			else if ($3 == "ESTAB" && wq > 0) e++
			else if ($3 == "FIN-WAIT-1(orphan)" && wq > 0) o++
			else if ($3 ~ /^TIME-WAIT/) w++
			else x++
		}
		END { printf "%d %d %d %d %d\n", l, e, o, w, x }' /proc/net/tern/sockets
}
mix_is() { [ "$(mix_counts "$1")" = "$2" ]; }

link_gone() { ! ip link show dev "$1" >/dev/null 2>&1; }
all_freed() {
	link_gone ternw-a && link_gone ternw-b &&
		{ ! grep -q '^tern ' /proc/modules || rmmod tern 2>/dev/null; }
}

case_netns_delete_frees_everything() {
	local n=${TERN_HARDEN_SOCKS:-100} port=7400 sout cout want got t0 te left msg
	local spid cpid ns

	setup_ns E || { err "setup_ns E failed"; return; }
	if ! ip link add ternw-a type veth peer name w0 netns "$A" ||
	   ! ip link add ternw-b type veth peer name w0 netns "$B" ||
	   ! ip link add ternw-e type veth peer name w0 netns "$E"; then
		err "cannot add the witness veths"
		return
	fi
	ip netns exec "$A" sysctl -qw net.tern.tw_timeout_ms=1000 ||
		{ err "cannot set net.tern.tw_timeout_ms in A"; return; }
	sout=$(mktemp)
	cout=$(mktemp)
	bg_in "$B" "$sout" "$py_mix_server" "$port" "$n"
	spid=$BG_PID
	if ! slowwait 120 file_has "$sout" '^listening'; then
		err "the server did not start: $(oneline "$sout")"
		rm -f "$sout" "$cout"
		return
	fi
	bg_in "$A" "$cout" "$py_mix_client" 192.0.2.2 "$port" "$n"
	cpid=$BG_PID
	slowwait 900 ready_or_gone "$sout" "$spid"
	slowwait 300 ready_or_gone "$cout" "$cpid"
	if ! file_has "$sout" '^ready' || ! file_has "$cout" '^ready'; then
		err "the connections were not set up: server: $(oneline "$sout") client: $(oneline "$cout")"
		rm -f "$sout" "$cout"
		return
	fi
	rm -f "$sout" "$cout"
	want="3 $n $n $n 0"
	slowwait 30 mix_is "$B" "$want"
	got=$(mix_counts "$B")
	echo "# $TERN_CASE: B: listeners, senders, orphans, TIME_WAIT, others: $got"
	if [ "$got" != "$want" ]; then
		err "B has '$got' (listeners, senders with queued data, FIN-WAIT-1 orphans with queued data, TIME_WAIT, others), want '$want'"
		# shellcheck disable=SC2016
		ip netns exec "$B" awk 'NR > 1 { print $3 }' /proc/net/tern/sockets |
			sort | uniq -c | sed 's/^/#   B: /'
		return
	fi

	# nothing from A reaches B from now on (no reset when A's
	# processes die), nothing from B reaches A
	ip -n "$B" link del veth-b || { err "cannot delete veth-b"; return; }
	kill -KILL "$spid" "$cpid" 2>/dev/null
	wait "$spid" "$cpid" 2>/dev/null
	want="0 0 $((2 * n)) $n 0"
	slowwait 30 mix_is "$B" "$want"
	got=$(mix_counts "$B")
	echo "# $TERN_CASE: B once its processes are gone: $got"
	[ "$got" = "$want" ] || { err "B has '$got' once its processes are gone, want '$want'"; return; }

	# E, empty, goes at the same moment: how long dismantling a
	# namespace takes on this machine, with nothing holding it
	for ns in "$E" "$A" "$B"; do
		ip netns del "$ns" || err "ip netns del $ns failed"
		remove_ns_list "$ns"
	done
	A=
	B=
	E=
	t0=$SECONDS
	slowwait 60 link_gone ternw-e || err "even the empty namespace was still there after 60 s"
	te=$((SECONDS - t0))
	if slowwait 10 all_freed; then
		echo "# $TERN_CASE: after the delete, the empty namespace was gone in $te s, A and B gone and tern unloaded in $((SECONDS - t0)) s"
	else
		left=
		link_gone ternw-a || left="$left A"
		link_gone ternw-b || left="$left B"
		msg=$(rmmod tern 2>&1) && msg="it unloaded after all"
		err "$((SECONDS - t0)) s after ip netns del (an empty namespace took $te s): namespaces still there:${left:- none}; tern refcnt $(refcnt); rmmod: $msg"
		# wait for the sockets' own ends (TIME_WAIT 60 s, the
		# orphans' user timeout 120 s), so that nothing outlives the case
		if slowwait 200 all_freed; then
			echo "# $TERN_CASE: everything was released $((SECONDS - t0)) s after the delete"
		else
			err "still not released $((SECONDS - t0)) s after the delete: refcnt $(refcnt)"
		fi
	fi
	tern_load || err "modprobe tern failed"
}

tern_test_begin
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

# The debug kernel's sample leaves out a routing check with no memory at
# stake, and the v4-mapped children (the IPv4 and IPv6 ones take their
# paths).
TERN_SAMPLE_OUT="broadcast_dest_dropped ip_options_children_v4mapped"
run_case broadcast_dest_dropped case_broadcast_dest_dropped
run_case time_wait_reconnect_tcp case_time_wait_reconnect_tcp
run_case time_wait_reconnect case_time_wait_reconnect
run_case netns_delete_frees_everything case_netns_delete_frees_everything
# last: on a stock kernel, today's double free can bring the VM down
run_case ip_options_children_v4 case_ip_options_children_v4
run_case ipv6_options_children case_ipv6_options_children
run_case ip_options_children_v4mapped case_ip_options_children_v4mapped

tern_test_end
