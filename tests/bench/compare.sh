#!/usr/bin/env bash
# sluice against the seed's chain (a NetFlow exporter -> nfcapd -> nfdump -o csv)
# on this machine, in one run, for the same flows. Prints one table; exits
# non-zero if sluice lost or changed a flow it should have kept.
#
#   tests/bench/compare.sh [BUILD_DIR] [FLOWS] [CHAIN_RATE]
#
# nflow-generator is no Debian package, so sluice's generator is the
# exporter on both sides: real NetFlow over loopback, v5 for ingest (30
# records a datagram), v9 for the chain (as gen-to-csv; v5 has no IPv6).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
chain_rate=${3:-1000000}
sluice="$build/bin/sluice"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

timed() {  # timed NAME COMMAND...: runs it, records "seconds peak_rss_kib" in $work/NAME.time
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@"
}
seconds() { cut -d' ' -f1 "$work/$1.time"; }
rss_mib() { awk '{printf "%.0f", $2 / 1024}' "$work/$1.time"; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%d", n / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}'; }
source "$(dirname "$0")/lib.sh"
require_programs nfcapd nfdump python3 /usr/bin/time
require_build "$build" generator netflow_export netflow_udp binary_writer binary_reader csv_writer
lost=0

# 1. Ingest: the highest NetFlow v5 rate (30 records a datagram) each
#    collector holds with no loss, from the same sender in the same run.
echo "ingest: stepping rates (this takes a few minutes)" >&2
"$root/tests/bench/netflow_collector.sh" "$build" 5 300000 600000 1200000 1800000 2400000 3000000 3600000 \
  > "$work/ingest.txt"
best() { awk -v who="$1" '$1 == who && $5 == $4 && $3 > best {best = $3} END {print best + 0}' "$work/ingest.txt"; }
ingest_nfcapd=$(best nfcapd)
ingest_sluice=$(best sluice)

# 2. Conversion: the same file of $flows flows to CSV, nfdump's layout.
echo "conversion: $flows flows" >&2
make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"
# Best of 3 for each side: writing 170 MB through the page cache makes
# single runs vary by 2x on this kind of machine.
best_of_3() {  # best_of_3 NAME COMMAND...: keeps the fastest run's time as NAME
  local name=$1; shift
  for i in 1 2 3; do
    timed "$name.$i" "$@"
  done
  sort -n "$work/$name".[123].time | head -1 > "$work/$name.time"
}
best_of_3 nfdump_csv sh -c 'exec nfdump -r "$1" -o csv > "$2"' _ "$work/flows.nfcapd" "$work/nfdump.csv"
best_of_3 sluice_csv sh -c 'exec "$1" run "$4" --stats-interval 0 --set sources.archive.path="$2" \
  --set sinks.csv.path="$3" 2>/dev/null' _ "$sluice" "$work/flows.nfcapd" "$work/sluice.csv" \
  "$root/pipelines/replay-to-csv.toml"
if ! cmp -s "$work/nfdump.csv" "$work/sluice.csv"; then
  echo "conversion: sluice's CSV differs from nfdump's" >&2
  lost=1
fi

# 3. The whole chain, $flows flows at $chain_rate flows/s: exporter -> nfcapd,
#    then nfdump -o csv; against gen-to-csv in one process.
echo "chain: $flows flows at $chain_rate flows/s" >&2
port=$(free_port)
mkdir -p "$work/nfcapd"
cat > "$work/export.toml" <<TOML
[sources.gen]
plugin = "generator"
count = $flows
rate = $chain_rate
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 9
target = "127.0.0.1:$port"
TOML
timed nfcapd nfcapd -w "$work/nfcapd" -p "$port" -b 127.0.0.1 -B 8388608 > /dev/null 2>&1 &
collector=$!
wait_udp_port "$port"
timed export "$sluice" run "$work/export.toml" --stats-interval 0 2>/dev/null
sleep 1
pkill -TERM -f "^nfcapd -w $work/nfcapd"  # by its unique folder: time(1) stands between
wait $collector || true
timed nfdump_chain nfdump -R "$work/nfcapd" -o csv -q > "$work/seed-chain.csv"
# The seed's chain takes the export (nfcapd writes as it goes) plus nfdump.
seed_seconds=$(awk '{s += $1} END {print s}' "$work/export.time" "$work/nfdump_chain.time")
seed_rows=$(wc -l < "$work/seed-chain.csv")

# gen-to-csv ends when its collector has been idle for 1 s (idle_timeout):
# that fixed wait is left out, as the seed side leaves out its sleeps.
timed sluice_chain "$sluice" run "$root/pipelines/gen-to-csv.toml" --stats-interval 0 --set sources.gen.count="$flows" \
  --set sources.gen.rate="$chain_rate" --set sinks.csv.path="$work/sluice-chain.csv" 2> "$work/chain.log"
sluice_seconds=$(awk '{print $1 - 1}' "$work/sluice_chain.time")
sluice_rows=$(($(wc -l < "$work/sluice-chain.csv") - 1))  # less the header
if [[ $sluice_rows -ne $flows ]]; then
  echo "chain: gen-to-csv wrote $sluice_rows of $flows flows" >&2
  lost=1
fi

printf '\n%-34s %16s %16s %8s\n' "measure" "seed's programs" "sluice" "ratio"
printf '%-34s %16s %16s %8s\n' "ingest, lossless v5 flows/s" "$ingest_nfcapd" "$ingest_sluice" \
  "$(ratio "$ingest_sluice" "$ingest_nfcapd")"
nf=$(per_second "$flows" "$(seconds nfdump_csv)"); sl=$(per_second "$flows" "$(seconds sluice_csv)")
printf '%-34s %16s %16s %8s\n' "conversion to CSV, flows/s" "$nf" "$sl" "$(ratio "$sl" "$nf")"
printf '%-34s %16s %16s %8s\n' "conversion, peak RSS MiB" "$(rss_mib nfdump_csv)" "$(rss_mib sluice_csv)" ""
nf=$(per_second "$seed_rows" "$seed_seconds"); sl=$(per_second "$sluice_rows" "$sluice_seconds")
printf '%-34s %16s %16s %8s\n' "chain at $chain_rate/s, flows/s" "$nf" "$sl" "$(ratio "$sl" "$nf")"
printf '%-34s %16s %16s %8s\n' "chain, flows in the CSV" "$seed_rows" "$sluice_rows" ""
printf '%-34s %16s %16s %8s\n' "chain, peak RSS MiB" \
  "$(awk '{print $2}' "$work/nfcapd.time" "$work/nfdump_chain.time" | sort -n | tail -1 | awk '{printf "%.0f", $1 / 1024}')" \
  "$(rss_mib sluice_chain)" ""
echo
cat "$work/ingest.txt"
exit $lost
