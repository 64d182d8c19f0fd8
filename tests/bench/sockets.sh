#!/usr/bin/env bash
# What several receive sockets change: netflow_udp with `instances` = 1 and
# 2 (one SO_REUSEPORT group, exporters steered by address) into binary_writer,
# fed by the same 64 exporters (tests/bench/many_exporters.py, NetFlow v5,
# 30 flows a datagram) at each rate, in the same run.
#
#   tests/bench/sockets.sh [BUILD_DIR] [SECONDS] [RUNS] [DATAGRAM_RATES...]
#   tests/bench/sockets.sh build 5 3 20000 40000 60000     (the defaults)
#
# Reports per cell the median of RUNS: flows stored (nfdump -I) of those sent,
# the datagrams the kernel dropped (sluice's summary) and the collector's CPU
# seconds (utime + stime, read once its CPU time stopped growing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
seconds=${2:-5}
runs=${3:-3}
shift 3 2> /dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(20000 40000 60000)
sluice="$build/bin/sluice"
source "$root/tests/bench/lib.sh"
require_programs nfdump python3
require_build "$build" netflow_udp binary_writer
with_work_dir
export TZ=UTC

collector_pipeline binary "$work/flows.nffile" > "$work/collector.toml"

# measure INSTANCES RATE: appends "INSTANCES RATE sent stored kernel_drops cpu" to results.
measure() {
  local instances=$1 rate=$2 port sent cpu
  port=$(free_port)
  rm -f "$work/flows.nffile"
  "$sluice" run "$work/collector.toml" --stats-interval 0 --set sources.collector.listen="127.0.0.1:$port" \
    --set sources.collector.instances="$instances" > "$work/collector.log" 2>&1 &
  collector=$!
  wait_udp_port "$port"
  sent=$(python3 "$root/tests/bench/many_exporters.py" "$port" "$rate" "$seconds" | awk '{print $4}')
  cpu=$(cpu_when_settled "$collector")
  stop_collector "$work/collector.log"
  echo "$instances $rate $sent $(nfdump -r "$work/flows.nffile" -I | awk '/^Flows:/ {print $2}')" \
    "$(awk '/dropped by the kernel/ {n += $(NF - 7)} END {print n + 0}' "$work/collector.log") $cpu" >> "$work/results"
}

for run in $(seq "$runs"); do
  for rate in "${rates[@]}"; do
    echo "run $run/$runs: $rate datagrams/s for $seconds s" >&2
    for instances in 1 2; do measure "$instances" "$rate"; done
  done
done

# The median of column COLUMN over the runs with INSTANCES at RATE.
median() {
  awk -v i="$1" -v r="$2" -v c="$3" '$1 == i && $2 == r {print $c}' "$work/results" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

echo
echo "netflow_udp -> binary_writer, 64 exporters, v5 at 30 flows a datagram, $seconds s a rate (median of $runs runs)"
printf '| %-11s | %-9s | %-11s | %-16s | %-12s | %-18s |\n' "datagrams/s" "instances" "flows sent" "flows stored" \
  "kernel drops" "CPU s (per M flows)"
printf '|%s|%s|%s|%s|%s|%s|\n' -------------- ----------- ------------- ------------------ -------------- \
  --------------------
for rate in "${rates[@]}"; do
  for instances in 1 2; do
    sent=$(median "$instances" "$rate" 3)
    cpu=$(median "$instances" "$rate" 6)
    printf '| %-11s | %-9s | %-11s | %-16s | %-12s | %-18s |\n' "$rate" "$instances" "$sent" \
      "$(median "$instances" "$rate" 4)" "$(median "$instances" "$rate" 5)" \
      "$cpu ($(awk -v c="$cpu" -v n="$sent" 'BEGIN {printf "%.2f", (n > 0 ? c / n * 1e6 : 0)}'))"
  done
done
echo
echo "every run (instances, datagrams/s asked, flows sent, flows stored, kernel drops, CPU s):"
cat "$work/results"
