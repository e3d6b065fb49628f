#!/usr/bin/env bash
# Quick-start command 1: install dependencies, build (release), run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target evlog_demo
exec ./build/release/examples/evlog_demo "$@"
