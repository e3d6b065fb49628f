#!/usr/bin/env bash
# The reliability campaigns (docs/DURABILITY.md), short or long:
#
#   scripts/reliability.sh ci   [build dir]   # CI: ~5 min on 2 cores
#   scripts/reliability.sh long [build dir]   # 10,000 kills, 100,000 states,
#                                             # an hour of fuzzing (CPU time)
#
# [build dir] is a gcc build of the tests (default build/rel, configured
# RelWithDebInfo if missing; scripts/test.sh passes build/dev). Fuzzing uses
# its own clang build, build/fuzz (EVLOG_BUILD_FUZZ=ON, ASan+UBSan); it is
# skipped with a warning when clang++ is missing.
#
# Sizes can be overridden: KILLS, STATES, IO_OPS, IO_SEEDS, FUZZ_SECONDS
# (per target), SEED. Figures are appended to <build dir>/reliability/figures.txt
# and printed at the end. Exit status: non-zero if any campaign or fuzzer
# failed (a failure prints how to reproduce it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mode=${1:-ci}
build=${2:-build/rel}
case "$mode" in
  ci)   : "${KILLS:=500}" "${STATES:=5000}" "${IO_OPS:=40}" "${IO_SEEDS:=1}" "${FUZZ_SECONDS:=10}" ;;
  long) : "${KILLS:=10000}" "${STATES:=100000}" "${IO_OPS:=60}" "${IO_SEEDS:=8}" "${FUZZ_SECONDS:=600}" ;;
  *) echo "usage: $0 ci|long [build dir]" >&2; exit 2 ;;
esac
: "${SEED:=1}"
start=$SECONDS
say() { echo "=== reliability $mode: $* ($((SECONDS - start)) s)"; }
status=0

# ---- Build the campaigns (gcc) ----------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DEVLOG_BUILD_BENCH=OFF -DEVLOG_BUILD_EXAMPLES=OFF >/dev/null
fi
say "building campaigns in $build"
cmake --build "$build" -j 2 --target evlog_tests evlog_crash_child \
  frame_fuzz_replay segment_recovery_fuzz_replay index_file_fuzz_replay \
  store_meta_fuzz_replay offsets_file_fuzz_replay api_sequence_fuzz_replay
out="$build/reliability"
mkdir -p "$out"
figures="$out/figures.txt"
echo "# $(date -u +%FT%TZ) mode=$mode KILLS=$KILLS STATES=$STATES IO_OPS=$IO_OPS IO_SEEDS=$IO_SEEDS FUZZ_SECONDS=$FUZZ_SECONDS SEED=$SEED $(git rev-parse --short HEAD)" >>"$figures"
tests="$build/tests/evlog_tests"
# Stores of failed process-crash trials kept by earlier runs.
rm -rf /dev/shm/evlog-crash-* /tmp/evlog-crash-* 2>/dev/null || true

campaign() {  # <name> <catch filter> [VAR=value...]
  local name=$1 filter=$2
  shift 2
  say "campaign $name"
  if ! env EVLOG_RELIABILITY_FIGURES="$root/$figures" EVLOG_RELIABILITY_SEED="$SEED" "$@" \
      "$tests" "$filter" >"$out/$name.log" 2>&1; then
    echo "FAILED: campaign $name; see $out/$name.log" >&2
    grep -E "reproduce|FAILED|failed|lost|corrupt" "$out/$name.log" | head -20 >&2 || true
    status=1
  fi
}

# ---- Campaigns 1-3, 5 -----------------------------------------------------------
campaign process_crash "[process_crash]" EVLOG_RELIABILITY_KILLS="$KILLS" EVLOG_RELIABILITY_KILLS_PER_STORE=10
campaign power_loss "[power_loss]" EVLOG_RELIABILITY_STATES="$STATES" EVLOG_RELIABILITY_OPS=80
for ((i = 0; i < IO_SEEDS; i++)); do
  campaign "io_error.$((SEED + i))" "[io_error]" EVLOG_RELIABILITY_IO_OPS="$IO_OPS" \
    EVLOG_RELIABILITY_SEED=$((SEED + i))
done
campaign bad_input "[bad_input]"
campaign findings "[finding]"

# ---- Campaign 4: corpus replay (gcc) and fuzzing (clang) -----------------------
targets=(frame segment_recovery index_file store_meta offsets_file api_sequence)
say "fuzz corpus replay (gcc build)"
for t in "${targets[@]}"; do
  if ! "$build/tests/${t}_fuzz_replay" "fuzz/corpus/${t}_fuzz" >"$out/replay.$t.log" 2>&1; then
    echo "FAILED: corpus replay of ${t}_fuzz; see $out/replay.$t.log" >&2
    status=1
  fi
done
if command -v clang++ >/dev/null; then
  fuzz_build=build/fuzz
  if [ ! -f "$fuzz_build/CMakeCache.txt" ]; then
    CXX=clang++ cmake -S . -B "$fuzz_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DEVLOG_BUILD_FUZZ=ON -DEVLOG_SANITIZE=address,undefined -DEVLOG_BUILD_TESTS=OFF \
      -DEVLOG_BUILD_BENCH=OFF -DEVLOG_BUILD_EXAMPLES=OFF -DEVLOG_BUILD_TOOLS=OFF \
      -DEVLOG_INSTALL=OFF >/dev/null
  fi
  say "building fuzzers in $fuzz_build (clang, ASan+UBSan)"
  cmake --build "$fuzz_build" -j 2
  work="$fuzz_build/work"
  fuzz_one() {  # <target>: corpus replay under ASan, then FUZZ_SECONDS of fuzzing
    local t=$1 bin="$fuzz_build/fuzz/${1}_fuzz"
    mkdir -p "$work/$t" "$work/artifacts-$t"
    if ! "$bin" -runs=0 "fuzz/corpus/${t}_fuzz" >"$work/$t.replay.log" 2>&1 ||
       ! "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=2048 \
          -artifact_prefix="$work/artifacts-$t/" "$work/$t" "fuzz/corpus/${t}_fuzz" \
          >"$work/$t.log" 2>&1; then
      echo "FAILED: ${t}_fuzz; see $work/$t.log and $work/artifacts-$t/" >&2
      echo "  reproduce: $bin $work/artifacts-$t/<file>  (or build/*/tests/${t}_fuzz_replay <file>)" >&2
      return 1
    fi
    local runs
    runs=$(grep -oE 'Done [0-9]+ runs' "$work/$t.log" | grep -oE '[0-9]+' || echo 0)
    echo "FIGURES campaign=fuzz target=${t}_fuzz seconds=$FUZZ_SECONDS runs=$runs corpus_in_repo=$(ls "fuzz/corpus/${t}_fuzz" | wc -l) corpus_after=$(ls "$work/$t" | wc -l) crashes=0" >>"$figures"
  }
  # Two targets at a time (2 cores).
  for ((i = 0; i < ${#targets[@]}; i += 2)); do
    say "fuzzing ${targets[i]} and ${targets[i + 1]} for ${FUZZ_SECONDS} s each"
    fuzz_one "${targets[i]}" & a=$!
    fuzz_one "${targets[i + 1]}" & b=$!
    wait $a || status=1
    wait $b || status=1
  done
else
  echo "WARNING: clang++ not found: fuzzing skipped (corpus replayed with gcc only)" >&2
fi

say "figures ($figures)"
awk '/^# /{block=""} {block = block $0 "\n"} END {printf "%s", block}' "$figures"
if [ $status -ne 0 ]; then
  say "FAILED (see above; docs/DURABILITY.md lists the open findings)"
else
  say "all campaigns passed"
fi
exit $status
