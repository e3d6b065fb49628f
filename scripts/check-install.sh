#!/usr/bin/env bash
# Packaging check (run by scripts/test.sh): installs a configured build to a
# temporary prefix, then builds and runs examples/installed against it the
# way an application would -- as a separate CMake project with
# find_package(evlog CONFIG), and with pkg-config -- and runs the installed
# evlog tool; then builds the same application against the source tree with
# add_subdirectory. Usage: check-install.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: check-install.sh BUILD_DIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/evlog-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# Moved after installation: the package must be relocatable.
mv "$tmp/prefix" "$tmp/moved"
cmake -S examples/installed -B "$tmp/app" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_PREFIX_PATH="$tmp/moved" >/dev/null
cmake --build "$tmp/app" >/dev/null
"$tmp/app/app"
PKG_CONFIG_PATH="$tmp/moved/lib/pkgconfig" \
  sh -c 'c++ examples/installed/app.cc -o "$0/app-pc" $(pkg-config --cflags --libs evlog)' "$tmp"
"$tmp/app-pc" >/dev/null
"$tmp/moved/bin/evlog" --version
# The same application against the source tree, through add_subdirectory
# (evlog's tests, tools and examples are off there: not the top level).
cmake -S examples/installed -B "$tmp/app-src" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DEVLOG_SOURCE_DIR="$PWD" >/dev/null
cmake --build "$tmp/app-src" -j 2 >/dev/null
"$tmp/app-src/app" >/dev/null
echo "install check: find_package(evlog CONFIG), pkg-config, add_subdirectory and the installed tool work"
