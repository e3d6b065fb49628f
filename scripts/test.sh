#!/usr/bin/env bash
# Quick-start command 2: install dependencies, then build and run the whole
# test suite: the developer build, ASan+UBSan and ThreadSanitizer builds.
# Builds run one after another (2 cores); each uses both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
start=$SECONDS
for preset in dev asan tsan; do
  echo "=== evlog: $preset build ($((SECONDS - start)) s)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j 2
  echo "=== evlog: $preset tests ($((SECONDS - start)) s)"
  ctest --preset "$preset" --no-tests=error
done
echo "=== evlog: all test suites passed ($((SECONDS - start)) s)"
