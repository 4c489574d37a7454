#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ternss, and the sock_diag handler behind it. Namespaces A and B joined
# by a veth pair (192.0.2.1/24, 2001:db8::1/64 and the extra .11/::11 in
# A; 192.0.2.2/24, 2001:db8::2/64 in B). ternss_holder.py, one process,
# holds sockets of both namespaces in every state it can (ESTAB with
# unread data, an unaccepted connection, SYN-SENT toward an address whose
# frames no one takes, FIN-WAIT-2, CLOSE-WAIT, LAST-ACK once A's address is
# gone, TIME-WAIT, LISTEN) in both families; tern_synflood leaves requests
# (SYN-RECV) on a listener of B. The cases compare what ternss lists with
# what the holder made: states, addresses, queues; filters (state, ports,
# addresses, compiled to bytecode the kernel runs); -p, -e, -i, -m; -K
# (SOCK_DESTROY: ECONNABORTED for the owner, a reset for the peer, the
# others untouched; EPERM unprivileged); a dump of thousands of sockets,
# resumed across netlink messages, against /proc/net/tern/sockstat.
source "$(dirname "$0")/lib.sh"
tern_require_cmd ip python3 setpriv

top=$(cd "$(dirname "$0")/.." && pwd)
bindir=${TERN_BINDIR:-$top/build/selftests}
ternss=${TERNSS:-$top/build/userspace/ternss}
holder=$top/selftests/ternss_holder.py
synflood=$bindir/tern_synflood
WAIT_S=10
if [ "${TERN_SAMPLE:-0}" = 1 ]; then
	BIG_TW=400 BIG_EST=100	# the debug kernel: still several messages
else
	BIG_TW=2000 BIG_EST=500
fi

A=
B=
ERRS=()
HPID=
DIR=
MODE=states

err() { ERRS+=("$*"); }

sysctl_in() { ip netns exec "$1" sh -c "echo $3 >/proc/sys/net/tern/$2"; }

# ss NS ARGS...: ternss in NS
ss_in() {
	local ns=$1

	shift
	ip netns exec "$ns" "$ternss" "$@"
}

# listing NS ARGS...: ternss -n -H ARGS in NS, the first five columns
listing() {
	local ns=$1

	shift
	ss_in "$ns" -n -H "$@" | awk '{ print $1, $2, $3, $4, $5 }' | sort
}

# ready: the holder is ready, or gone (then start_holder fails)
ready() { [ -s "$DIR/ready" ] || ! kill -0 "$HPID" 2>/dev/null; }

start_holder() {
	ip netns exec "$A" python3 "$holder" "$@" >"$DIR/holder.log" 2>&1 &
	HPID=$!
	slowwait 120 ready && [ -s "$DIR/ready" ] || { err "the holder did not get ready: $(tr '\n' ' ' <"$DIR/holder.log")"; return 1; }
}

topo_up() {
	A=
	B=
	DIR=$(mktemp -d)
	setup_ns A B || { err "setup_ns failed"; return 1; }
	modprobe -q inet_diag 2>/dev/null
	if [ "$MODE" = big ]; then
		sysctl_in "$A" tw_timeout_ms 600000 || { err "sysctl failed"; return 1; }
		start_holder big "$A" "$DIR" "$BIG_TW" "$BIG_EST"
		return
	fi
	ip -n "$A" link add veth-a type veth peer name veth-b netns "$B" &&
	ip -n "$A" addr add 192.0.2.1/24 dev veth-a &&
	ip -n "$A" addr add 192.0.2.11/24 dev veth-a &&
	ip -n "$A" addr add 2001:db8::1/64 dev veth-a nodad &&
	ip -n "$A" addr add 2001:db8::11/64 dev veth-a nodad &&
	ip -n "$B" addr add 192.0.2.2/24 dev veth-b &&
	ip -n "$B" addr add 2001:db8::2/64 dev veth-b nodad &&
	ip -n "$A" link set veth-a up &&
	ip -n "$B" link set veth-b up &&
	# frames to .3 go to a MAC nobody has: the SYN is lost, no error
	ip -n "$A" neigh add 192.0.2.3 lladdr 02:00:00:00:00:03 dev veth-a nud permanent &&
	ip -n "$A" neigh add 2001:db8::3 lladdr 02:00:00:00:00:03 dev veth-a nud permanent &&
	# the SYN-ACKs to tern_synflood's sources die in A
	ip -n "$B" route add 198.18.0.0/24 via 192.0.2.1 &&
	ip -n "$B" route add 2001:db8:ff::/64 via 2001:db8::1 &&
	sysctl_in "$A" tw_timeout_ms 600000 &&
	sysctl_in "$B" synack_retries 10 || { err "cannot build the topology"; return 1; }
	slowwait 5 tern_link_up "$A" veth-a && slowwait 5 tern_link_up "$B" veth-b ||
		{ err "veth did not come up"; return 1; }
	start_holder states "$A" "$B" "$DIR" || return 1
	ip netns exec "$A" "$synflood" -d 192.0.2.2 -p 5002 -S 198.18.0.0/24 -c 3 -r 0 -s 1 >/dev/null &&
	ip netns exec "$A" "$synflood" -d 2001:db8::2 -p 6002 -S 2001:db8:ff::/64 -c 3 -r 0 -s 2 >/dev/null ||
		{ err "tern_synflood failed"; return 1; }
}

topo_down() {
	if [ -n "$HPID" ]; then
		kill "$HPID" 2>/dev/null
		wait "$HPID" 2>/dev/null
	fi
	HPID=
	tern_ns_remove "$A" "$B"
	A=
	B=
	rm -rf "$DIR"
}

# expected NS: the holder's lines for NS, "STATE LOCAL PEER RQ SQ"
expected() { awk -v ns="$1" '$1 == ns { print $2, $3, $4, $5, $6 }' "$DIR/expect"; }

# mismatches NS: every expected line of NS is listed (by ternss -a), with its
# queues where given, and nothing else but SYN-RECV requests; the
# mismatches on stdout
# (files, not <(...): the guest has no /dev/fd)
mismatches() {
	local ns=$1

	expected "$ns" >"$DIR/want"
	listing "$ns" -a >"$DIR/got" || echo "ternss failed"
	awk '
		NR == FNR { want[NR] = $0; n = NR; next }
		{ got[FNR] = $0; m = FNR }
		END {
			for (i = 1; i <= n; i++) {
				split(want[i], w, " ")
				found = 0
				for (j = 1; j <= m; j++) {
					split(got[j], g, " ")
					if (g[1] != w[1] || g[4] != w[2] || g[5] != w[3])
						continue
					if ((w[4] != "-" && g[2] != w[4]) || (w[5] != "-" && g[3] != w[5]))
						continue
					if (used[j]++)
						continue
					found = 1
					break
				}
				if (!found)
					print "missing: " want[i]
			}
			for (j = 1; j <= m; j++) {
				split(got[j], g, " ")
				if (!used[j] && g[1] != "SYN-RECV")
					print "unexpected: " got[j]
			}
		}' "$DIR/want" "$DIR/got"
}

no_mismatch() { [ -z "$(mismatches "$1")" ]; }

count_state() { listing "$1" -a | awk -v s="$2" -v l="$3" '$1 == s && $4 ~ l' | wc -l; }

case_states() {
	local ns n

	for ns in "$A" "$B"; do
		slowwait "$WAIT_S" no_mismatch "$ns" ||
			err "namespace ${ns%%-*}: $(mismatches "$ns" | tr '\n' ';')"
	done
	n=$(count_state "$B" SYN-RECV '^192\.0\.2\.2:5002$')
	[ "$n" = 3 ] || err "$n IPv4 SYN-RECV requests listed, not 3"
	n=$(count_state "$B" SYN-RECV '^\[2001:db8::2\]:6002$')
	[ "$n" = 3 ] || err "$n IPv6 SYN-RECV requests listed, not 3"
	# every one of them: peers from tern_synflood's prefixes
	n=$(listing "$B" state syn-recv | awk '$5 !~ /^(198\.18\.0\.|\[2001:db8:ff:)/' | wc -l)
	[ "$n" = 0 ] || err "$n SYN-RECV requests with another peer"
	# the header, as ss's
	ss_in "$A" | head -1 | grep -qE '^State +Recv-Q +Send-Q +Local Address:Port +Peer Address:Port' ||
		err "header: $(ss_in "$A" | head -1)"
}

# check_expr NS "OPTIONS" "EXPRESSION" AWK-CONDITION: as check_filter, the
# expression one argument (as quoted on a command line)
check_expr() {
	local ns=$1 opts=$2 expr=$3 cond=$4 got want

	# shellcheck disable=SC2086
	got=$(listing "$ns" $opts "$expr")
	want=$(listing "$ns" -a | awk "$AWK_PORT$cond")
	same "ternss $opts '$expr'" "$got" "$want"
}

# same WHAT GOT WANT: two listings are the same (and not empty)
same() {
	if [ -z "$3" ]; then
		err "$1: the reference selection is empty"
	elif [ "$2" != "$3" ]; then
		err "$1: got [$(tr '\n' ';' <<<"$2")] want [$(tr '\n' ';' <<<"$3")]"
	fi
}

# check_filter NS "TERNSS ARGS" AWK-CONDITION: ternss with the filter lists
# exactly the lines of the full listing that the condition selects; the
# condition may call port(ADDRESS:PORT) (a "*" port is 0, as the kernel's)
AWK_PORT='function port(a) { sub(/.*:/, "", a); return a == "*" ? 0 : a + 0 } '
check_filter() {
	local ns=$1 args=$2 cond=$3 got want

	# shellcheck disable=SC2086
	got=$(listing "$ns" $args)
	want=$(listing "$ns" -a | awk "$AWK_PORT$cond")
	same "ternss $args" "$got" "$want"
}

case_filters() {
	slowwait "$WAIT_S" no_mismatch "$A" && slowwait "$WAIT_S" no_mismatch "$B" ||
		{ err "the sockets are not as made"; return; }
	check_filter "$B" "state listening" '$1 == "LISTEN"'
	check_filter "$B" "-l" '$1 == "LISTEN"'
	check_filter "$A" "state established" '$1 == "ESTAB"'
	check_filter "$A" "state time-wait" '$1 == "TIME-WAIT"'
	check_filter "$A" "state fin-wait-2 state syn-sent" '$1 == "FIN-WAIT-2" || $1 == "SYN-SENT"'
	check_filter "$B" "state syn-recv" '$1 == "SYN-RECV"'
	check_filter "$B" "state close-wait" '$1 == "CLOSE-WAIT"'
	check_filter "$B" "state last-ack" '$1 == "LAST-ACK"'
	check_filter "$A" "" '$1 != "LISTEN" && $1 != "TIME-WAIT" && $1 != "SYN-RECV"'
	check_filter "$B" "-a exclude listening" '$1 != "LISTEN"'
	check_filter "$A" "-a -4" '$4 !~ /^\[/'
	check_filter "$B" "-a -6" '$4 ~ /^\[/'
	check_filter "$A" "-a dport = :5000" '$5 ~ /:5000$/'
	check_filter "$A" "-a dport != :5000" '$5 !~ /:5000$/'
	check_filter "$B" "-a sport = :6001" '$4 ~ /:6001$/'
	check_filter "$B" "-a sport = :5000 dport != :0" '$4 ~ /:5000$/ && $1 != "LISTEN"'
	check_filter "$A" "-a dst 192.0.2.2" '$5 ~ /^192\.0\.2\.2:/'
	check_filter "$A" "-a dst 192.0.2.3" '$5 ~ /^192\.0\.2\.3:/'
	check_filter "$A" "-a src 2001:db8::1" '$4 ~ /^\[2001:db8::1\]:/'
	check_filter "$A" "-a src 2001:db8::11" '$4 ~ /^\[2001:db8::11\]:/'
	check_filter "$A" "-a dst [2001:db8::2]:6001" '$5 == "[2001:db8::2]:6001"'
	check_filter "$B" "-a dst 198.18.0.0/24" '$5 ~ /^198\.18\.0\./'
	check_filter "$B" "-a src 192.0.2.2 and sport != :5002" '$4 ~ /^192\.0\.2\.2:/ && $4 !~ /:5002$/'
	check_filter "$A" "state established dport = :6000" '$1 == "ESTAB" && $5 ~ /:6000$/'
	case_filter_expressions
	# a filter ternss cannot parse is an error, as ss's
	ss_in "$A" sport = :notaport >/dev/null 2>&1 && err "a bad port was accepted"
	ss_in "$A" state nosuchstate >/dev/null 2>&1 && err "a bad state was accepted"
}

# ss's expressions: or, not, parentheses (words of their own or attached),
# precedence (not, and, or), the port comparisons; the longest bytecode
# the kernel takes; the errors. A's sockets go to ports 5000, 5001, 6000,
# 6001 and 7000 of B, from ephemeral ports.
case_filter_expressions() {
	local v6='$4 ~ /^\[2001:db8::/' terms out

	check_filter "$A" "-a ( dport = :5000 or dport = :6001 )" 'port($5) == 5000 || port($5) == 6001'
	check_expr "$A" "-a" "(dport = :5000 || dport = :6001)" 'port($5) == 5000 || port($5) == 6001'
	check_filter "$A" "-a not dport = :5000" 'port($5) != 5000'
	check_expr "$A" "-a" "!(dport = :5000 or src 2001:db8::1)" \
		'!(port($5) == 5000 || $4 ~ /^\[2001:db8::1\]:/)'
	# and before or; not before and
	check_expr "$A" "-a" "dport = :5001 or dport = :6001 and src 2001:db8::/64" \
		"port(\$5) == 5001 || (port(\$5) == 6001 && $v6)"
	check_expr "$A" "-a" "( dport = :5001 or dport = :6001 ) and src 2001:db8::/64" \
		"(port(\$5) == 5001 || port(\$5) == 6001) && $v6"
	check_expr "$A" "-a" "not dport = :5001 and dport < 6000" 'port($5) != 5001 && port($5) < 6000'
	check_expr "$A" "-a" "dport = :5000 , not ( src 192.0.2.1 | dport = :6000 ) || dport eq 7000" \
		'port($5) == 5000 && !($4 ~ /^192\.0\.2\.1:/ || port($5) == 6000) || port($5) == 7000'
	# the comparisons: ranges, strict and not, negated
	check_filter "$A" "-a dport >= :5000 and dport <= :5001" 'port($5) >= 5000 && port($5) <= 5001'
	check_filter "$A" "-a dport gt 5000 and dport lt 6001" 'port($5) > 5000 && port($5) < 6001'
	check_filter "$A" "-a dport geq 6000 dport leq 6001" 'port($5) >= 6000 && port($5) <= 6001'
	check_expr "$A" "-a" "dport != 5000 and dport ne :6000 and dport neq 7000" \
		'port($5) != 5000 && port($5) != 6000 && port($5) != 7000'
	check_expr "$A" "-a" "sport<1024 or dport>6000" 'port($4) < 1024 || port($5) > 6000'
	# B: listeners, requests and connections on ports 5000-5002, 6000-6002
	check_expr "$B" "-a exclude listening" "sport = :5002 or sport = :6002" \
		'$1 != "LISTEN" && (port($4) == 5002 || port($4) == 6002)'
	check_expr "$B" "-a" "sport geq :6000 and sport leq :6001 or dst 198.18.0.0/24" \
		'port($4) >= 6000 && port($4) <= 6001 || $5 ~ /^198\.18\.0\./'
	check_expr "$B" "state listening" "not (sport = :5001 or sport = :6001)" \
		'$1 == "LISTEN" && port($4) != 5001 && port($4) != 6001'
	# the longest program the kernel takes: an or of 5461 ports, 65528
	# bytes (ternss_filter_test checks the byte count)
	terms=$(seq 1 5461 | sed 's/.*/dport = :& or/' | tr '\n' ' ')
	same "ternss -a 'dport = :1 or ... or dport = :5461'" \
		"$(listing "$A" -a "${terms% or }")" \
		"$(listing "$A" -a | awk "${AWK_PORT}port(\$5) >= 1 && port(\$5) <= 5461")"
	out=$(ss_in "$A" -a "$terms" dport = :5462 2>&1) && err "5462 ports were accepted"
	grep -q "filter too long" <<<"$out" || err "5462 ports: $out"
	# errors name the word
	out=$(ss_in "$A" "( dport = :5000" 2>&1) && err "an unbalanced '(' was accepted"
	grep -q "unbalanced '('" <<<"$out" || err "unbalanced '(': $out"
	out=$(ss_in "$A" dport = :5000 or 2>&1) && err "a dangling or was accepted"
	grep -q "ends after 'or'" <<<"$out" || err "a dangling or: $out"
	out=$(ss_in "$A" src '>' 192.0.2.1 2>&1) && err "src > was accepted"
	grep -q "not '>'" <<<"$out" || err "src >: $out"
}

case_process_ext_info() {
	local line ino pid fd found

	slowwait "$WAIT_S" no_mismatch "$A" || { err "the sockets are not as made"; return; }
	pid=$(cat "$DIR/ready")
	# every socket with an owner names the holder, and with the right fd
	line=$(ss_in "$A" -n -H -p state established dport = :5000 | head -1)
	grep -qE "users:\(\(\"ternholder\",pid=$pid,fd=[0-9]+\)\)" <<<"$line" ||
		err "-p: $line"
	line=$(ss_in "$A" -n -H -p state time-wait | head -1)
	[ -n "$line" ] && ! grep -q users: <<<"$line" || err "-p on TIME-WAIT: '$line'"
	# -e: the inode is the holder's fd's socket
	line=$(ss_in "$A" -n -H -e state established dport = :5000 | head -1)
	ino=$(grep -oE 'ino:[0-9]+' <<<"$line" | cut -d: -f2)
	grep -qE ' uid:0 ino:[0-9]+ sk:[0-9a-f]+' <<<"$line" || err "-e: $line"
	found=0
	for fd in "/proc/$pid/fd"/*; do
		[ "$(readlink "$fd")" = "socket:[$ino]" ] && found=1
	done
	[ "$found" = 1 ] || err "-e: inode $ino is not the holder's"
	# -i: the info of a connection: its MSS fits the veth's 1500 bytes
	line=$(ss_in "$A" -n -H -i state established dport = :5000 | sed -n 2p)
	grep -qE 'rto:[0-9.]+ .*mss:1[0-9]{3} .*cwnd:[0-9]+' <<<"$line" || err "-i: $line"
	grep -qE '^\s+cubic rto:' <<<"$line" || err "-i: no algorithm (cubic): $line"
	line=$(ss_in "$B" -n -H -i state listening | sed -n 2p)
	grep -q 'rtt:' <<<"$line" && err "-i on a listener: $line"
	# -m: the socket's memory; B's connection holds 100 bytes unread
	line=$(ss_in "$B" -n -H -m state established sport = :5000 | grep -A1 '^ESTAB  *100 ' | sed -n 2p)
	grep -qE 'skmem:\(r[1-9][0-9]*,rb[0-9]+,t[0-9]+,tb[0-9]+,' <<<"$line" || err "-m: '$line'"
}

errors_of() {
	rm -f "$DIR/errors"
	kill -USR1 "$HPID"
	slowwait 5 test -s "$DIR/errors" || { err "the holder wrote no errors"; return; }
	cat "$DIR/errors"
}

case_kill() {
	local before after killed out e rest

	slowwait "$WAIT_S" no_mismatch "$A" && slowwait "$WAIT_S" no_mismatch "$B" ||
		{ err "the sockets are not as made"; return; }
	before=$(listing "$A" -a)
	killed=$(awk '$5 ~ /:5000$/' <<<"$before")
	[ "$(wc -l <<<"$killed")" = 2 ] || err "want 2 sockets to port 5000, got '$killed'"
	out=$(ip netns exec "$A" "$ternss" -n -H -K dport = :5000 | awk '{ print $1, $2, $3, $4, $5 }' | sort)
	same "ternss -K prints what it killed" "$out" "$killed"
	after=$(listing "$A" -a)
	same "the others stay" "$after" "$(awk '$5 !~ /:5000$/' <<<"$before")"
	e=$(errors_of)
	grep -qx 'est4 ECONNABORTED' <<<"$e" || err "the owner: $(tr '\n' ' ' <<<"$e")"
	grep -qx 'queued4 ECONNABORTED' <<<"$e" || err "the owner of the queued: $(tr '\n' ' ' <<<"$e")"
	grep -qx 'estpeer4 ECONNRESET' <<<"$e" || err "the peer: $(tr '\n' ' ' <<<"$e")"
	grep -qx 'est6 0' <<<"$e" || err "an IPv6 connection: $(tr '\n' ' ' <<<"$e")"
	# B: the peers are gone (reset), the rest is there
	rest=$(listing "$B" -a | awk '$4 ~ /:5000$/ { print $1 }')
	[ "$rest" = LISTEN ] || err "B's port 5000 after the kill: $rest"
	# a request, a TIME-WAIT, a listener
	ss_in "$B" -K state syn-recv >/dev/null || err "-K state syn-recv failed"
	[ "$(count_state "$B" SYN-RECV .)" = 0 ] || err "SYN-RECV left after -K"
	ss_in "$A" -K state time-wait >/dev/null || err "-K state time-wait failed"
	[ "$(count_state "$A" TIME-WAIT .)" = 0 ] || err "TIME-WAIT left after -K"
	ss_in "$B" -K state listening sport = :6000 >/dev/null || err "-K a listener failed"
	[ "$(count_state "$B" LISTEN ':6000$')" = 0 ] || err "the listener stayed"
	[ "$(count_state "$B" LISTEN .)" = 5 ] || err "the other listeners went too"
	e=$(errors_of)
	grep -qx 'lis6 ECONNABORTED' <<<"$e" || err "the listener's owner: $(tr '\n' ' ' <<<"$e")"
}

case_kill_unprivileged() {
	local before out

	slowwait "$WAIT_S" no_mismatch "$A" || { err "the sockets are not as made"; return; }
	before=$(listing "$A" -a)
	out=$(ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$ternss" -n -K dport = :5000 2>&1) &&
		err "an unprivileged -K succeeded: $out"
	grep -q 'Operation not permitted' <<<"$out" || err "unprivileged -K: $out"
	# the dump itself needs no privilege
	ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$ternss" -a >/dev/null ||
		err "an unprivileged dump failed"
	same "nothing was killed" "$(listing "$A" -a)" "$before"
}

# sockstat NS FIELD: a number from /proc/net/tern/sockstat
sockstat() {
	ip netns exec "$1" awk -v f="$2" '{ for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' \
		/proc/net/tern/sockstat
}

settled() {
	[ "$(sockstat "$A" tw)" = "$BIG_TW" ] &&
		[ "$(sockstat "$A" inuse)" = $((2 * BIG_EST + 1)) ]
}

case_big_dump() {
	local n tw inuse

	slowwait 60 settled || err "sockstat: $(ip netns exec "$A" cat /proc/net/tern/sockstat)"
	tw=$(sockstat "$A" tw)
	inuse=$(sockstat "$A" inuse)
	n=$(ss_in "$A" -n -H -a | wc -l)
	[ "$n" = $((tw + inuse)) ] || err "ternss -a lists $n sockets, sockstat $inuse + $tw"
	n=$(ss_in "$A" -n -H state time-wait | wc -l)
	[ "$n" = "$tw" ] || err "ternss lists $n TIME-WAIT, sockstat $tw"
	n=$(ss_in "$A" -n -H -i state established | grep -c '^ESTAB')
	[ "$n" = $((2 * BIG_EST)) ] || err "ternss -i lists $n connections, not $((2 * BIG_EST))"
	# the bytecode on every kind: the clients' side (TIME-WAIT and ESTAB)
	n=$(ss_in "$A" -n -H -a dport = :7100 | wc -l)
	[ "$n" = $((BIG_TW + BIG_EST)) ] || err "dport = :7100 lists $n, not $((BIG_TW + BIG_EST))"
	# an IPv4 prefix holds the IPv4-mapped addresses of IPv6 sockets: the
	# listener's side of the IPv4 clients; a range over every TIME-WAIT
	n=$(ss_in "$A" -n -H -a 'sport = :7100 and src 127.0.0.1' | wc -l)
	[ "$n" = $((BIG_EST / 2)) ] || err "src 127.0.0.1 lists $n, not $((BIG_EST / 2))"
	n=$(ss_in "$A" -n -H -a '(dport >= :7100 and dport <= :7100) and not src ::1' | wc -l)
	[ "$n" = $((BIG_TW + BIG_EST / 2)) ] || err "a range lists $n, not $((BIG_TW + BIG_EST / 2))"
}

tern_test_begin
[ -x "$ternss" ] || { echo "Bail out! $ternss is missing (make userspace)"; exit 1; }
[ -x "$synflood" ] || { echo "Bail out! $synflood is missing (make -C selftests)"; exit 1; }
tern_load || { echo "Bail out! modprobe tern failed"; exit 1; }

TERN_SAMPLE_OUT="filters kill_unprivileged"
tern_run_case states case_states
tern_run_case filters case_filters
tern_run_case process_ext_info case_process_ext_info
tern_run_case kill case_kill
tern_run_case kill_unprivileged case_kill_unprivileged
MODE=big
tern_run_case big_dump case_big_dump

tern_test_end
