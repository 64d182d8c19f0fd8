#!/usr/bin/env bash
# `nfdump -r FILE -s srcip/bytes -n 10` against the equivalent sluice pipeline
# (binary_reader -> aggregate: key src_addr, top 10 by bytes, one bin ->
# csv_writer) on the same file of generated flows, in one run. Best of 3 for
# each; prints wall and CPU time, peak memory and the ratio, and exits
# non-zero if the two top tens differ.
#
#   tests/bench/aggregate_vs_nfdump.sh [BUILD_DIR] [FLOWS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
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

# best_of_3 NAME COMMAND...: "wall_s cpu_s peak_rss_kib" of the fastest run in $work/NAME.time
best_of_3() {
  local name=$1; shift
  for i in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$work/$name.$i.raw" "$@"
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/$name.$i.raw" > "$work/$name.$i.time"
  done
  sort -n "$work/$name".[123].time | head -1 > "$work/$name.time"
}
best_of_3 nfdump sh -c 'exec nfdump -r "$1" -s srcip/bytes -n 10 -o csv -q > "$2"' _ "$work/flows.nfcapd" \
  "$work/nfdump.csv"
best_of_3 sluice sh -c 'exec "$1" run "$2" --stats-interval 0 2>/dev/null' _ "$sluice" "$work/top.toml"

# nfdump's csv: ts,te,td,pr,val,fl,flP,pkt,pktP,byt,...: the address, packets, bytes
awk -F, 'NR > 1 && NF > 9 {print $5 "," $8 "," $10}' "$work/nfdump.csv" > "$work/nfdump.top"
if ! cmp -s "$work/nfdump.top" "$work/sluice.csv"; then
  echo "the top tens differ:" >&2
  diff "$work/nfdump.top" "$work/sluice.csv" >&2 || true
  exit 1
fi

read -r nfdump_wall nfdump_cpu nfdump_rss < "$work/nfdump.time"
read -r sluice_wall sluice_cpu sluice_rss < "$work/sluice.time"
per_million() { awk -v s="$1" -v n="$flows" 'BEGIN {printf "%.3f", s * 1e6 / n}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}'; }
printf '%s flows, top 10 source addresses by bytes (identical)\n' "$flows"
printf '%-40s %10s %10s\n' "" nfdump sluice
printf '%-40s %10s %10s  %s\n' "wall clock, s" "$nfdump_wall" "$sluice_wall" "$(ratio "$nfdump_wall" "$sluice_wall")"
printf '%-40s %10s %10s  %s\n' "CPU s per million flows" "$(per_million "$nfdump_cpu")" \
  "$(per_million "$sluice_cpu")" "$(ratio "$nfdump_cpu" "$sluice_cpu")"
printf '%-40s %10s %10s\n' "peak memory, MiB" "$((nfdump_rss / 1024))" "$((sluice_rss / 1024))"
