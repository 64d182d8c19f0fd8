#!/usr/bin/env bash
# CSV conversion: `nfdump -r FILE -o csv` against the replay-to-csv pipeline
# (binary_reader -> csv_writer, layout "nfdump", summary lines) with
# workers = 1 and 2 on the same nfcapd file of generated flows, in one run:
# RUNS runs of each (default 3), in turn; prints the medians of wall clock
# and CPU time (user + system, all threads), peak memory and the ratios, and
# exits non-zero unless every output is nfdump's, byte for byte.
#
#   tests/bench/csv_vs_nfdump.sh [BUILD_DIR] [FLOWS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
runs=${3:-3}
sluice="$build/bin/sluice"
work=$(mktemp -d /dev/shm/csv-vs-nfdump.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC  # both sides print local times

source "$(dirname "$0")/lib.sh"
require_programs nfdump /usr/bin/time
require_build "$build" generator binary_writer binary_reader csv_writer
make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
  timed "nfdump.$i" sh -c 'exec nfdump -r "$1" -o csv > "$2"' _ "$work/flows.nfcapd" "$work/nfdump.csv"
  for workers in 1 2; do
    timed "sluice$workers.$i" "$sluice" run replay-to-csv --stats-interval 0 --set "sources.archive.path=$work/flows.nfcapd" \
      --set "sinks.csv.path=$work/sluice$workers.csv" --set "sinks.csv.workers=$workers"
  done
done 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }

for workers in 1 2; do
  cmp "$work/nfdump.csv" "$work/sluice$workers.csv" || { echo "workers = $workers: not nfdump's CSV" >&2; exit 1; }
done

printf '%s flows, nfdump -o csv and replay-to-csv (identical output, %s MB); medians of %s runs\n' "$flows" \
  "$(($(stat -c %s "$work/nfdump.csv") / 1000000))" "$runs"
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
peer_and_workers_table "nfdump"
