#!/usr/bin/env bash
# The body of bench/run_log_bench.sh and bench/run_pipeline_bench.sh:
# builds one benchmark executable (Release), runs it with repetitions while
# sampling the 1-minute load average, and prints the ratio tables.
#
#   bench/run_bench.sh <executable> <default JSON name> [extra --benchmark_* flags]
#
# Environment: BUILD_DIR, OUT, REPS, TMPDIR as described in the wrappers.
set -euo pipefail

exe="$1"
default_out="$2"
shift 2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/bench}"
out="${OUT:-$build/$default_out}"
reps="${REPS:-3}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEVLOG_BUILD_TESTS=OFF -DEVLOG_BUILD_EXAMPLES=OFF -DEVLOG_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target "$exe" -j2

# Samples the 1-minute load average every 2 s while the benchmark runs.
load_log="$out.load"
(while true; do cut -d' ' -f1 /proc/loadavg; sleep 2; done) >"$load_log" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench/$exe" \
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
