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
#   sluice netflow_udp -> csv_writer, layout = "nfdump"
# Each collector's CPU is utime + stime of its process, read from /proc once
# it has dealt with everything (its CPU time stopped growing) and before it
# is stopped. nfcapd writes no CSV: the chain sluice's CSV row replaces is
# nfcapd and then `nfdump -R DIR -o csv` of its files, so that row is
# compared with nfcapd's CPU plus nfdump's (user + system, timed by bash).
# Flows are counted in each output (nfdump -I, CSV rows): a run where sluice
# stored fewer flows than were sent fails the script (exit 1).
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
collector_pipeline binary "$work/out/flows.binary" > "$work/sluice-binary.toml"
collector_pipeline csv "$work/out/flows.csv" > "$work/sluice-csv.toml"
echo 'layout = "nfdump"' >> "$work/sluice-csv.toml"

# stored KIND: flows in what the last collector wrote.
stored() {
  case $1 in
    nfcapd) nfdump -R "$work/out" -I | awk '/^Flows:/ {n += $2} END {print n + 0}' ;;
    binary) nfdump -r "$work/out/flows.binary" -I | awk '/^Flows:/ {print $2}' ;;
    csv) echo $(($(wc -l < "$work/out/flows.csv") - 1)) ;;  # less the header
  esac
}

# CPU seconds (user + system) of `nfdump -R DIR -o csv` over what nfcapd wrote.
nfdump_csv_cpu() {
  local TIMEFORMAT='%U %S' times
  times=$({ time nfdump -R "$work/out" -o csv > "$work/nfdump.csv"; } 2>&1)
  awk -v t="$times" 'BEGIN {split(t, a, " "); printf "%.2f", a[1] + a[2]}'
}

# measure KIND RATE: one collector at one rate; appends "KIND RATE sent stored cpu csw achieved" to
# results (achieved: the datagrams/s the sender managed, below RATE when the machine is busy); after
# nfcapd, also "nfdump RATE sent csv-rows cpu 0 achieved" for its CSV conversion.
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
  local achieved
  achieved=$(awk -v n="$count" -v a="$start" -v b="$end" 'BEGIN {printf "%d", n / 30 / (b - a)}')
  echo "$kind $rate $count $(stored "$kind") $cpu $csw $achieved" >> "$work/results"
  if [[ $kind == nfcapd ]]; then
    cpu=$(nfdump_csv_cpu)
    echo "nfdump $rate $count $(grep -c '^[0-9]\{4\}-' "$work/nfdump.csv") $cpu 0 $achieved" >> "$work/results"
  fi
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
echo "CPU seconds of the collector process (median of $runs runs), v5 at 30 flows a datagram, $seconds s a rate;"
echo "CSV: sluice -> csv_writer (nfdump layout) against nfcapd + nfdump -o csv of its files, both programs' CPU"
printf '| %-11s | %-10s | %-11s | %-19s | %-7s | %-20s | %-16s | %-7s | %-21s |\n' "datagrams/s" "flows" \
  "nfcapd CPU" "sluice->binary CPU" "ratio" "nfcapd+nfdump CPU" "sluice->csv CPU" "ratio" "context switches n/b/c"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------- ------------ ------------- --------------------- \
  --------- ---------------------- ------------------ --------- -----------------------
for rate in "${rates[@]}"; do
  nf=$(median nfcapd "$rate" 5)
  bin=$(median binary "$rate" 5)
  csv=$(median csv "$rate" 5)
  chain=$(awk -v a="$nf" -v b="$(median nfdump "$rate" 5)" 'BEGIN {print a + b}')
  printf '| %-11s | %-10s | %-11s | %-19s | %-7s | %-20s | %-16s | %-7s | %-21s |\n' "$rate" \
    "$((rate * 30 * seconds))" "$nf s" "$bin s" "$(ratio "$bin" "$nf")" "$chain s" "$csv s" "$(ratio "$csv" "$chain")" \
    "$(median nfcapd "$rate" 6)/$(median binary "$rate" 6)/$(median csv "$rate" 6)"
done
echo
echo "every run (collector, datagrams/s asked, flows sent, flows stored, CPU s, context switches, datagrams/s sent;"
echo "nfdump: its CSV conversion of the nfcapd run before it, CSV rows, CPU s):"
cat "$work/results"
# nfcapd's losses are reported; sluice's fail the benchmark.
if awk '$1 != "nfcapd" && $1 != "nfdump" && $4 != $3 {bad = 1} END {exit !bad}' "$work/results"; then
  echo "sluice stored fewer flows than were sent (see above)" >&2
  exit 1
fi
