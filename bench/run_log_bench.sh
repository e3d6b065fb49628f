#!/usr/bin/env bash
# Builds and runs the partition-log benchmarks, then prints the
# evlog-vs-baseline ratio table (docs/PERFORMANCE.md explains the method).
#
#   bench/run_log_bench.sh [extra --benchmark_* flags]
#
# Environment:
#   BUILD_DIR  build directory (default: build/bench; Release, no tests)
#   OUT        JSON results file (default: $BUILD_DIR/log_bench.json)
#   REPS       repetitions per scenario (default: 3)
#   TMPDIR     where the benchmark data goes (default: /tmp)
#
# Run it on a machine as quiet as you can get: the ratios are robust to a
# uniformly slower machine, not to another process competing mid-run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/bench}"
out="${OUT:-$build/log_bench.json}"
reps="${REPS:-3}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEVLOG_BUILD_TESTS=OFF -DEVLOG_BUILD_EXAMPLES=OFF -DEVLOG_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target evlog_bench_log -j2

# Samples the 1-minute load average every 2 s while the benchmark runs.
load_log="$out.load"
(while true; do cut -d' ' -f1 /proc/loadavg; sleep 2; done) >"$load_log" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench/evlog_bench_log" \
  --benchmark_repetitions="$reps" \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json \
  "$@"
kill "$sampler" 2>/dev/null || true
echo "load after the run:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2
sort -n "$load_log" | awk 'NR == 1 {min = $1} {max = $1; n++}
  END {printf "1-min load during the run: %s .. %s (%d samples)\n", min, max, n}' >&2

echo
python3 "$root/bench/ratio_table.py" "$out"
