#!/usr/bin/env bash
# Installs what sluice needs from Debian 12 packages.
#   tests/install-deps.sh           to build and run sluice
#   tests/install-deps.sh --tests   also the test suite's: GoogleTest, Google
#                                   Benchmark, clang (sanitizers, libFuzzer)
#                                   and the real peers the interop tests drive
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libboost-dev libboost-program-options-dev
          libtomlplusplus-dev libfmt-dev liblz4-dev liblzo2-dev libbz2-dev libsystemd-dev zlib1g-dev librdkafka-dev
          liburing-dev dpkg-dev file libzstd-dev libsnappy-dev libmaxminddb-dev libsnmp-dev)
if [[ "${1:-}" == "--tests" ]]; then
  packages+=(libgtest-dev libgmock-dev libbenchmark-dev clang clang-format clang-tidy libclang-rt-14-dev
             nfdump softflowd tshark pmacct python3 python3-scapy hyperfine time
             clickhouse-server clickhouse-client systemd kcat protobuf-compiler libprotobuf-dev prometheus
             mmdb-bin libmaxmind-db-writer-perl libmaxmind-db-reader-perl snmpd snmp libsimdjson-dev)
  # Node.js for the npm-installed test readers; an image whose node came
  # with its own npm (nodesource) must not get Debian's, which conflicts.
  command -v npm >/dev/null || packages+=(nodejs npm)
fi

sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  # tshark asks whether non-root users may capture; the default (no) is fine.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Parquet tests' independent readers (DuckDB, hyparquet) from npm, at the
# versions of tests/parquet/readers/package-lock.json; their packages carry
# their libraries.
if [[ "${1:-}" == "--tests" ]]; then
  npm ci --prefix "$(dirname "$0")/parquet/readers" --no-audit --no-fund
fi
