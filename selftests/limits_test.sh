#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What a peer can make the host keep, and its limits (TCP's behaviour):
#   - net.tern.max_tw_buckets: past it a connection closes without
#     TIME_WAIT (TernTimeWaitOverflow), and TCP's tcp_max_tw_buckets does
#     the same in the same namespaces;
#   - net.tern.max_orphans: past it close() resets a connection that
#     still has data to deliver instead of leaving an orphan behind
#     (TernAbortOnMemory), and the peer sees the reset;
#   - tw_small_tern, tw_small_tcp: TIME_WAIT is no socket: with 20
#     connections in TIME_WAIT, the sockstat line counts them as tw and
#     none as a socket in use (Tern: /proc/net/tern/sockstat, TCP:
#     /proc/net/sockstat), and a TIME_WAIT object of the slab cache is
#     less than a quarter of a socket (tern_tw_sock and TERN, TCP's
#     tw_sock_TCP and TCP, in /proc/slabinfo);
#   - tw_rmmod_at_once: 100 connections over IPv4 and IPv6 leave
#     TIME_WAIT in A, every process exits: as soon as the server's side
#     is closed, with the TIME_WAITs still there, rmmod tern succeeds at
#     the first attempt (a TIME_WAIT holds no module reference), and tern
#     is loaded again.
# Two namespaces, A (clients) and B (server), joined by a veth pair
# (192.0.2.1/24 and 2001:db8::1/64 in A, 192.0.2.2/24 and 2001:db8::2/64
# in B).
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip python3 ss sysctl

WAIT_S=5
A=
B=
ERRS=()

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

# A server in B: accepts, reads to EOF (or not at all with "stall"), closes.
# "both" takes IPv6 peers too.
# py_server PROTO MODE
py_server() {
	ip netns exec "$B" python3 - "$1" "$2" <<'EOF' &
import socket, sys
proto, mode = int(sys.argv[1]), sys.argv[2]
if mode == "both":
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM, proto)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
else:
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if mode == "stall":
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
ls.bind(("::", 5300) if mode == "both" else ("192.0.2.2", 5300))
ls.listen(64)
open("/tmp/limits_ready", "w").close()
conns = []
while True:
    c, _ = ls.accept()
    if mode == "stall":
        conns.append(c)        # never read: the client's data stays unsent
        continue
    while c.recv(4096):
        pass
    c.close()
EOF
	SERVER=$!
	slowwait "$WAIT_S" test -e /tmp/limits_ready || err "server did not start"
}

stop_server() {
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	rm -f /tmp/limits_ready
}

# py_clients PROTO N [both]: N connections from A that send a byte and
# close first (so the TIME_WAIT is A's); waits for each to be closed by
# B. With "both", every other one is over IPv6.
py_clients() {
	ip netns exec "$A" python3 - "$1" "$2" "${3:-}" <<'EOF'
import socket, sys
proto, n, both = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "both"
for i in range(n):
    v6 = both and i % 2
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET,
                      socket.SOCK_STREAM, proto)
    s.settimeout(10)
    s.connect(("2001:db8::2" if v6 else "192.0.2.2", 5300))
    s.sendall(b"x")
    s.shutdown(socket.SHUT_WR)
    s.recv(1)           # B's FIN: A closes second-to-last, in FIN_WAIT2
    s.close()
EOF
}

tern_tw_count() {
	ip netns exec "$A" grep -c 'TIME-WAIT' /proc/net/tern/sockets
}

tcp_tw_count() {
	ip netns exec "$A" ss -Htan state time-wait | wc -l
}

tw_overflow() {	# tw_overflow tern|tcp
	local proto=253 count=tern_tw_count before after n

	[ "$1" = tcp ] && { proto=6; count=tcp_tw_count; }
	ip netns exec "$A" sysctl -qw net.tern.max_tw_buckets=3 net.ipv4.tcp_max_tw_buckets=3 ||
		{ err "cannot set the TIME_WAIT limits"; return; }
	before=$(tern_counter "$A" TernTimeWaitOverflow)
	py_server "$proto" read
	py_clients "$proto" 10 || err "$1: a connection failed"
	stop_server
	n=$($count)
	[ "$n" -le 3 ] || err "$1: $n connections in TIME_WAIT, the limit is 3"
	[ "$n" -ge 1 ] || err "$1: no connection in TIME_WAIT at all"
	if [ "$1" = tern ]; then
		after=$(tern_counter "$A" TernTimeWaitOverflow)
		[ $((after - before)) -ge 7 ] ||
			err "TernTimeWaitOverflow rose by $((after - before)), expected at least 7"
	fi
}

# sockstat_field FILE PROTO FIELD: a field of a sockstat line in A
sockstat_field() {
	ip netns exec "$A" awk -v p="$2:" -v f="$3" '
		$1 == p { for (i = 2; i < NF; i += 2) if ($i == f) { print $(i + 1); ok = 1 } }
		END { exit !ok }' "$1"
}

# slab_objsize CACHE: the object size of a slab cache, from /proc/slabinfo
slab_objsize() {
	awk -v c="$1" '$1 == c { print $4; ok = 1 } END { exit !ok }' /proc/slabinfo
}

tw_small() {	# tw_small tern|tcp
	local proto=253 count=tern_tw_count file=/proc/net/tern/sockstat
	local p=TERN tw_cache=tern_tw_sock sk_cache=TERN n=20 tw inuse tws sks

	[ "$1" = tcp ] && { proto=6; count=tcp_tw_count; file=/proc/net/sockstat
			    p=TCP; tw_cache=tw_sock_TCP; sk_cache=TCP; }
	py_server "$proto" read
	py_clients "$proto" "$n" || err "$1: a connection failed"
	stop_server
	[ "$($count)" = "$n" ] || err "$1: $($count) connections in TIME_WAIT, want $n"
	tw=$(sockstat_field "$file" "$p" tw) || { err "$1: no tw count in $file"; return; }
	inuse=$(sockstat_field "$file" "$p" inuse)
	echo "# $TERN_CASE: $file in A: inuse $inuse tw $tw"
	[ "$tw" = "$n" ] || err "$1: $file counts $tw in TIME_WAIT, want $n"
	[ "$inuse" = 0 ] || err "$1: $file counts $inuse sockets in use, want 0 (TIME_WAIT is no socket)"
	[ -r /proc/slabinfo ] || { echo "# $TERN_CASE: no /proc/slabinfo, sizes not checked"; return; }
	tws=$(slab_objsize "$tw_cache") || { err "$1: no $tw_cache cache in /proc/slabinfo"; return; }
	sks=$(slab_objsize "$sk_cache") || { err "$1: no $sk_cache cache in /proc/slabinfo"; return; }
	echo "# $TERN_CASE: a TIME_WAIT takes $tws bytes ($tw_cache), a socket $sks ($sk_cache)"
	[ $((tws * 4)) -lt "$sks" ] || err "$1: a TIME_WAIT takes $tws bytes, a socket $sks: not a fraction"
}

tw_rmmod_at_once() {
	local n=100 tw msg

	py_server 253 both
	py_clients 253 "$n" both || err "a connection failed"
	stop_server
	# the server's side ends with the ACK of its FIN, just sent; A
	# keeps only TIME_WAIT, which is no socket
	slowwait "$WAIT_S" tern_sockets_are "$B" 0 ||
		err "$(tern_sockets_in_use "$B") Tern sockets left in B"
	slowwait "$WAIT_S" tern_sockets_are "$A" 0 ||
		err "$(tern_sockets_in_use "$A") Tern sockets left in A (in TIME_WAIT?)"
	tw=$(tern_tw_count)
	echo "# $TERN_CASE: $tw connections in TIME_WAIT in A, module refcnt $(cat /sys/module/tern/refcnt)"
	[ "$tw" = "$n" ] || err "$tw connections in TIME_WAIT in A, want $n"
	if msg=$(rmmod tern 2>&1); then
		grep -q '^tern ' /proc/modules && err "tern is still loaded after rmmod"
	else
		err "rmmod tern failed with $tw connections in TIME_WAIT and no application left: $msg"
		slowwait 90 rmmod tern 2>/dev/null	# until TIME_WAIT ends
	fi
	tern_load || { err "modprobe tern failed"; return; }
	[ "$(tern_tw_count)" = 0 ] || err "TIME_WAIT in A outlived the module"
}

orphan_limit() {
	local before after left

	ip netns exec "$A" sysctl -qw net.tern.max_orphans=0 ||
		{ err "cannot set net.tern.max_orphans"; return; }
	before=$(tern_counter "$A" TernAbortOnMemory)
	py_server 253 stall
	# 1 MiB toward a server that never reads: close() leaves data unsent
	ip netns exec "$A" python3 - <<'EOF' || err "client failed"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
s.connect(("192.0.2.2", 5300))
s.setblocking(False)
sent = 0
try:
    while sent < 1 << 20:
        sent += s.send(b"y" * 65536)
except BlockingIOError:
    pass
s.close()
EOF
	after=$(tern_counter "$A" TernAbortOnMemory)
	[ $((after - before)) -ge 1 ] || err "TernAbortOnMemory did not rise"
	slowwait "$WAIT_S" tern_sockets_are "$A" 0 ||
		err "$(tern_sockets_in_use "$A") Tern sockets left in A: the orphan was kept"
	left=$(tern_counter "$B" TernInRsts)
	[ "$left" -ge 1 ] || err "the server saw no reset"
	stop_server
}

tern_test_begin
tern_load || { echo "Bail out! cannot load tern"; exit 1; }
tern_run_case tw_overflow_tern tw_overflow tern
tern_run_reference_case tw_overflow_tcp tw_overflow tcp
tern_run_case orphan_limit_resets orphan_limit
tern_run_case tw_small_tern tw_small tern
tern_run_reference_case tw_small_tcp tw_small tcp
tern_run_case tw_rmmod_at_once tw_rmmod_at_once
tern_test_end
