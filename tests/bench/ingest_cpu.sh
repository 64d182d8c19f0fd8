#!/usr/bin/env bash
# CPU per flow collected: sluice against nfcapd 1.7.1, same sender, same run.
#
#   tests/bench/ingest_cpu.sh [BUILD_DIR] [SECONDS] [RUNS] [DATAGRAM_RATES...]
#   tests/bench/ingest_cpu.sh build 5 3 5000 30000 80000      (the defaults)
#
# For each rate (NetFlow v5 datagrams/s, 30 records each, from sluice's
# generator -> netflow_export for SECONDS), three collectors in turn:
#   nfcapd -w DIR        (binary files, as its users run it)
#   sluice netflow_udp -> binary_writer   (the same nfcapd file format)
#   sluice netflow_udp -> csv_writer
# Each collector's CPU is utime + stime of its process, read from /proc once
# it has dealt with everything (its CPU time stopped growing) and before it
# is stopped. Flows are counted in each output (nfdump -I, CSV rows): a run
# where sluice stored fewer flows than were sent fails the script (exit 1).
# With RUNS > 1 each cell is the median of the runs (the machine is noisy:
# only ratios within one run mean much).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
seconds=${2:-5}
runs=${3:-3}
shift 3 2> /dev/null || shift $#
rates=("$@")
((${#rates[@]})) || rates=(5000 30000 80000)
sluice="$build/bin/sluice"
source "$root/tests/bench/lib.sh"
require_programs nfcapd nfdump python3
require_build "$build" generator netflow_export netflow_udp binary_writer csv_writer
with_work_dir
export TZ=UTC

v5_sender_pipeline > "$work/sender.toml"
for sink in binary csv; do
  collector_pipeline "$sink" "$work/out/flows.$sink" > "$work/sluice-$sink.toml"
done

# stored KIND: flows in what the last collector wrote.
stored() {
  case $1 in
    nfcapd) nfdump -R "$work/out" -I | awk '/^Flows:/ {n += $2} END {print n + 0}' ;;
    binary) nfdump -r "$work/out/flows.binary" -I | awk '/^Flows:/ {print $2}' ;;
    csv) echo $(($(wc -l < "$work/out/flows.csv") - 1)) ;;  # less the header
  esac
}

# measure KIND RATE: one collector at one rate; appends "KIND RATE sent stored cpu csw achieved" to
# results (achieved: the datagrams/s the sender managed, below RATE when the machine is busy).
measure() {
  local kind=$1 rate=$2 port count cpu csw start end
  port=$(free_port)
  rm -rf "$work/out" && mkdir -p "$work/out"
  if [[ $kind == nfcapd ]]; then
    nfcapd -w "$work/out" -p "$port" -b 127.0.0.1 -B 8388608 > "$work/collector.log" 2>&1 &
  else
    "$sluice" run "$work/sluice-$kind.toml" --stats-interval 0 \
      --set sources.collector.listen="127.0.0.1:$port" > "$work/collector.log" 2>&1 &
  fi
  collector=$!
  wait_udp_port "$port"
  count=$((rate * 30 * seconds))
  start=$(date +%s.%N)
  "$sluice" run "$work/sender.toml" --stats-interval 0 --set sources.gen.rate=$((rate * 30)) \
    --set sources.gen.count="$count" --set sinks.wire.target="127.0.0.1:$port" > "$work/sender.log" 2>&1
  end=$(date +%s.%N)
  cpu=$(cpu_when_settled "$collector")
  csw=$(context_switches "$collector")
  if [[ $kind == nfcapd ]]; then kill -TERM "$collector"; else kill -INT "$collector"; fi
  local status=0
  wait "$collector" || status=$?
  collector=""
  if [[ $kind != nfcapd && $status -ne 0 ]]; then
    echo "sluice ($kind) exited with $status:" >&2
    cat "$work/collector.log" >&2
    exit 1
  fi
  echo "$kind $rate $count $(stored "$kind") $cpu $csw $(awk -v n="$count" -v a="$start" -v b="$end" \
    'BEGIN {printf "%d", n / 30 / (b - a)}')" >> "$work/results"
}

for run in $(seq "$runs"); do
  for rate in "${rates[@]}"; do
    echo "run $run/$runs: $rate datagrams/s for $seconds s" >&2
    for kind in nfcapd binary csv; do measure "$kind" "$rate"; done
  done
done

# The median of column COLUMN over the runs of KIND at RATE.
median() {
  awk -v k="$1" -v r="$2" -v c="$3" '$1 == k && $2 == r {print $c}' "$work/results" | sort -g |
    awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

echo
echo "CPU seconds of the collector process (median of $runs runs), v5 at 30 flows a datagram, $seconds s a rate"
printf '| %-11s | %-10s | %-11s | %-19s | %-7s | %-16s | %-7s | %-21s |\n' "datagrams/s" "flows" \
  "nfcapd CPU" "sluice->binary CPU" "ratio" "sluice->csv CPU" "ratio" "context switches n/b/c"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------- ------------ ------------- --------------------- \
  --------- ------------------ --------- -----------------------
for rate in "${rates[@]}"; do
  nf=$(median nfcapd "$rate" 5)
  bin=$(median binary "$rate" 5)
  csv=$(median csv "$rate" 5)
  printf '| %-11s | %-10s | %-11s | %-19s | %-7s | %-16s | %-7s | %-21s |\n' "$rate" "$((rate * 30 * seconds))" \
    "$nf s" "$bin s" "$(ratio "$bin" "$nf")" "$csv s" "$(ratio "$csv" "$nf")" \
    "$(median nfcapd "$rate" 6)/$(median binary "$rate" 6)/$(median csv "$rate" 6)"
done
echo
echo "every run (collector, datagrams/s asked, flows sent, flows stored, CPU s, context switches, datagrams/s sent):"
cat "$work/results"
# nfcapd's losses are reported; sluice's fail the benchmark.
if awk '$1 != "nfcapd" && $4 != $3 {bad = 1} END {exit !bad}' "$work/results"; then
  echo "sluice stored fewer flows than were sent (see above)" >&2
  exit 1
fi
