#!/usr/bin/env bash
# `nfdump -r FILE -s srcip/bytes -n 10` against the equivalent sluice pipeline
# (binary_reader -> aggregate: key src_addr, top 10 by bytes, one bin ->
# csv_writer) on the same file of generated flows, in one run: RUNS runs of
# each (default 5), in turn; prints the medians of wall clock and of CPU time
# (user + system, all threads), peak memory, the ratios and the load average,
# and exits non-zero if the two top tens differ.
#
#   tests/bench/aggregate_vs_nfdump.sh [BUILD_DIR] [FLOWS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
runs=${3:-5}
sluice="$build/bin/sluice"
work=$(mktemp -d /dev/shm/aggregate-vs-nfdump.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

"$root/tests/install-deps.sh" --tests >/dev/null

source "$(dirname "$0")/lib.sh"
make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"

cat > "$work/top.toml" <<TOML
[sources.archive]
plugin = "binary_reader"
path = "$work/flows.nfcapd"
[transforms.top]
plugin = "aggregate"
inputs = ["archive"]
key = ["src_addr"]
interval = "0s"
top = 10
order = "bytes"
[sinks.csv]
plugin = "csv_writer"
inputs = ["top"]
path = "$work/sluice.csv"
fields = ["src_addr", "packets", "bytes"]
header = false
TOML

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
  timed "nfdump.$i" sh -c 'exec nfdump -r "$1" -s srcip/bytes -n 10 -o csv -q > "$2"' _ "$work/flows.nfcapd" \
    "$work/nfdump.csv"
  timed "sluice.$i" sh -c 'exec "$1" run "$2" --stats-interval 0 2>/dev/null' _ "$sluice" "$work/top.toml"
done
# nfdump's csv: ts,te,td,pr,val,fl,flP,pkt,pktP,byt,...: the address, packets, bytes
awk -F, 'NR > 1 && NF > 9 {print $5 "," $8 "," $10}' "$work/nfdump.csv" > "$work/nfdump.top"
if ! cmp -s "$work/nfdump.top" "$work/sluice.csv"; then
  echo "the top tens differ:" >&2
  diff "$work/nfdump.top" "$work/sluice.csv" >&2 || true
  exit 1
fi

nfdump_wall=$(median nfdump 1) nfdump_cpu=$(median nfdump 2) nfdump_rss=$(median nfdump 3)
sluice_wall=$(median sluice 1) sluice_cpu=$(median sluice 2) sluice_rss=$(median sluice 3)
printf '%s flows, top 10 source addresses by bytes (identical); medians of %s runs\n' "$flows" "$runs"
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-40s %10s %10s\n' "" nfdump sluice
printf '%-40s %10s %10s  %s\n' "wall clock, s" "$nfdump_wall" "$sluice_wall" "$(ratio "$nfdump_wall" "$sluice_wall")"
printf '%-40s %10s %10s  %s\n' "CPU s per million flows" "$(per_million "$nfdump_cpu" "$flows")" \
  "$(per_million "$sluice_cpu" "$flows")" "$(ratio "$nfdump_cpu" "$sluice_cpu")"
printf '%-40s %10s %10s\n' "peak memory, MiB" "$((nfdump_rss / 1024))" "$((sluice_rss / 1024))"
echo "runs (wall s, CPU s, peak KiB):"
for i in $(seq "$runs"); do echo "  nfdump $(cat "$work/nfdump.$i.time")   sluice $(cat "$work/sluice.$i.time")"; done
