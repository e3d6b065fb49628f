#!/usr/bin/env python3
"""Prints evlog-vs-baseline ratios from Google Benchmark JSON output.

Usage: ratio_table.py RESULTS.json [RESULTS2.json ...]

Each row divides the median items/s of an evlog scenario by the median items/s
of its baseline *from the same file* (same run, same machine state). With
several files (several runs), one ratio column per run is printed. The output
is a Markdown table, ready for docs/PERFORMANCE.md.
"""

import json
import re
import statistics
import sys

# (evlog scenario, baseline scenario, target ratio or None, note)
PAIRS = [
    ("BM_Log_AppendBatch", "BM_Lmdb_AppendBatch", {100: 2.0}, "(a) batched append"),
    ("BM_Log_AppendOne", "BM_Lmdb_AppendBatch", {100: 1.0}, "(b) one-at-a-time append vs LMDB batched"),
    ("BM_Log_ReadSeq", "BM_Lmdb_ReadSeq", {100: 1.5}, "(c) sequential read"),
    ("BM_Log_AppendOne", "BM_Lmdb_AppendOne", {}, "one-at-a-time vs one put per txn"),
    ("BM_Log_ReadSeqUnbatched", "BM_Lmdb_ReadSeq", {}, "read, 1 record per frame"),
    ("BM_Log_AppendOne_Sync", "BM_Lmdb_AppendOne_Sync", {}, "synced append, one per call"),
    ("BM_Log_AppendBatch", "BM_Memcpy_Append", {}, "batched append vs memcpy"),
    ("BM_Log_AppendOne", "BM_Memcpy_Append", {}, "one-at-a-time vs memcpy"),
]
VALUE_SIZES = [100, 1024]


def scenario_key(run_name):
    """'BM_X/value:100/min_time:1.000/real_time' -> ('BM_X', 100)."""
    parts = run_name.split("/")
    m = re.search(r"/value:(\d+)", run_name)
    return parts[0], int(m.group(1)) if m else None


def load(path):
    """{(scenario, value): [items/s of each repetition]} plus errors."""
    with open(path) as f:
        doc = json.load(f)
    runs, cpu, errors = {}, {}, {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        key = scenario_key(b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[key] = b.get("error_message", "error")
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


def main(paths):
    files = [load(p) for p in paths]
    ctx = files[0][0]
    print(f"<!-- {ctx.get('date', '?')} host={ctx.get('host_name', '?')} "
          f"cpus={ctx.get('num_cpus', '?')} mhz={ctx.get('mhz_per_cpu', '?')} "
          f"load={ctx.get('load_avg', '?')} -->")
    run_cols = [f"ratio run {i + 1}" for i in range(len(files))]
    header = (["comparison", "value", "evlog", "baseline", *run_cols,
               "target", "met?", "CPU-time ratio"])
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for evlog, base, targets, note in PAIRS:
        for size in VALUE_SIZES:
            ratios, abs_cells, cpu_ratios = [], None, []
            for _, runs, cpu, errors in files:
                e, b = runs.get((evlog, size)), runs.get((base, size))
                if not e or not b:
                    err = errors.get((evlog, size)) or errors.get((base, size))
                    ratios.append(f"n/a ({err})" if err else "n/a")
                    continue
                ratios.append(statistics.median(e) / statistics.median(b))
                cpu_ratios.append(statistics.median(cpu[(evlog, size)]) /
                                  statistics.median(cpu[(base, size)]))
                if abs_cells is None:
                    abs_cells = (fmt_spread(e), fmt_spread(b))
            if abs_cells is None:
                continue
            target = targets.get(size)
            numeric = [r for r in ratios if isinstance(r, float)]
            met = ""
            if target is not None and numeric:
                met = "yes" if min(numeric) >= target else (
                    "no" if max(numeric) < target else "mixed")
            cells = [f"{note}: {evlog} / {base}", f"{size} B",
                     abs_cells[0], abs_cells[1],
                     *[f"{r:.2f}x" if isinstance(r, float) else r for r in ratios],
                     f">= {target:g}x" if target is not None else "", met,
                     " / ".join(f"{r:.2f}x" for r in cpu_ratios)]
            print("| " + " | ".join(cells) + " |")
    print()
    print("evlog/baseline: median items/s (wall clock) over the repetitions "
          "of one run (± = largest deviation of a repetition from that "
          "median); absolute figures are from run 1. CPU-time ratio: the same "
          "ratio computed on CPU time instead of wall time, one per run.")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
