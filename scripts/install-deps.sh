#!/usr/bin/env bash
# Installs the Debian 12 packages evlog needs to build, test and benchmark,
# skipping those already present. Run as root (or with sudo available).
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libabsl-dev libfmt-dev libxxhash-dev libzstd-dev liblz4-dev catch2 libbenchmark-dev
      liblmdb-dev libsqlite3-dev libboost-dev clang libclang-rt-14-dev
      clang-format-14
      # for the evlog command-line tool only (tools/), not the library:
      libcli11-dev nlohmann-json3-dev
      # for the Kafka backend only (lib/kafka, evlog::kafka):
      librdkafka-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "evlog: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
