#!/usr/bin/env python3
"""Prints evlog-vs-baseline ratios from Google Benchmark JSON output.

Usage: ratio_table.py RESULTS.json [RESULTS2.json ...]

Each row divides the median of an evlog scenario's measure by the median of
its baseline's *from the same file* (same run, same machine state). With
several files (several runs), one ratio column per run is printed. The output
is Markdown tables, ready for docs/PERFORMANCE.md:

* log and producer scenarios (evlog_bench_log): items/s, evlog / baseline,
  higher is better;
* compaction (evlog_bench_compaction): records/s of one compaction pass /
  records/s of the keyed producer it must keep up with, higher is better;
* pipeline scenarios (evlog_bench_pipeline): flat-out items/s (higher is
  better) and latency percentiles (evlog / baseline, LOWER is better).

Only the tables whose scenarios appear in the files are printed.
"""

import json
import re
import statistics
import sys

# (evlog scenario, baseline scenario, {value size: target ratio}, note).
# An evlog scenario with extra arguments (BM_Producer_Send's keyed:K and
# threads:T) gives one row per variant; a target keyed by (value size,
# variant) applies to that variant only. Value size None: a scenario without
# a value:N argument.
PAIRS = [
    ("BM_Log_AppendBatch", "BM_Lmdb_AppendBatch", {100: 2.0}, "(a) batched append"),
    ("BM_Log_AppendOne", "BM_Lmdb_AppendBatch", {100: 1.0}, "(b) one-at-a-time append vs LMDB batched"),
    ("BM_Log_ReadSeq", "BM_Lmdb_ReadSeq", {100: 1.5}, "(c) sequential read"),
    ("BM_Log_AppendOne", "BM_Lmdb_AppendOne", {}, "one-at-a-time vs one put per txn"),
    ("BM_Log_ReadSeqUnbatched", "BM_Lmdb_ReadSeq", {}, "read, 1 record per frame"),
    ("BM_Log_AppendOne_Sync", "BM_Lmdb_AppendOne_Sync", {}, "synced append, one per call"),
    ("BM_Log_AppendBatch", "BM_Memcpy_Append", {}, "batched append vs memcpy"),
    ("BM_Log_AppendOne", "BM_Memcpy_Append", {}, "one-at-a-time vs memcpy"),
    ("BM_Producer_Send", "BM_Lmdb_AppendBatch", {}, "producer Send vs LMDB batched"),
    ("BM_Producer_Send", "BM_Memcpy_Append", {}, "producer Send vs memcpy"),
    ("BM_Producer_Send", "BM_Log_AppendOne", {}, "producer Send vs the log alone"),
    # Issue 5: compaction must keep up with the producer (>= 1x, on disk).
    ("BM_Compaction_1M", "BM_Log_AppendKeyed", {(None, "in_memory:0"): 1.0},
     "(d) compaction pass vs keyed append"),
    ("BM_Memcpy_AppendFreshFile", "BM_Memcpy_Append", {},
     "persisting alone: memcpy into fresh file pages vs into a touched buffer"),
    # Issue 15: synced batches >= 1.5x LMDB's synced transactions of 1000.
    ("BM_Producer_SendBatch_Sync", "BM_Lmdb_AppendBatch_Sync", {100: 1.5},
     "(e) synced SendBatch of 1000 vs LMDB synced txn of 1000"),
    ("BM_Producer_SendAsync_Sync", "BM_Lmdb_AppendBatch_Sync",
     {(100, "linger_ms:0"): 1.5},
     "(f) SendAsync group commit (acked durable) vs LMDB synced txn of 1000"),
    ("BM_Producer_SendAsync_Sync", "BM_Log_AppendOne_Sync", {},
     "SendAsync group commit vs one msync per record"),
]
VALUE_SIZES = [100, 1024, None]


# Google Benchmark's own name parts, not arguments of the scenario.
HARNESS_PARTS = ("min_time:", "iterations:", "repeats:", "real_time",
                 "manual_time", "process_time")


def scenario_key(run_name, threads=1):
    """'BM_X/value:100/keyed:1/min_time:1.000/real_time' with 2 threads ->
    ('BM_X', 100, 'keyed:1 threads:2'): scenario, value size, other args."""
    parts = run_name.split("/")
    value, extra = None, []
    for part in parts[1:]:
        if part.startswith("value:"):
            value = int(part[len("value:"):])
        elif part.startswith("threads:"):
            continue  # taken from the `threads` field below
        elif not part.startswith(HARNESS_PARTS):
            extra.append(part)
    if threads > 1 or "threads:" in run_name:
        extra.append(f"threads:{threads}")
    return parts[0], value, " ".join(extra)


def load(path):
    """{(scenario, value): [items/s of each repetition]} plus errors."""
    with open(path) as f:
        doc = json.load(f)
    runs, cpu, errors = {}, {}, {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        key = scenario_key(b.get("run_name", b["name"]), b.get("threads", 1))
        if b.get("error_occurred"):
            errors[key] = b.get("error_message", "error")
            continue
        if "items_per_second" not in b:
            continue
        runs.setdefault(key, []).append(b["items_per_second"])
        # The same rate on CPU time: what the rate would be without waiting
        # (msync, fsync, page-ins); tells CPU cost from blocking.
        cpu.setdefault(key, []).append(
            b["items_per_second"] * b["real_time"] / b["cpu_time"])
    return doc.get("context", {}), runs, cpu, errors


def fmt_rate(v):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= div:
            return f"{v / div:.3g}{unit}/s"
    return f"{v:.3g}/s"


def fmt_spread(samples):
    """Median and the spread of repetitions around it, e.g. '6.2M/s ±3%'."""
    med = statistics.median(samples)
    if len(samples) < 2 or med == 0:
        return fmt_rate(med)
    spread = max(abs(s - med) for s in samples) / med * 100
    return f"{fmt_rate(med)} ±{spread:.0f}%"


def verdict(ratios, target, higher_is_better=True):
    """'yes', 'no' or 'mixed' for the numeric ratios against `target`
    ('' without a target or numbers)."""
    numeric = [r for r in ratios if isinstance(r, float)]
    if target is None or not numeric:
        return ""
    if not higher_is_better:  # compare inverses: lower is better
        numeric, target = [-r for r in numeric], -target
    return "yes" if min(numeric) >= target else (
        "no" if max(numeric) < target else "mixed")


def log_table(files):
    """The log and producer scenarios: items/s ratios, higher is better."""
    run_cols = [f"ratio run {i + 1}" for i in range(len(files))]
    header = (["comparison", "value", "evlog", "baseline", *run_cols,
               "target", "met?", "CPU-time ratio"])
    rows = []
    for evlog, base, targets, note in PAIRS:
        variants = sorted({k[2] for f in files for k in f[1] if k[0] == evlog})
        for size in VALUE_SIZES:
            for variant in variants:
                ekey, bkey = (evlog, size, variant), (base, size, "")
                ratios, abs_cells, cpu_ratios = [], None, []
                for _, runs, cpu, errors in files:
                    e, b = runs.get(ekey), runs.get(bkey)
                    if not e or not b:
                        err = errors.get(ekey) or errors.get(bkey)
                        ratios.append(f"n/a ({err})" if err else "n/a")
                        continue
                    ratios.append(statistics.median(e) / statistics.median(b))
                    cpu_ratios.append(statistics.median(cpu[ekey]) /
                                      statistics.median(cpu[bkey]))
                    if abs_cells is None:
                        abs_cells = (fmt_spread(e), fmt_spread(b))
                if abs_cells is None:
                    continue
                target = targets.get((size, variant), targets.get(size))
                met = verdict(ratios, target)
                name = f"{evlog}" + (f" {variant}" if variant else "")
                rows.append([f"{note}: {name} / {base}",
                             f"{size} B" if size else "",
                             abs_cells[0], abs_cells[1],
                             *[f"{r:.2f}x" if isinstance(r, float) else r
                               for r in ratios],
                             f">= {target:g}x" if target is not None else "",
                             met, " / ".join(f"{r:.2f}x" for r in cpu_ratios)])
    if not rows:
        return
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print()
    print("evlog/baseline: median items/s (wall clock) over the repetitions "
          "of one run (± = largest deviation of a repetition from that "
          "median); absolute figures are from run 1. CPU-time ratio: the same "
          "ratio computed on CPU time instead of wall time (summed over "
          "threads), one per run.")
    print()


# ---------------------------------------------------------------------------
# Pipeline (bench/pipeline_bench.cc)
# ---------------------------------------------------------------------------

# (evlog transport, baseline transport, target or None, note) for flat-out
# throughput: evlog items/s / baseline items/s, higher is better.
PIPELINE_THROUGHPUT = [
    ("evlog_spin", "spsc", 1.0, "spin-then-block vs spsc"),
    ("evlog_busy_spin", "spsc", None, "busy-spin vs spsc"),
    ("evlog_block", "spsc", None, "block vs spsc"),
    ("evlog_spin", "mutex_cv", None, "spin-then-block vs mutex+condvar"),
    ("evlog_block", "mutex_cv", None, "block vs mutex+condvar"),
    ("evlog_spin_batch64", "spsc", None, "SendBatch of 64, spin-then-block vs spsc"),
]
# (evlog transport, baseline transport, counter, {rate: target}, note) for
# latency: evlog percentile / baseline percentile, LOWER is better.
PIPELINE_LATENCY = [
    ("evlog_spin", "spsc", "p50_us", {100000: 1.5}, "spin-then-block vs spsc"),
    ("evlog_spin", "spsc", "p99_us", {100000: 2.0}, "spin-then-block vs spsc"),
    ("evlog_spin", "spsc", "p999_us", {}, "spin-then-block vs spsc"),
    ("evlog_busy_spin", "spsc", "p50_us", {}, "busy-spin vs spsc"),
    ("evlog_busy_spin", "spsc", "p99_us", {}, "busy-spin vs spsc"),
    ("evlog_block", "mutex_cv", "p50_us", {}, "block vs mutex+condvar"),
    ("evlog_block", "mutex_cv", "p99_us", {100000: 1.0, 10000: 1.0},
     "block vs mutex+condvar"),
    ("evlog_block", "mutex_cv", "p999_us", {}, "block vs mutex+condvar"),
]
PIPELINE_RATES = [100000, 10000]


def load_pipeline(path):
    """{(scenario, transport, rate or None): {measure: [per repetition]}}."""
    with open(path) as f:
        doc = json.load(f)
    out = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        parts = b.get("run_name", b["name"]).split("/")
        if parts[0] not in ("BM_Throughput", "BM_Latency") or len(parts) < 2:
            continue
        m = re.search(r"/rate:(\d+)", b["name"])
        key = (parts[0], parts[1], int(m.group(1)) if m else None)
        for measure in ("items_per_second", "p50_us", "p99_us", "p999_us",
                        "max_us", "behind_us"):
            if measure in b:
                out.setdefault(key, {}).setdefault(measure, []).append(b[measure])
    return out


def fmt_us(v):
    return f"{v:.3g} us" if v < 1000 else f"{v / 1000:.3g} ms"


def pipeline_tables(paths):
    files = [load_pipeline(p) for p in paths]
    if not any(files):
        return
    run_cols = [f"ratio run {i + 1}" for i in range(len(files))]

    def median(f, key, measure):
        samples = f.get(key, {}).get(measure)
        return (statistics.median(samples), samples) if samples else (None, None)

    print("Flat-out throughput (records/s from first send to last receive; "
          "higher is better):")
    print()
    header = ["comparison", "evlog", "baseline", *run_cols, "target", "met?"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for ev, base, target, note in PIPELINE_THROUGHPUT:
        ratios, cells = [], None
        for f in files:
            e, es = median(f, ("BM_Throughput", ev, None), "items_per_second")
            b, bs = median(f, ("BM_Throughput", base, None), "items_per_second")
            if e is None or b is None:
                ratios.append(None)
                continue
            ratios.append(e / b)
            if cells is None:
                cells = (fmt_spread(es), fmt_spread(bs))
        if cells is None:
            continue
        met = verdict(ratios, target)
        print("| " + " | ".join([
            f"{note}: {ev} / {base}", *cells,
            *[f"{r:.2f}x" if r is not None else "n/a" for r in ratios],
            f">= {target:g}x" if target is not None else "", met]) + " |")
    print()
    print("One-way latency (evlog percentile / baseline percentile; LOWER is "
          "better):")
    print()
    header = ["comparison", "rate", "percentile", "evlog", "baseline",
              *run_cols, "target", "met?"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for rate in PIPELINE_RATES:
        for ev, base, measure, targets, note in PIPELINE_LATENCY:
            ratios, cells = [], None
            for f in files:
                e, es = median(f, ("BM_Latency", ev, rate), measure)
                b, bs = median(f, ("BM_Latency", base, rate), measure)
                if e is None or b is None or b == 0:
                    ratios.append(None)
                    continue
                ratios.append(e / b)
                if cells is None:
                    cells = (fmt_us(e), fmt_us(b))
            if cells is None:
                continue
            target = targets.get(rate)
            met = verdict(ratios, target, higher_is_better=False)
            print("| " + " | ".join([
                f"{note}: {ev} / {base}", f"{rate // 1000}k/s",
                measure.replace("_us", "").replace("p999", "p99.9"), *cells,
                *[f"{r:.2f}x" if r is not None else "n/a" for r in ratios],
                f"<= {target:g}x" if target is not None else "", met]) + " |")
    print()
    print("Absolute figures: medians over the repetitions of run 1 "
          "(throughput ± = largest deviation of a repetition).")
    print()
    print("All latency percentiles, run by run (median over repetitions; "
          "behind = how late the producer's last send was):")
    print()
    header = ["run", "transport", "rate", "p50", "p99", "p99.9", "max",
              "behind"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    transports = ["spsc", "mutex_cv", "evlog_spin", "evlog_block",
                  "evlog_busy_spin"]
    for i, f in enumerate(files):
        for rate in PIPELINE_RATES:
            for t in transports:
                key = ("BM_Latency", t, rate)
                if key not in f:
                    continue
                vals = [median(f, key, m)[0] for m in
                        ("p50_us", "p99_us", "p999_us", "max_us", "behind_us")]
                print("| " + " | ".join([
                    str(i + 1), t, f"{rate // 1000}k/s",
                    *[fmt_us(v) if v is not None else "n/a" for v in vals]])
                    + " |")
    print()


def main(paths):
    files = [load(p) for p in paths]
    for i, (ctx, *_rest) in enumerate(files):
        print(f"<!-- run {i + 1}: {ctx.get('date', '?')} "
              f"host={ctx.get('host_name', '?')} cpus={ctx.get('num_cpus', '?')} "
              f"mhz={ctx.get('mhz_per_cpu', '?')} "
              f"load at start={ctx.get('load_avg', '?')} -->")
    log_table(files)
    pipeline_tables(paths)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
