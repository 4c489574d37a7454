#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: the raw runs of bench/guest.sh to results.md.

    report.py RAW OUTDIR [--commit C] [--date D] [--accel A] [--title T]

RAW holds meta (one "key value..." a line) and SCENARIO/TRANSPORT.RUN.json
(ternperf --json), .ctr ("name value" lines: RTOs, memory), .ref.json (the
fairness scenario's TCP CUBIC competitor). Writes OUTDIR/results.md, a
table per scenario of medians over the runs and their ratio to TCP CUBIC,
each of issue 9's targets met or missed (and by how much), and PNG charts
(throughput and cwnd over time, drawn by gnuplot) for the lossy, fairness
and tbf scenarios. Exits 1 when a run's output is missing or unreadable,
or a chart cannot be drawn: the smoke run in CI fails on a broken bench.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

REF = "tcp-cubic"
TBF_BASE_RTT_MS = 50.0
problems = []


def problem(msg):
    problems.append(msg)
    sys.stderr.write("report: %s\n" % msg)


# ---- reading


def read_meta(raw):
    meta = {"scenarios": [], "skips": {}, "transports": [], "notes": []}
    with open(os.path.join(raw, "meta")) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            key, rest = words[0], line.split(None, 1)[1].strip() if len(words) > 1 else ""
            if key == "scenario":
                name, desc = (rest.split(None, 1) + [""])[:2]
                meta["scenarios"].append((name, desc))
            elif key == "skip":
                tr, why = (rest.split(None, 1) + [""])[:2]
                meta["skips"][tr] = why
            elif key == "note":
                meta["notes"].append(rest)
            elif key == "transports":
                meta["transports"] = rest.split()
            else:
                meta[key] = rest
    return meta


def read_json(path):
    """The run's JSON, or None (a missing file: the run failed, as its TAP
    case says already; one that does not parse is a problem here)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        problem("%s: %s" % (path, e))
        return None


def read_ctr(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, v = line.split()
                out[k] = int(v)
    except OSError:
        pass
    except ValueError as e:
        problem("%s: %s" % (path, e))
    return out


class Run:
    def __init__(self, raw, sc, tr, r, want_json=True, want_ref=False):
        base = os.path.join(raw, sc, "%s.%d" % (tr, r))
        self.j = read_json(base + ".json") if want_json else None
        self.ctr = read_ctr(base + ".ctr")
        self.ref = read_json(base + ".ref.json") if want_ref else None
        self.ok = (self.j is not None or not want_json) and \
            (self.ref is not None or not want_ref) and bool(self.ctr)


def load(raw, meta, sc):
    runs = int(meta.get("runs", "1"))
    data = {}
    for tr in meta["transports"]:
        data[tr] = [Run(raw, sc, tr, r, want_json=(sc != "memory"),
                        want_ref=(sc == "fairness")) for r in range(1, runs + 1)]
    return data


# ---- metrics: each a function of one run, None where it has no value


def jget(run, *keys):
    v = run.j
    for k in keys:
        if v is None:
            return None
        v = v.get(k)
    return v


def jain(a, b):
    if a is None or b is None or a + b <= 0:
        return None
    return (a + b) ** 2 / (2 * (a * a + b * b))


def queue_delay_ms(run):
    """Median sender SRTT over the run's later three quarters, less the base RTT."""
    ivs = jget(run, "intervals") or []
    rtts = [iv["rtt_us"] for iv in ivs[len(ivs) // 4:] if iv.get("rtt_us")]
    if not rtts:
        return None
    return max(statistics.median(rtts) / 1000.0 - TBF_BASE_RTT_MS, 0.0)


def rto_sum(run):
    c = run.ctr
    if "rto_client" not in c:
        return None
    return c["rto_client"] + c["rto_server"]


# (column, unit, function, better: "high"/"low"/None, digits)
M_MBIT = ("goodput", "Mbit/s", lambda r: jget(r, "mbit_s"), "high", 1)
M_RETR = ("retransmits", "segs", lambda r: jget(r, "retransmits"), "low", 0)
METRICS = {
    "clean": [M_MBIT, M_RETR],
    "lossy": [M_MBIT, M_RETR],
    "impaired": [
        ("time to complete", "s", lambda r: jget(r, "completion_s"), "low", 2),
        ("RTOs client", "", lambda r: r.ctr.get("rto_client"), "low", 0),
        ("RTOs server", "", lambda r: r.ctr.get("rto_server"), "low", 0),
        M_RETR,
    ],
    "crr": [
        ("rate", "conns/s", lambda r: jget(r, "conns_s"), "high", 0),
        ("p99", "us", lambda r: jget(r, "latency_us", "p99"), "low", 0),
        ("RTOs", "both sides", rto_sum, "low", 0),
    ],
    "rr": [
        ("rate", "trans/s", lambda r: jget(r, "trans_s"), "high", 0),
        ("p99", "us", lambda r: jget(r, "latency_us", "p99"), "low", 0),
    ],
    "fairness": [
        ("goodput", "Mbit/s", lambda r: jget(r, "mbit_s"), "high", 1),
        ("TCP CUBIC's", "Mbit/s",
         lambda r: r.ref.get("mbit_s") if r.ref else None, None, 1),
        ("Jain index", "", lambda r: jain(jget(r, "mbit_s"),
                                          r.ref.get("mbit_s") if r.ref else None), "high", 3),
    ],
    "memory": [
        ("per connection", "bytes, both ends",
         lambda r: r.ctr.get("mem_per_conn_bytes"), "low", 0),
    ],
    "tbf": [
        M_MBIT,
        ("queueing delay", "ms", queue_delay_ms, "low", 1),
        M_RETR,
    ],
}


def median_of(runs, fn):
    vals = [fn(r) for r in runs if r.ok]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits):
    if v is None:
        return "–"
    if digits == 0:
        return "%d" % round(v)
    return "%.*f" % (digits, v)


def run_ratio(data, fn, tr, ref):
    """The median over the runs of TR's value over REF's in the same run
    (interleaved runs: what drifts between runs cancels out)."""
    vals = []
    for a, b in zip(data.get(tr, []), data.get(ref, [])):
        if a.ok and b.ok:
            x, y = fn(a), fn(b)
            if x is not None and y:
                vals.append(x / y)
    return statistics.median(vals) if vals else None


def fmt_ratio(x):
    return "–" if x is None else "%.2f×" % x


# ---- targets (issue 9's table)


def check_ratio(what, x, want, higher):
    """One target line: the ratio X against WANT (>= if higher, else <=)."""
    if x is None:
        return "%s: no data (missed)" % what
    met = x >= want if higher else x <= want
    if met:
        return "%s: %.2f× — **met** (target %s %.2f×)" % (what, x, "≥" if higher else "≤", want)
    by = (want - x) / want * 100 if higher else (x - want) / want * 100
    return "%s: %.2f× — **missed** by %.0f %% (target %s %.2f×)" % (
        what, x, by, "≥" if higher else "≤", want)


def check_abs(what, v, want, higher, digits=0):
    if v is None:
        return "%s: no data (missed)" % what
    met = v >= want if higher else v <= want
    if met:
        return "%s: %s — **met** (target %s %s)" % (what, fmt(v, digits), "≥" if higher else "≤",
                                                       fmt(want, digits))
    return "%s: %s — **missed** (target %s %s)" % (what, fmt(v, digits), "≥" if higher else "≤",
                                                    fmt(want, digits))


def targets(sc, med, data, meta):
    """med[tr][column] = median; data[tr] = runs. A list of markdown lines."""
    terns = [t for t in meta["transports"] if t.startswith("tern-")]
    ref = med.get(REF, {})
    fns = {name: fn for name, _, fn, _, _ in METRICS[sc]}
    out = []

    def r(tr, col, against=REF):
        return run_ratio(data, fns[col], tr, against)

    if sc == "clean":
        out.append("Target: each Tern CC ≥ 1.0× TCP CUBIC's goodput.")
        out += [check_ratio(t, r(t, "goodput"), 1.0, True) for t in terns]
    elif sc == "lossy":
        out.append("Target: a BBR-style Tern CC ≥ 1.0× TCP BBR; Tern CUBIC ≥ 1.0× TCP CUBIC.")
        if "tern-cubic" in terns:
            out.append(check_ratio("tern-cubic vs TCP CUBIC", r("tern-cubic", "goodput"), 1.0, True))
        bbrs = [t for t in terns if "bbr" in t]
        bbr_ref = med.get("tcp-bbr", {}).get("goodput")
        for t in bbrs:
            out.append(check_ratio("%s vs TCP BBR" % t, r(t, "goodput", "tcp-bbr"), 1.0, True))
        if not bbrs:
            out.append("BBR-style Tern CC: none in net.tern.available_congestion_control "
                       "(%s) — **missed**" % " ".join(t[5:] for t in terns))
        if bbr_ref is not None and ref.get("goodput"):
            out.append("(TCP BBR here: %s TCP CUBIC)" % fmt_ratio(r("tcp-bbr", "goodput")))
    elif sc == "impaired":
        out.append("Target: time ≤ 1.0× TCP CUBIC's; RTOs per side no more than TCP CUBIC's.")
        for t in terns:
            out.append(check_ratio("%s time" % t, r(t, "time to complete"), 1.0, False))
            for side in ("client", "server"):
                col = "RTOs " + side
                out.append(check_abs("%s RTOs %s (TCP CUBIC: %s)" % (t, side, fmt(ref.get(col), 0)),
                                     med[t].get(col), ref.get(col, 0), False))
    elif sc == "crr":
        out.append("Target: ≥ 1.0× TCP CUBIC's conns/s, and no RTO on a lossless link.")
        for t in terns:
            out.append(check_ratio("%s rate" % t, r(t, "rate"), 1.0, True))
            out.append(check_abs("%s RTOs (both sides, the most in a run)" % t,
                                 med[t].get("_rto_max"), 0, False))
    elif sc == "rr":
        out.append("Target: keep ≥ 1.0× TCP CUBIC's rate, p99 ≤ TCP CUBIC's.")
        for t in terns:
            out.append(check_ratio("%s rate" % t, r(t, "rate"), 1.0, True))
            out.append(check_ratio("%s p99" % t, r(t, "p99"), 1.0, False))
    elif sc == "fairness":
        out.append("Target: keep Jain's index ≥ 0.95, each CC.")
        out += [check_abs("%s Jain" % t, med[t].get("Jain index"), 0.95, True, 3) for t in terns]
    elif sc == "memory":
        out.append("Target: keep ≤ TCP's kernel memory per idle connection.")
        out += [check_ratio(t, r(t, "per connection"), 1.0, False) for t in terns]
    elif sc == "tbf":
        out.append("Target: none in the issue (reported: goodput and the queueing "
                   "delay, the sender's SRTT less the 50 ms path).")
    return out


# ---- charts


def series(run_json):
    """(t, Mbit/s, cwnd KB) per interval, t at its end."""
    pts = []
    for iv in (run_json or {}).get("intervals") or []:
        cwnd = iv.get("cwnd")
        pts.append((iv["end"], iv["mbit_s"], cwnd / 1000.0 if cwnd is not None else None))
    return pts


def median_run(runs):
    """The run of median goodput: the one to draw."""
    good = [r for r in runs if r.ok and jget(r, "mbit_s") is not None]
    if not good:
        return None
    good.sort(key=lambda r: jget(r, "mbit_s"))
    return good[(len(good) - 1) // 2]


def write_dat(tmp, name, pts):
    path = os.path.join(tmp, name + ".dat")
    with open(path, "w") as f:
        for t, mb, cw in pts:
            f.write("%.3f %.3f %s\n" % (t, mb, "NaN" if cw is None else "%.1f" % cw))
    return path


def gp_quote(s):
    return "'" + s.replace("'", "''") + "'"


def plot_panels(flows, title, log=False):
    """gnuplot lines: throughput then cwnd of FLOWS [(label, dat)]."""
    lines = ["set logscale y" if log else "unset logscale y"]
    for col, ylabel in ((2, "goodput (Mbit/s)"), (3, "cwnd (KB)")):
        lines.append("set ylabel %s" % gp_quote(ylabel))
        lines.append("set title %s" % gp_quote(title))
        lines.append("plot " + ", ".join(
            "%s using 1:%d with linespoints pt 7 ps 0.4 title %s" % (gp_quote(d), col, gp_quote(lab))
            for lab, d in flows))
    return lines


def gnuplot(script, png):
    try:
        p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True,
                           timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        problem("gnuplot: %s (make deps installs gnuplot-nox)" % e)
        return False
    if p.returncode != 0 or not os.path.exists(png) or os.path.getsize(png) == 0:
        problem("gnuplot for %s: %s" % (png, p.stderr.strip()[-500:]))
        return False
    return True


def chart_flows(sc, data, meta, outdir, tmp, desc):
    """One PNG: throughput and cwnd over time, a line per transport."""
    flows = []
    for tr in meta["transports"]:
        run = median_run(data[tr])
        pts = series(run.j) if run else []
        if pts:
            flows.append((tr, write_dat(tmp, "%s-%s" % (sc, tr), pts)))
    if not flows:
        problem("%s: no interval samples to draw" % sc)
        return None
    png = os.path.join(outdir, "%s.png" % sc)
    script = ["set terminal pngcairo size 1000,750 font ',10'",
              "set output %s" % gp_quote(png),
              "set datafile missing 'NaN'", "set key outside right", "set grid",
              "set xlabel 'time (s)'", "set multiplot layout 2,1"]
    # BBR can be 60 times CUBIC under random loss: a log scale shows both
    script += plot_panels(flows, "%s: %s (median run)" % (sc, desc), log=(sc == "lossy"))
    script.append("unset multiplot")
    return os.path.basename(png) if gnuplot("\n".join(script) + "\n", png) else None


def chart_fairness(data, meta, outdir, tmp, desc):
    """One PNG: a row per transport, its flow and the TCP CUBIC flow."""
    rows = []
    for tr in meta["transports"]:
        run = median_run(data[tr])
        if not run:
            continue
        a, b = series(run.j), series(run.ref)
        if a and b:
            rows.append((tr, write_dat(tmp, "fair-%s" % tr, a),
                         write_dat(tmp, "fair-%s-ref" % tr, b)))
    if not rows:
        problem("fairness: no interval samples to draw")
        return None
    png = os.path.join(outdir, "fairness.png")
    script = ["set terminal pngcairo size 1200,%d font ',9'" % (260 * len(rows) + 60),
              "set output %s" % gp_quote(png),
              "set datafile missing 'NaN'", "set key top right opaque", "set grid",
              "set xlabel 'time (s)'",
              "set multiplot layout %d,2 title %s" % (len(rows), gp_quote(
                  "fairness: %s (median run of each)" % desc))]
    for tr, da, db in rows:
        script += plot_panels([(tr, da), ("tcp-cubic (competitor)", db)], tr)
    script.append("unset multiplot")
    return os.path.basename(png) if gnuplot("\n".join(script) + "\n", png) else None


# ---- the report


def scenario_section(raw, meta, sc, desc, outdir, tmp):
    data = load(raw, meta, sc)
    cols = METRICS.get(sc)
    if cols is None:
        problem("unknown scenario %s" % sc)
        return []
    med = {}
    lines = ["## %s" % sc, "", desc + ".", ""]
    head = ["transport"]
    for name, unit, _, better, _ in cols:
        head.append("%s%s" % (name, " (%s)" % unit if unit else ""))
        if better:
            head.append("×CUBIC")
    head.append("runs")
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for tr in meta["transports"]:
        runs = data[tr]
        med[tr] = {name: median_of(runs, fn) for name, _, fn, _, _ in cols}
        rtos = [rto_sum(r) for r in runs if r.ok and rto_sum(r) is not None]
        med[tr]["_rto_max"] = max(rtos) if rtos else None
    for tr in meta["transports"]:
        row = [tr]
        for name, _, fn, better, digits in cols:
            row.append(fmt(med[tr][name], digits))
            if better:
                row.append(fmt_ratio(run_ratio(data, fn, tr, REF)))
        okc = sum(1 for r in data[tr] if r.ok)
        row.append("%d/%d" % (okc, len(data[tr])))
        if okc < len(data[tr]):
            problem("%s %s: %d of %d runs have no usable output" % (sc, tr, len(data[tr]) - okc,
                                                                  len(data[tr])))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines += ["- " + t for t in targets(sc, med, data, meta)]
    lines.append("")
    png = None
    if sc in ("lossy", "tbf"):
        png = chart_flows(sc, data, meta, outdir, tmp, desc)
    elif sc == "fairness":
        png = chart_fairness(data, meta, outdir, tmp, desc)
    if png:
        lines += ["![%s](%s)" % (sc, png), ""]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("outdir")
    ap.add_argument("--commit", default="?")
    ap.add_argument("--date", default="?")
    ap.add_argument("--accel", default="?")
    ap.add_argument("--title", default="make bench")
    a = ap.parse_args()
    try:
        meta = read_meta(a.raw)
    except OSError as e:
        problem("no meta in %s: %s" % (a.raw, e))
        return 1
    os.makedirs(a.outdir, exist_ok=True)
    out = ["# Tern: %s results" % a.title, "",
           "- kernel: %s (%s CPUs, qemu %s)" % (meta.get("kernel", "?"), meta.get("cpus", "?"),
                                              a.accel),
           "- commit: %s" % a.commit,
           "- date: %s" % a.date,
           "- runs: medians of %s runs of %s s each (the impaired scenario: %s bytes each way), "
           "transports interleaved run by run; a ratio (×CUBIC) is the median over the runs of "
           "the value over TCP CUBIC's in the same run"
           % (meta.get("runs", "?"), meta.get("time", "?"), meta.get("bytes", "?")),
           "- transports: %s" % " ".join(meta["transports"])]
    for tr, why in sorted(meta["skips"].items()):
        out.append("- skipped: %s (%s)" % (tr, why))
    for note in meta["notes"]:
        out.append("- note: %s" % note)
    out += ["", "Two network namespaces over a veth pair, in the VM; the client sends. "
            "Goodput is the receiver's count over the receiver's time (ternperf). "
            "Made by `make bench` (README.md, \"Benchmark\").", ""]
    if REF not in meta["transports"]:
        problem("no %s transport: no ratios" % REF)
    with tempfile.TemporaryDirectory() as tmp:
        for sc, desc in meta["scenarios"]:
            out += scenario_section(a.raw, meta, sc, desc, a.outdir, tmp)
    if problems:
        out += ["## Problems", ""] + ["- " + p for p in problems] + [""]
    with open(os.path.join(a.outdir, "results.md"), "w") as f:
        f.write("\n".join(out))
    print("report: %s" % os.path.join(a.outdir, "results.md"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
