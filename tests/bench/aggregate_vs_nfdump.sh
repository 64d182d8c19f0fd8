#!/usr/bin/env bash
# nfdump's aggregations against the equivalent sluice pipelines on the same
# file of generated flows, in one run, RUNS runs of each (default 5), in turn:
#   - `nfdump -s srcip/bytes -n 10` against binary_reader -> aggregate (key
#     src_addr, top 10 by bytes, one bin) -> csv_writer;
#   - `nfdump -A srcip,dstip,srcport,dstport,proto -o csv` against
#     binary_reader -> aggregate (the 5-tuple, every key, one bin) ->
#     csv_writer, on workers = 1, on workers = 2 (aggregate and writer), and
#     with the writer alone on 2;
#     `nfdump -s record/bytes -n 10` (its top 10 of the same keys) beside it.
# Prints the medians of wall clock and of CPU time (user + system, all
# threads), peak memory, the ratios and the load average, and exits non-zero
# if the top tens or the 5-tuples' keys and sums differ.
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

# tupleNAME.toml: the aggregate on $2 workers, the writer on $3
five_tuple() {
  cat > "$work/tuple$1.toml" <<TOML
[sources.archive]
plugin = "binary_reader"
path = "$work/flows.nfcapd"
[transforms.sum]
plugin = "aggregate"
inputs = ["archive"]
key = ["src_addr", "dst_addr", "src_port", "dst_port", "proto"]
interval = "0s"
workers = $2
[sinks.csv]
plugin = "csv_writer"
inputs = ["sum"]
path = "$work/tuple$1.csv"
fields = ["src_addr", "dst_addr", "src_port", "dst_port", "packets", "bytes"]
header = false
workers = $3
TOML
}
five_tuple 1 1 1
five_tuple 2 2 2
five_tuple W 1 2

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
  timed "nfdump.$i" sh -c 'exec nfdump -r "$1" -s srcip/bytes -n 10 -o csv -q > "$2"' _ "$work/flows.nfcapd" \
    "$work/nfdump.csv"
  timed "sluice.$i" sh -c 'exec "$1" run "$2" --stats-interval 0 2>/dev/null' _ "$sluice" "$work/top.toml"
  timed "nfdumpA.$i" sh -c 'exec nfdump -r "$1" -A srcip,dstip,srcport,dstport,proto -o csv -q > "$2"' _ \
    "$work/flows.nfcapd" "$work/nfdumpA.csv"
  timed "nfdumpS.$i" sh -c 'exec nfdump -r "$1" -s record/bytes -n 10 -q > /dev/null' _ "$work/flows.nfcapd"
  for w in 1 2 W; do
    timed "sluiceA$w.$i" sh -c 'exec "$1" run "$2" --stats-interval 0 2>/dev/null' _ "$sluice" "$work/tuple$w.toml"
  done
done
# nfdump's csv: ts,te,td,pr,val,fl,flP,pkt,pktP,byt,...: the address, packets, bytes
awk -F, 'NR > 1 && NF > 9 {print $5 "," $8 "," $10}' "$work/nfdump.csv" > "$work/nfdump.top"
if ! cmp -s "$work/nfdump.top" "$work/sluice.csv"; then
  echo "the top tens differ:" >&2
  diff "$work/nfdump.top" "$work/sluice.csv" >&2 || true
  exit 1
fi
# -A's csv: ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,...: the key but
# the protocol (a name there), packets, bytes
awk -F, 'NF > 12 {print $4 "," $5 "," $6 "," $7 "," $12 "," $13}' "$work/nfdumpA.csv" | sort > "$work/nfdumpA.sorted"
for w in 1 2 W; do
  if ! sort "$work/tuple$w.csv" | cmp -s - "$work/nfdumpA.sorted"; then
    echo "the 5-tuples' sums of tuple$w.toml differ from nfdump -A's" >&2
    exit 1
  fi
done

row() {  # label, nfdump's series, sluice's series
  local nw nc sw sc
  nw=$(median "$2" 1) nc=$(median "$2" 2) sw=$(median "$3" 1) sc=$(median "$3" 2)
  printf '%-44s %8s %8s %8s   %8s %8s\n' "$1" "$nw" "$sw" "$(ratio "$nw" "$sw")" "$(per_million "$nc" "$flows")" \
    "$(per_million "$sc" "$flows")"
  printf '%-44s %8s %8s\n' "  peak memory, MiB" "$(($(median "$2" 3) / 1024))" "$(($(median "$3" 3) / 1024))"
}
printf '%s flows (%s keys of the 5-tuple); identical results; medians of %s runs\n' "$flows" \
  "$(wc -l < "$work/nfdumpA.sorted")" "$runs"
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s %8s %8s   %8s %8s\n' "" "nfdump s" "sluice s" "wall" "CPU s/M" "CPU s/M"
printf '%-44s %8s %8s %8s   %8s %8s\n' "" "(wall)" "(wall)" "ratio" "nfdump" "sluice"
row "-s srcip/bytes -n 10" nfdump sluice
row "-A 5-tuple -o csv vs workers = 1" nfdumpA sluiceA1
row "-A 5-tuple -o csv vs workers = 2" nfdumpA sluiceA2
row "-A 5-tuple -o csv vs 1, csv_writer on 2" nfdumpA sluiceAW
printf '%-44s %8s\n' "nfdump -s record/bytes -n 10, wall s" "$(median nfdumpS 1)"
printf '%-44s %8s\n' "  CPU s per million" "$(per_million "$(median nfdumpS 2)" "$flows")"
echo "runs (wall s, CPU s, peak KiB):"
for i in $(seq "$runs"); do
  echo "  nfdump -s $(cat "$work/nfdump.$i.time")   sluice $(cat "$work/sluice.$i.time")   nfdump -A" \
    "$(cat "$work/nfdumpA.$i.time")   sluice w1 $(cat "$work/sluiceA1.$i.time")   w2 $(cat "$work/sluiceA2.$i.time")" \
    "  1+2 $(cat "$work/sluiceAW.$i.time")"
done
