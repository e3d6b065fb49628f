#!/usr/bin/env bash
# Builds and runs the in-process pipeline benchmark (bench/pipeline_bench.cc:
# producer thread -> consumer thread through evlog, boost::lockfree::
# spsc_queue and a mutex+condvar queue), then prints the ratio tables
# (docs/PERFORMANCE.md explains the method).
#
#   bench/run_pipeline_bench.sh [extra --benchmark_* flags]
#
# Environment:
#   BUILD_DIR  build directory (default: build/bench; Release, no tests)
#   OUT        JSON results file (default: $BUILD_DIR/pipeline_bench.json)
#   REPS       repetitions per scenario (default: 3)
#   TMPDIR     where the store goes (default: /tmp)
#
# Both threads spin in most scenarios: on a 2-core machine any other runnable
# process preempts one of them for milliseconds. Check the load printed
# below; a run with a 1-minute load above ~1 measures the neighbours.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/bench}"
out="${OUT:-$build/pipeline_bench.json}"
reps="${REPS:-3}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DEVLOG_BUILD_TESTS=OFF -DEVLOG_BUILD_EXAMPLES=OFF -DEVLOG_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target evlog_bench_pipeline -j2

# Samples the 1-minute load average every 2 s while the benchmark runs.
load_log="$out.load"
(while true; do cut -d' ' -f1 /proc/loadavg; sleep 2; done) >"$load_log" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench/evlog_bench_pipeline" \
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
