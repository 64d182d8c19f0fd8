#!/usr/bin/env bash
# sluice against the seed's chain (a NetFlow exporter -> nfcapd -> nfdump -o csv)
# on this machine, in one run, for the same flows. Prints one table; exits
# non-zero if sluice lost or changed a flow it should have kept.
#
#   tests/bench/compare.sh [BUILD_DIR] [FLOWS] [CHAIN_RATE] [RUNS]
#
# PARTS="conversion" (any of ingest conversion chain) runs only those parts.
# The conversion runs each side RUNS times (default 5), in turn, and reports
# medians of wall clock and of CPU time (user + system, all threads).
#
# nflow-generator is no Debian package, so sluice's generator is the
# exporter on both sides: real NetFlow over loopback, v5 for ingest (30
# records a datagram), v9 for the chain (as gen-to-csv; v5 has no IPv6).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
chain_rate=${3:-1000000}
runs=${4:-5}
parts=${PARTS:-ingest conversion chain}
sluice="$build/bin/sluice"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

timed() {  # timed NAME COMMAND...: runs it, records "seconds peak_rss_kib cpu_seconds" in $work/NAME.time
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/$name.raw" "$@"
  awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$work/$name.raw" > "$work/$name.time"
}
seconds() { cut -d' ' -f1 "$work/$1.time"; }
rss_mib() { awk '{printf "%.0f", $2 / 1024}' "$work/$1.time"; }
cpu_per_million() { awk -v n="$2" '{printf "%.2f", $3 * 1e6 / n}' "$work/$1.time"; }  # NAME FLOWS
wants() { [[ " $parts " == *" $1 "* ]]; }
per_second() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%d", n / s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}'; }
source "$(dirname "$0")/lib.sh"
require_programs nfcapd nfdump python3 /usr/bin/time
require_build "$build" generator netflow_export netflow_udp binary_writer binary_reader csv_writer
lost=0

# 1. Ingest: the highest NetFlow v5 rate (30 records a datagram) each
#    collector holds with no loss, from the same sender in the same run.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" > "$work/load.txt"
touch "$work/ingest.txt"
if wants ingest; then
  echo "ingest: stepping rates (this takes a few minutes)" >&2
  "$root/tests/bench/netflow_collector.sh" "$build" 5 300000 600000 1200000 1800000 2400000 3000000 3600000 \
    > "$work/ingest.txt"
fi
best() { awk -v who="$1" '$1 == who && $5 == $4 && $3 > best {best = $3} END {print best + 0}' "$work/ingest.txt"; }
ingest_nfcapd=$(best nfcapd)
ingest_sluice=$(best sluice)

# 2. Conversion to CSV in nfdump's layout, of two files of $flows flows:
#    sluice's own (generator -> binary_writer) and one the real nfcapd wrote
#    from v5 datagrams. Each side runs $runs times, in turn, into a new file
#    (the old one removed untimed); medians.
median_of() {  # median_of NAME: the medians of each column of $work/NAME.*.time, as $work/NAME.time
  local column values=()
  for column in 1 2 3; do
    values+=("$(cat "$work/$1".[0-9]*.time | awk -v c="$column" '{print $c}' | sort -n |
      awk -v n="$runs" 'NR == int((n + 1) / 2)')")
  done
  echo "${values[*]}" > "$work/$1.time"
}
convert() {  # convert NAME INPUT: nfdump -o csv and replay-to-csv of INPUT (a file or an nfcapd folder)
  local name=$1 input=$2 i read_flag=-r
  [[ -d "$input" ]] && read_flag=-R
  for i in $(seq "$runs"); do
    rm -f "$work/nfdump.csv" "$work/sluice.csv"
    timed "$name-nfdump.$i" sh -c 'exec nfdump "$1" "$2" -o csv > "$3"' _ "$read_flag" "$input" "$work/nfdump.csv"
    timed "$name-sluice.$i" sh -c 'exec "$1" run "$4" --stats-interval 0 --set sources.archive.path="$2" \
      --set sinks.csv.path="$3" 2>/dev/null' _ "$sluice" "$input" "$work/sluice.csv" \
      "$root/pipelines/replay-to-csv.toml"
    if ! cmp -s "$work/nfdump.csv" "$work/sluice.csv"; then
      echo "conversion of $name: sluice's CSV differs from nfdump's" >&2
      lost=1
    fi
  done
  median_of "$name-nfdump"
  median_of "$name-sluice"
}
if wants conversion; then
  echo "conversion: $flows flows, $runs runs a side" >&2
  make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"
  convert own "$work/flows.nfcapd"
  # nfcapd's file: v5 at 30 flows a datagram, at a rate it keeps up with.
  port=$(free_port)
  mkdir -p "$work/nfcapd-v5"
  nfcapd -w "$work/nfcapd-v5" -p "$port" -b 127.0.0.1 -B 8388608 > /dev/null 2>&1 &
  collector=$!
  wait_udp_port "$port"
  v5_sender_pipeline > "$work/v5.toml"
  "$sluice" run "$work/v5.toml" --stats-interval 0 --set sources.gen.count="$flows" --set sources.gen.rate=300000 \
    --set sinks.wire.target="127.0.0.1:$port" 2>/dev/null
  wait_udp_drained "$port"
  kill -TERM "$collector"
  wait "$collector" || true
  nfcapd_flows=$(nfdump -R "$work/nfcapd-v5" -q -o csv | wc -l)
  if [[ $nfcapd_flows -ne $flows ]]; then
    echo "conversion: nfcapd stored $nfcapd_flows of the $flows flows sent (its rows count what it stored)" >&2
  fi
  convert nfcapd "$work/nfcapd-v5"
fi

# 3. The whole chain, $flows flows at $chain_rate flows/s: exporter -> nfcapd,
#    then nfdump -o csv; against gen-to-csv in one process.
if wants chain; then
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
fi

row() { printf '%-44s %16s %16s %8s\n' "$@"; }
echo
cat "$work/load.txt"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
row "measure" "seed's programs" "sluice" "ratio"
if wants ingest; then
  row "ingest, lossless v5 flows/s" "$ingest_nfcapd" "$ingest_sluice" "$(ratio "$ingest_sluice" "$ingest_nfcapd")"
fi
if wants conversion; then
  for side in own nfcapd; do
    label="sluice's file" count=$flows
    [[ $side == nfcapd ]] && label="nfcapd's file" count=$nfcapd_flows
    nf=$(per_second "$count" "$(seconds "$side-nfdump")"); sl=$(per_second "$count" "$(seconds "$side-sluice")")
    row "conversion, $label, flows/s (median wall)" "$nf" "$sl" "$(ratio "$sl" "$nf")"
    nf=$(cpu_per_million "$side-nfdump" "$count"); sl=$(cpu_per_million "$side-sluice" "$count")
    row "conversion, $label, CPU s per M flows" "$nf" "$sl" "$(ratio "$nf" "$sl")"
    row "conversion, $label, peak RSS MiB" "$(rss_mib "$side-nfdump")" "$(rss_mib "$side-sluice")" ""
  done
  echo "conversion runs (wall s, peak KiB, CPU s):"
  for f in "$work"/own-*.[0-9]*.time "$work"/nfcapd-*.[0-9]*.time; do echo "  $(basename "$f" .time): $(cat "$f")"; done
fi
if wants chain; then
  nf=$(per_second "$seed_rows" "$seed_seconds"); sl=$(per_second "$sluice_rows" "$sluice_seconds")
  row "chain at $chain_rate/s, flows/s" "$nf" "$sl" "$(ratio "$sl" "$nf")"
  row "chain, flows in the CSV" "$seed_rows" "$sluice_rows" ""
  row "chain, peak RSS MiB" \
    "$(awk '{print $2}' "$work/nfcapd.time" "$work/nfdump_chain.time" | sort -n | tail -1 | awk '{printf "%.0f", $1 / 1024}')" \
    "$(rss_mib sluice_chain)" ""
fi
echo
cat "$work/ingest.txt"
exit $lost
