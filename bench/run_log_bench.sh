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
exec "$(dirname "${BASH_SOURCE[0]}")/run_bench.sh" evlog_bench_log log_bench.json "$@"
