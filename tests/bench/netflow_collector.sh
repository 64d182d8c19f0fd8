#!/bin/bash
# Collector on loopback, NetFlow v5 at 30 records a datagram from sluice's
# generator: for each rate, the share of flows that arrive, in sluice's
# netflow_udp and in nfcapd 1.7.1, fed by the same sender in the same run.
#
#   tests/bench/netflow_collector.sh BUILD_DIR [SECONDS] [RATES...]
#   tests/bench/netflow_collector.sh build 5 600000 1200000 2400000 3600000
#
# Rates are flows/s (datagrams/s x 30). Both collectors write nfcapd files
# (sluice: netflow_udp -> binary_writer); flows are counted in those files.
# Prints one line per rate and collector.
set -euo pipefail
build=$(realpath "${1:?build dir}")
seconds=${2:-5}
shift 2 || true
rates=("$@")
[ $# -eq 0 ] && rates=(600000 1200000 2400000 3600000)
sluice="$build/bin/sluice"
source "$(dirname "$0")/lib.sh"
require_programs nfcapd nfdump python3
require_build "$build" generator netflow_export netflow_udp binary_writer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

send() {  # rate port: sends rate*seconds flows; prints "sent achieved_rate"
  local count=$(($1 * seconds)) start end sent
  start=$(date +%s.%N)
  "$sluice" run "$work/sender.toml" --set sources.gen.rate="$1" --set sources.gen.count="$count" \
    --set sinks.wire.target="127.0.0.1:$2" > "$work/sender.log" 2>&1
  end=$(date +%s.%N)
  sent=$(grep -o 'sent [0-9]* flows' "$work/sender.log" | grep -o '[0-9]*')
  echo "$sent $(awk "BEGIN {printf \"%d\", $sent / ($end - $start)}")"
}

report() {  # collector rate "sent achieved" received
  local sent=${3% *} achieved=${3#* }
  printf "%-10s %-10s %-10s %12s %12s %8s\n" "$1" "$2" "$achieved" "$sent" "$4" "$(awk "BEGIN {printf \"%.4f\", $4 / $sent}")"
}

v5_sender_pipeline > "$work/sender.toml"
collector_pipeline binary "$work/sluice.nfcapd" > "$work/collector.toml"

printf "%-10s %-10s %-10s %12s %12s %8s\n" "collector" "asked/s" "sent/s" "sent" "received" "share"
for rate in "${rates[@]}"; do
  port=$(free_port)
  mkdir -p "$work/nfcapd"
  rm -f "$work"/nfcapd/nfcapd.*
  nfcapd -w "$work/nfcapd" -p "$port" -b 127.0.0.1 -B 8388608 > "$work/nfcapd.log" 2>&1 &
  pid=$!
  wait_udp_port "$port"
  sent=$(send "$rate" "$port")
  sleep 1
  kill "$pid"; wait "$pid" || true
  got=$(nfdump -R "$work/nfcapd" -I | awk '/^Flows:/ {print $2}')
  report nfcapd "$rate" "$sent" "$got"

  port=$(free_port)
  "$sluice" run "$work/collector.toml" --set sources.collector.listen="127.0.0.1:$port" > "$work/collector.log" 2>&1 &
  pid=$!
  wait_udp_port "$port"
  sent=$(send "$rate" "$port")
  sleep 1
  kill -INT "$pid"
  if ! wait "$pid"; then
    echo "sluice's collector failed:" >&2
    cat "$work/collector.log" >&2
    exit 1
  fi
  got=$(nfdump -r "$work/sluice.nfcapd" -I | awk '/^Flows:/ {print $2}')
  report sluice "$rate" "$sent" "$got"
done
