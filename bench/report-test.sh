#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench/report.py on the host (make lint): made-up runs of every scenario
# in bench/guest.sh's layout, two transports, two runs each; the report
# must have every scenario's table with its medians and ratios, the
# targets met and missed as the numbers say, and its three charts.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw=$tmp/raw

# run SCENARIO TRANSPORT RUN MBIT [KEY=VALUE for the .ctr]...
run() {
	local sc=$1 tr=$2 r=$3 mbit=$4 f
	shift 4
	f=$raw/$sc/$tr.$r
	mkdir -p "$raw/$sc"
	python3 - "$mbit" >"$f.json" <<'EOF'
import json, sys
m = float(sys.argv[1])
ivs = [{"start": i / 4, "end": (i + 1) / 4, "mbit_s": m, "cwnd": 10000 * (i + 1),
        "rtt_us": 60000} for i in range(4)]
print(json.dumps({"mbit_s": m, "retransmits": 3, "completion_s": 100 / m,
                  "conns_s": m, "trans_s": m, "latency_us": {"p99": 1000 / m},
                  "intervals": ivs}))
EOF
	[ "$sc" = fairness ] && cp "$f.json" "$f.ref.json"
	printf '%s\n' "rto_client 1" "rto_server 0" "${@/=/ }" >"$f.ctr"
}

mkdir -p "$raw"
{
	echo "kernel 6.12.0-test"
	echo "runs 2"
	echo "time 1"
	echo "transports tern-cubic tcp-cubic"
	echo "skip sctp no SCTP in this kernel"
} >"$raw/meta"
for sc in memory clean lossy impaired crr rr fairness tbf; do
	echo "scenario $sc a made-up $sc" >>"$raw/meta"
	for r in 1 2; do
		# Tern at 200 and 400 (median 300), TCP CUBIC at 100: 3.00x
		run "$sc" tern-cubic "$r" $((r * 200)) mem_per_conn_bytes=3000
		run "$sc" tcp-cubic "$r" 100 mem_per_conn_bytes=4000
	done
done
python3 "$top/bench/report.py" "$raw" "$tmp/out" --commit test >/dev/null
md=$tmp/out/results.md
fail() { echo "report-test: $*" >&2; sed 's/^/# /' "$md" >&2; exit 1; }
for sc in memory clean lossy impaired crr rr fairness tbf; do
	grep -q "^## $sc$" "$md" || fail "no section $sc"
done
grep -q '^| tern-cubic | 300.0 | 3.00× |' "$md" || fail "clean: no median 300.0 at 3.00x"
grep -q 'tern-cubic: 3.00× — \*\*met\*\*' "$md" || fail "clean: target not met"
grep -q 'tern-cubic: 0.75× — \*\*met\*\*' "$md" || fail "memory: 0.75x not met"
grep -q 'tern-cubic p99: 0.38× — \*\*met\*\*' "$md" || fail "rr: p99 not met"
grep -q 'BBR-style Tern CC: none' "$md" || fail "lossy: no BBR-style line"
grep -q 'RTOs client (TCP CUBIC: 1): 1 — \*\*met\*\*' "$md" || fail "impaired: RTOs"
grep -q 'tern-cubic Jain: 1.000 — \*\*met\*\*' "$md" || fail "fairness: Jain"
grep -q 'skipped: sctp' "$md" || fail "no skipped transport"
for png in lossy fairness tbf; do
	[ -s "$tmp/out/$png.png" ] || fail "no $png.png"
done
echo "report-test: ok"
