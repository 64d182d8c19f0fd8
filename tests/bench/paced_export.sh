#!/usr/bin/env bash
# What pacing changes for a stock nfcapd (no -B: the system's default
# receive buffer): generator -> netflow_export -> nfcapd, paced (max_burst =
# 8, the default) and not (max_burst = 0), for v5, v9 and IPFIX at each rate.
#
#   tests/bench/paced_export.sh [BUILD_DIR] [SECONDS] [RATES...]   (defaults: build 2 20000 100000)
#
# Prints flows sent, flows nfcapd stored and its sequence failures (nfdump -I).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
seconds=${2:-2}
shift 2 2> /dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(20000 100000)
source "$root/tests/bench/lib.sh"
require_programs nfcapd nfdump python3
require_build "$build" generator netflow_export
with_work_dir

printf '%-8s %-9s %-10s %10s %10s %10s\n' version flows/s max_burst sent stored "seq fails"
for rate in "${rates[@]}"; do
  for version in 5 9 10; do
    for burst in 0 8; do
      port=$(free_port)
      rm -rf "$work/out" && mkdir -p "$work/out"
      nfcapd -w "$work/out" -p "$port" -b 127.0.0.1 > /dev/null 2>&1 &
      collector=$!
      wait_udp_port "$port"
      "$build/bin/sluice" run "$root/tests/bench/paced_export.toml" --stats-interval 0 \
        --set sources.gen.rate="$rate" --set sources.gen.count=$((rate * seconds)) --set sinks.wire.version="$version" \
        --set sinks.wire.max_burst="$burst" --set sinks.wire.target="127.0.0.1:$port" > /dev/null 2>&1
      sleep 0.5  # nfcapd reads what is queued
      kill -TERM "$collector" && wait "$collector" || true
      collector=""
      stats=$(nfdump -R "$work/out" -I)
      printf '%-8s %-9s %-10s %10s %10s %10s\n' "$version" "$rate" "$burst" $((rate * seconds)) \
        "$(awk '/^Flows:/ {n += $2} END {print n + 0}' <<< "$stats")" \
        "$(awk '/^Sequence failures:/ {n += $3} END {print n + 0}' <<< "$stats")"
    done
  done
done
