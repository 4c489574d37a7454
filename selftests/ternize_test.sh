#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ternize: unmodified TCP programs run over Tern under "ternize run",
# between two network namespaces (A 192.0.2.1, 2001:db8::1 serves; B .2,
# ::2 is the client), each case in fresh namespaces:
#
#   sockopt_v4/v6  a Python program (one process, over loopback) checks
#                  what libternize does: the sockets are Tern's, options
#                  Tern has are set and read back, TCP's others ignored or
#                  refused as documented, TCP_INFO has TCP's layout and
#                  plausible values after 1 MiB, and it follows dup(),
#                  F_DUPFD, close() and an exec'd child that inherits the
#                  socket; sendto(MSG_FASTOPEN) connects; a UDP socket is
#                  never touched
#   iperf3_v4/v6   "iperf3 -s -1" and "iperf3 -c -t 2 -J" under ternize:
#                  data moves, the client's TCP_INFO figures (cwnd, RTT,
#                  MTU, retransmits) are plausible, and the namespaces'
#                  Tern counters carried it while TCP's did not move
#   http_v4/v6     curl fetches a file from "python3 -m http.server",
#                  byte-exact, over Tern alone
#   socat_v4/v6    socat moves 1 MiB one way, byte-exact, over Tern alone
#
# A case whose tool is missing is reported skipped with the reason. On the
# debug kernel (TERN_SAMPLE=1) the files are 256 KiB and the IPv6 cases of
# iperf3 and http, whose paths the others take, are skipped.
# Environment: TERN_USERSPACE (the built ternize and libternize.so,
# default build/userspace).
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip timeout cmp python3 awk
tern_tool_program

top=$(cd "$(dirname "$0")/.." && pwd)
uspace=${TERN_USERSPACE:-$top/build/userspace}
ternize=$uspace/ternize
[ -x "$ternize" ] && [ -f "$uspace/libternize.so" ] ||
	{ echo "Bail out! $ternize or libternize.so is not built (make userspace)"; exit 1; }
WAIT_S=${WAIT_S:-10}
# the interpreter itself: a wrapper (pyenv's shim) costs seconds a start
# on the VM
py=$(python3 -c 'import sys; print(sys.executable)') && [ -x "$py" ] ||
	{ echo "Bail out! python3 does not run"; exit 1; }
TERN_SAMPLE_OUT="iperf3_v6 http_v6"
size=$((1 << 20))
[ "${TERN_SAMPLE:-0}" = 1 ] && size=$((256 << 10))

dir=$(mktemp -d /tmp/tern-ternize.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
A=
B=
cleanup() {
	cleanup_all_ns
	rm -rf "$dir"
}
trap cleanup EXIT
head -c "$size" /dev/urandom >"$dir/file" || { echo "Bail out! no input file"; exit 1; }

err() { ERRS+=("$*"); }
oneline() { tr '\n' ' ' <"$1" | cut -c1-600; }

topo_up() {
	A=
	B=
	setup_ns A B || { err "setup_ns failed"; return 1; }
	tern_veth_pair "$A" "$B" || { err "cannot build the A-B veth pair"; return 1; }
	# a short TIME_WAIT, so that nothing outlives the case
	ip netns exec "$A" sysctl -qw net.tern.tw_timeout_ms=200 &&
	ip netns exec "$B" sysctl -qw net.tern.tw_timeout_ms=200 ||
		{ err "cannot set net.tern.tw_timeout_ms"; return 1; }
	rm -f "$dir"/out* "$dir"/*.json "$dir"/*.log
}

topo_down() {
	tern_ns_remove "$A" "$B"
	A=
	B=
}

# tcp_counter NETNS NAME: a Tcp: counter of /proc/net/snmp in NETNS
tcp_counter() {
	ip netns exec "$1" awk -v n="$2" '
		$1 == "Tcp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Tcp:" && h { print $col[n]; exit }' /proc/net/snmp
}

# listening NETNS PORT: a Tern listener on PORT in NETNS?
listening() {
	ip netns exec "$1" awk -v p="$2" '$3 == "LISTEN" && $1 ~ (":" p "$") { f = 1 }
		END { exit !f }' /proc/net/tern/sockets
}

# wait_listen PORT PID: the server (PID, in A) listens on PORT over Tern
wait_listen() {
	slowwait "$WAIT_S" listening "$A" "$1" && return 0
	kill "$2" 2>/dev/null
	err "no Tern listener on port $1 in A"
	return 1
}

# over_tern FROM TO BYTES: BYTES crossed from namespace FROM to TO over
# Tern, not TCP: TO took in at least a segment per 1448 bytes (Tern's MSS
# on a 1500-byte link is less), FROM sent as many, and neither
# namespace's TCP saw a segment.
over_tern() {
	local from=$1 to=$2 bytes=$3 min in out t

	min=$((bytes / 1448))
	in=$(tern_counter "$to" TernInSegs) && out=$(tern_counter "$from" TernOutSegs) ||
		{ err "cannot read /proc/net/tern/snmp"; return; }
	[ "$in" -ge "$min" ] || err "TernInSegs $in at the receiver: fewer than $min for $bytes bytes"
	[ "$out" -ge "$min" ] || err "TernOutSegs $out at the sender: fewer than $min for $bytes bytes"
	for t in "$A:InSegs" "$A:OutSegs" "$B:InSegs" "$B:OutSegs"; do
		[ "$(tcp_counter "${t%%:*}" "${t#*:}")" = 0 ] ||
			err "TCP ${t#*:} in ${t%%:*}: $(tcp_counter "${t%%:*}" "${t#*:}"), not 0"
	done
}

# A Python program that checks libternize's work from the inside, on one
# connection over loopback: argv family (4, 6), size. Prints its findings,
# "ok" when there is none.
sockopt_py() {
	cat <<'EOF'
import errno, fcntl, os, socket, struct, subprocess, sys, threading
T = socket.IPPROTO_TCP
fam, host = (socket.AF_INET, "127.0.0.1") if sys.argv[1] == "4" else (socket.AF_INET6, "::1")
size = int(sys.argv[2])
bad = []

def check(cond, what):
    if not cond:
        bad.append(what)

def fails(what, err, f, *args):
    try:
        f(*args)
        bad.append("%s: no error, expected %s" % (what, errno.errorcode[err]))
    except OSError as e:
        check(e.errno == err, "%s: %s, expected %s" % (what, e, errno.errorcode[err]))

def proto(s):
    return s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL)

# struct tcp_info (6.12 layout): the fields checked here
FMT = "<8B24I4Q"
NAMES = ("state ca_state retransmits probes backoff options wscale flags "
         "rto ato snd_mss rcv_mss unacked sacked lost retrans fackets "
         "last_data_sent last_ack_sent last_data_recv last_ack_recv pmtu "
         "rcv_ssthresh rtt rttvar snd_ssthresh snd_cwnd advmss reordering "
         "rcv_rtt rcv_space total_retrans pacing_rate max_pacing_rate "
         "bytes_acked bytes_received").split()

def info(s):
    b = s.getsockopt(T, socket.TCP_INFO, 512)
    check(len(b) == 248, "TCP_INFO: %d bytes, not 248" % len(b))
    return dict(zip(NAMES, struct.unpack_from(FMT, b)))

ls = socket.socket(fam, socket.SOCK_STREAM)
check(proto(ls) == 253, "socket(): protocol %d, not Tern" % proto(ls))
ls.bind((host, 0))
ls.listen(1)
check(info(ls)["state"] == 10, "listener's TCP_INFO state not LISTEN")
c = socket.socket(fam, socket.SOCK_STREAM | socket.SOCK_CLOEXEC, T)
check(proto(c) == 253, "socket(IPPROTO_TCP): not Tern")
check(fcntl.fcntl(c, fcntl.F_GETFD) & fcntl.FD_CLOEXEC, "SOCK_CLOEXEC lost")
c.connect(ls.getsockname()[:2])
s, _ = ls.accept()
check(proto(s) == 253, "accept(): not Tern")

# options Tern has: set, read back
for opt, val in ((socket.TCP_NODELAY, 1), (socket.TCP_MAXSEG, 1000),
                 (socket.TCP_KEEPIDLE, 77), (socket.TCP_KEEPINTVL, 7),
                 (socket.TCP_KEEPCNT, 5), (socket.TCP_SYNCNT, 3),
                 (socket.TCP_USER_TIMEOUT, 30000)):
    c.setsockopt(T, opt, val)
    check(c.getsockopt(T, opt) == val, "option %d: set %d, read %d" % (opt, val, c.getsockopt(T, opt)))
fails("TCP_KEEPCNT 0", errno.EINVAL, c.setsockopt, T, socket.TCP_KEEPCNT, 0)
c.setsockopt(T, socket.TCP_MAXSEG, 0)
# TCP's others: ignored on set, TCP's default on get
c.setsockopt(T, socket.TCP_CONGESTION, b"cubic")
check(c.getsockopt(T, socket.TCP_CONGESTION, 16).rstrip(b"\0") == b"reno", "TCP_CONGESTION not reno")
for opt in (socket.TCP_CORK, socket.TCP_QUICKACK, socket.TCP_WINDOW_CLAMP,
            socket.TCP_NOTSENT_LOWAT, socket.TCP_FASTOPEN, 30, socket.TCP_DEFER_ACCEPT):
    c.setsockopt(T, opt, 1)
    c.getsockopt(T, opt)
c.setsockopt(T, socket.TCP_CORK, 0)
fails("TCP_CORK of 1 byte", errno.EINVAL, c.setsockopt, T, socket.TCP_CORK, b"\1")
fails("TCP_MD5SIG", errno.ENOPROTOOPT, c.setsockopt, T, 14, b"\0" * 216)
fails("TCP_REPAIR", errno.ENOPROTOOPT, c.setsockopt, T, 19, 1)
fails("TCP_ULP tls", errno.ENOENT, c.setsockopt, T, 31, b"tls")
fails("TCP option 99 set", errno.ENOPROTOOPT, c.setsockopt, T, 99, 1)
fails("TCP option 99 get", errno.ENOPROTOOPT, c.getsockopt, T, 99)

# size bytes one way: c sends, s reads to EOF
# (s reads in a thread: the window would close on a sender alone, and
# TCP_USER_TIMEOUT would end the connection)
c.setsockopt(T, socket.TCP_USER_TIMEOUT, 0)
data = os.urandom(size)
got = bytearray()

def reader():
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        got.extend(b)

t = threading.Thread(target=reader)
t.start()
c.sendall(data)
c.shutdown(socket.SHUT_WR)
t.join()
check(bytes(got) == data, "received %d bytes, not the %d sent" % (len(got), size))
i, r = info(c), info(s)
check(i["state"] in (4, 5), "sender's state %d, not FIN-WAIT-1/2" % i["state"])
check(r["state"] == 8, "receiver's state %d, not CLOSE-WAIT" % r["state"])
for k in ("rto", "rtt", "snd_mss", "snd_cwnd", "pmtu", "advmss"):
    check(i[k] > 0, "sender's tcpi_%s is 0" % k)
check(i["rto"] > i["rtt"], "rto %d <= rtt %d" % (i["rto"], i["rtt"]))
check(0 < i["snd_mss"] < 65536 and i["pmtu"] == i["snd_mss"] + 32 + (20 if fam == socket.AF_INET else 40),
      "snd_mss %d, pmtu %d" % (i["snd_mss"], i["pmtu"]))
check(i["snd_cwnd"] < 1 << 20, "snd_cwnd %d segments" % i["snd_cwnd"])
check(i["options"] & 2, "no TCPI_OPT_SACK")
check(i["ca_state"] in (0, 3, 4), "ca_state %d" % i["ca_state"])
check(i["bytes_acked"] <= size, "bytes_acked %d > %d sent" % (i["bytes_acked"], size))
if r["bytes_received"] or i["bytes_acked"]:	# the module fills them
    check(r["bytes_received"] == size, "receiver's bytes_received %d" % r["bytes_received"])
    check(i["bytes_acked"] > 0, "sender's bytes_acked 0")

# dup(), F_DUPFD_CLOEXEC, dup2(): the copies are Tern sockets too
d = socket.socket(fileno=os.dup(c.fileno()))
check(info(d)["snd_mss"] == i["snd_mss"], "dup(): TCP_INFO differs")
d.close()
fd = fcntl.fcntl(c.fileno(), fcntl.F_DUPFD_CLOEXEC, 200)
d = socket.socket(fileno=fd)
check(fd >= 200 and info(d)["state"] == i["state"], "F_DUPFD_CLOEXEC copy")
d.close()
os.dup2(c.fileno(), 300)
d = socket.socket(fileno=300)
check(len(d.getsockopt(T, socket.TCP_INFO, 512)) == 248, "dup2() copy")
d.close()
# a child exec'd with the socket (LD_PRELOAD inherited, its map empty)
child = ("import socket; s = socket.socket(fileno=%d); "
         "print(len(s.getsockopt(6, socket.TCP_INFO, 512)), s.getsockopt(6, socket.TCP_NODELAY)); "
         "s.detach()" % c.fileno())
out = subprocess.run([sys.executable, "-c", child], pass_fds=[c.fileno()],
                     capture_output=True, text=True)
check(out.stdout.split() == ["248", "1"], "exec'd child: %r %r" % (out.stdout, out.stderr))

# TCP Fast Open's sendto(MSG_FASTOPEN): connect, then send
f = socket.socket(fam, socket.SOCK_STREAM)
f.setsockopt(T, 30, 1)	# TCP_FASTOPEN_CONNECT, ignored
check(f.sendto(b"tfo", socket.MSG_FASTOPEN, ls.getsockname()[:2]) == 3, "sendto(MSG_FASTOPEN)")
fs, _ = ls.accept()
check(fs.recv(16) == b"tfo", "MSG_FASTOPEN's data")
f.close()
fs.close()

# closed, the number reused by a UDP socket: not touched
n = c.fileno()
c.close()
u = socket.socket(fam, socket.SOCK_DGRAM)
check(u.fileno() == n, "fd %d not reused (%d)" % (n, u.fileno()))
fails("TCP_CONGESTION on UDP", errno.ENOPROTOOPT, u.setsockopt, T, socket.TCP_CONGESTION, b"cubic")
print("\n".join(bad) if bad else "ok")
EOF
}

# sockopt FAMILY
sockopt() {
	local out=$dir/sockopt.log

	ip netns exec "$A" ip link set lo up
	sockopt_py >"$dir/sockopt.py"
	timeout 120 ip netns exec "$A" "$ternize" run "$py" "$dir/sockopt.py" "$1" "$size" \
		>"$out" 2>&1 || { err "exit status $?: $(oneline "$out")"; return; }
	[ "$(cat "$out")" = ok ] || err "$(oneline "$out")"
}

# json FILE EXPR: a Python expression over the JSON document "j"
json() {
	"$py" -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# iperf3_case FAMILY
iperf3_case() {
	local srv=192.0.2.1 pid rc sent recvd

	[ "$1" = 6 ] && srv=2001:db8::1
	ip netns exec "$A" "$ternize" run iperf3 -s -1 -p 5201 -J >"$dir/srv.json" 2>"$dir/srv.log" &
	pid=$!
	wait_listen 5201 "$pid" || return
	timeout 60 ip netns exec "$B" "$ternize" run iperf3 -c "$srv" -p 5201 -t 2 -J \
		>"$dir/cli.json" 2>"$dir/cli.log"
	rc=$?
	timeout 30 tail --pid="$pid" -f /dev/null || kill "$pid" 2>/dev/null
	wait "$pid" || err "server exit status $?: $(oneline "$dir/srv.log") $(oneline "$dir/srv.json")"
	[ "$rc" = 0 ] || { err "client exit status $rc: $(oneline "$dir/cli.log") $(oneline "$dir/cli.json")"; return; }
	sent=$(json "$dir/cli.json" 'j["end"]["sum_sent"]["bytes"]') &&
	recvd=$(json "$dir/srv.json" 'j["end"]["sum_received"]["bytes"]') ||
		{ err "iperf3 JSON without the sums"; return; }
	[ "$recvd" -gt 0 ] && [ "$recvd" -le "$sent" ] || err "sent $sent, received $recvd"
	# the client's TCP_INFO, as iperf3 reports it
	json "$dir/cli.json" '"\n".join(k + " " + str(v) for k, v in [
		("retransmits", j["end"]["sum_sent"].get("retransmits", -1)),
		("cwnd", j["end"]["streams"][0]["sender"].get("max_snd_cwnd", 0)),
		("rtt", j["end"]["streams"][0]["sender"].get("mean_rtt", 0)),
		("pmtu", j["intervals"][0]["streams"][0].get("pmtu", 0))])' >"$dir/info" ||
		{ err "iperf3 JSON without TCP_INFO figures"; return; }
	awk '$1 == "retransmits" && $2 < 0 { print "no retransmit count" }
	     $1 == "cwnd" && $2 < 1000 { print "max_snd_cwnd " $2 }
	     $1 == "rtt" && $2 <= 0 { print "mean_rtt " $2 }
	     $1 == "pmtu" && ($2 < 1280 || $2 > 1500) { print "pmtu " $2 }' "$dir/info" >"$dir/bad"
	[ -s "$dir/bad" ] && err "iperf3's TCP_INFO: $(oneline "$dir/bad") ($(oneline "$dir/info"))"
	echo "# iperf3: $sent bytes sent, $recvd received; $(oneline "$dir/info")"
	over_tern "$B" "$A" "$recvd"
}

# http_case FAMILY
http_case() {
	local bind=192.0.2.1 url=http://192.0.2.1:8000/file pid

	[ "$1" = 6 ] && bind=2001:db8::1 url="http://[2001:db8::1]:8000/file"
	ip netns exec "$A" "$ternize" run "$py" -m http.server -b "$bind" -d "$dir" 8000 \
		>"$dir/srv.log" 2>&1 &
	pid=$!
	wait_listen 8000 "$pid" || return
	timeout 60 ip netns exec "$B" "$ternize" run curl -sS -g -o "$dir/out" "$url" \
		2>"$dir/cli.log" || err "curl exit status $?: $(oneline "$dir/cli.log")"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cmp -s "$dir/file" "$dir/out" || err "the file fetched differs ($(stat -c %s "$dir/out" 2>/dev/null) bytes)"
	over_tern "$A" "$B" "$size"
}

# socat_case FAMILY
socat_case() {
	local listen=TCP4-LISTEN:5300,bind=192.0.2.1 conn=TCP4:192.0.2.1:5300 pid

	[ "$1" = 6 ] && listen="TCP6-LISTEN:5300,bind=[2001:db8::1]" conn="TCP6:[2001:db8::1]:5300"
	ip netns exec "$A" "$ternize" run socat -u "$listen,reuseaddr" "CREATE:$dir/out" \
		2>"$dir/srv.log" &
	pid=$!
	wait_listen 5300 "$pid" || return
	timeout 60 ip netns exec "$B" "$ternize" run socat -u "OPEN:$dir/file" "$conn" \
		2>"$dir/cli.log" || err "client socat exit status $?: $(oneline "$dir/cli.log")"
	timeout 30 tail --pid="$pid" -f /dev/null || kill "$pid" 2>/dev/null
	wait "$pid" || err "server socat exit status $?: $(oneline "$dir/srv.log")"
	cmp -s "$dir/file" "$dir/out" || err "the file received differs ($(stat -c %s "$dir/out" 2>/dev/null) bytes)"
	over_tern "$B" "$A" "$size"
}

# run_with TOOL NAME COMMAND...: the case, or skipped when TOOL is missing
run_with() {
	local tool=$1

	shift
	if ! command -v "$tool" >/dev/null 2>&1; then
		tern_in_sample "$1" || return 0
		tern_case "$1"
		tern_skip "$tool is not installed"
		return 0
	fi
	tern_run_case "$@"
}

tern_load || { echo "Bail out! cannot load tern"; exit 1; }
tern_test_begin
tern_run_case sockopt_v4 sockopt 4
tern_run_case sockopt_v6 sockopt 6
run_with iperf3 iperf3_v4 iperf3_case 4
run_with iperf3 iperf3_v6 iperf3_case 6
run_with curl http_v4 http_case 4
run_with curl http_v6 http_case 6
run_with socat socat_v4 socat_case 4
run_with socat socat_v6 socat_case 6
tern_test_end
