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
exec "$(dirname "${BASH_SOURCE[0]}")/run_bench.sh" evlog_bench_pipeline pipeline_bench.json "$@"
