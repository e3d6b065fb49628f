#!/usr/bin/env bash
# Quick-start command 2: install dependencies, check formatting
# (scripts/check-format.sh), then build and run the whole test suite: the
# developer build, ASan+UBSan and ThreadSanitizer builds
# (unit tests, the evlog CLI tests and every example, all through ctest),
# plus the packaging check: install the dev build to a temporary prefix and
# build examples/installed against it as a separate CMake project
# (find_package(evlog CONFIG)) and with pkg-config; and the short version of
# the reliability campaigns (scripts/reliability.sh ci: process kills, power
# losses, I/O errors, fuzz corpus replay and a brief fuzz of each target).
# Builds run one after another (2 cores); each uses both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
start=$SECONDS
echo "=== evlog: clang-format check"
bash scripts/check-format.sh
for preset in dev asan tsan; do
  echo "=== evlog: $preset build ($((SECONDS - start)) s)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j 2
  echo "=== evlog: $preset tests ($((SECONDS - start)) s)"
  ctest --preset "$preset" --no-tests=error
  if [ "$preset" = dev ]; then
    echo "=== evlog: install + find_package(evlog) + pkg-config ($((SECONDS - start)) s)"
    bash scripts/check-install.sh build/dev
    echo "=== evlog: reliability campaigns, short version ($((SECONDS - start)) s)"
    bash scripts/reliability.sh ci build/dev
  fi
done
echo "=== evlog: all test suites passed ($((SECONDS - start)) s)"
