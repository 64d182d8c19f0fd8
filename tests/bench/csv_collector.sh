#!/usr/bin/env bash
# Collector -> CSV on workers (issue 20): the share of flows a collector
# writing nfdump-layout CSV keeps at each rate, with the sink on 1 and on 2
# workers, beside the same collector writing nfcapd files, fed by the same
# sender in the same run.
#
#   tests/bench/csv_collector.sh [BUILD_DIR] [SECONDS] [RUNS] [FLOW_RATES...]
#   tests/bench/csv_collector.sh build 5 3 900000 1500000 2100000 2700000
#
# The sender is sluice's generator -> netflow_export (v5, 30 flows a
# datagram, paced), on the same cores as the collector. For each rate and
# run, four collectors in turn: netflow_udp (8 MB receive buffer) into
# binary_writer, and into csv_writer (layout "nfdump") with workers = 1 and
# 2. Flows are counted in each output (nfdump -I, CSV rows) and the kernel's
# drops at the socket read from /proc/net/udp. Prints each run and, per
# collector, the highest rate at which every run kept every flow.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
seconds=${2:-5}
runs=${3:-3}
shift 3 2> /dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(900000 1500000 2100000 2700000)
sluice="$build/bin/sluice"
source "$root/tests/bench/lib.sh"
require_programs nfdump python3
require_build "$build" generator netflow_export netflow_udp binary_writer csv_writer
with_work_dir
export TZ=UTC

v5_sender_pipeline > "$work/sender.toml"
collector_pipeline binary "$work/flows.nffile" > "$work/binary.toml"
collector_pipeline csv "$work/flows.csv" > "$work/csv.toml"
echo 'layout = "nfdump"' >> "$work/csv.toml"

stored() {  # KIND: flows in what the last collector wrote
  case $1 in
    binary) nfdump -r "$work/flows.nffile" -I | awk '/^Flows:/ {print $2}' ;;
    *) echo $(($(wc -l < "$work/flows.csv") - 1)) ;;  # less the header
  esac
}

# measure KIND WORKERS RATE: appends "COLLECTOR RATE achieved sent stored drops cpu" to results.
measure() {
  local kind=$1 workers=$2 rate=$3 port count start end drops cpu
  port=$(free_port)
  rm -f "$work/flows.nffile" "$work/flows.csv"
  "$sluice" run "$work/$kind.toml" --stats-interval 0 --set sources.collector.listen="127.0.0.1:$port" \
    --set sinks.out.workers="$workers" > "$work/collector.log" 2>&1 &
  collector=$!
  wait_udp_port "$port"
  count=$((rate * seconds))
  start=$(date +%s.%N)
  "$sluice" run "$work/sender.toml" --stats-interval 0 --set sources.gen.rate="$rate" \
    --set sources.gen.count="$count" --set sinks.wire.target="127.0.0.1:$port" > "$work/sender.log" 2>&1
  end=$(date +%s.%N)
  cpu=$(cpu_when_settled "$collector")
  drops=$(udp_drops "$port")
  stop_collector "$work/collector.log"
  echo "$kind/$workers $rate $(awk -v n="$count" -v a="$start" -v b="$end" 'BEGIN {printf "%d", n / (b - a)}')" \
    "$count $(stored "$kind") $drops $cpu" >> "$work/results"
}

for run in $(seq "$runs"); do
  for rate in "${rates[@]}"; do
    echo "run $run/$runs: $rate flows/s for $seconds s" >&2
    measure binary 1 "$rate"
    measure csv 1 "$rate"
    measure csv 2 "$rate"
  done
done

printf '%-10s %-10s %-10s %10s %10s %8s %7s %8s\n' collector asked/s sent/s sent stored share drops "CPU s"
awk '{printf "%-10s %-10s %-10s %10s %10s %8.4f %7s %8s\n", $1, $2, $3, $4, $5, $5 / $4, $6, $7}' "$work/results"
echo
echo "highest rate (flows/s asked) at which every run kept every flow:"
for collector in binary/1 csv/1 csv/2; do
  awk -v c="$collector" '$1 == c {seen[$2] = 1; if ($5 != $4) lost[$2] = 1}
    END {best = "none"; for (r in seen) if (!(r in lost) && (best == "none" || r + 0 > best + 0)) best = r;
         printf "  %-10s %s\n", c, best}' "$work/results"
done
