#!/usr/bin/env bash
# `nfdump ARGS` against `sluice query ARGS` on the same file of generated
# flows, in one run, for the command lines of issue 23: -s srcip/bytes -n 10,
# -A on the 5-tuple, -o csv, -o line with a selective filter. RUNS runs of
# each (default 3), in turn; prints the medians of wall clock and of CPU time
# (user + system), peak memory, the ratios and the load average, and exits
# non-zero if an output differs (nfdump's line of elapsed times left out).
#
#   tests/bench/query_vs_nfdump.sh [BUILD_DIR] [FLOWS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
runs=${3:-3}
sluice="$build/bin/sluice"
work=$(mktemp -d /dev/shm/query-vs-nfdump.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

"$root/tests/install-deps.sh" --tests >/dev/null

source "$(dirname "$0")/lib.sh"
make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"

queries=(
  "-s srcip/bytes -n 10"
  "-A srcip,dstip,srcport,dstport,proto -O bytes -n 10"
  "-o csv -q"
  "-o line -q|proto udp and dst port 53"
)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
printf '%s flows; medians of %s runs; ratio = nfdump / sluice\n' "$flows" "$runs"
printf '%-55s %18s %18s %8s %8s\n' "" "wall s (nfdump)" "wall s (sluice)" "wall" "CPU"
status=0
for q in "${!queries[@]}"; do
  IFS='|' read -r options filter <<< "${queries[$q]}"
  read -ra args <<< "$options"
  [[ -n "$filter" ]] && args+=("$filter")
  for i in $(seq "$runs"); do
    timed "n$q.$i" sh -c 'out=$1; shift; exec "$@" > "$out"' _ "$work/n$q.out" nfdump -r "$work/flows.nfcapd" \
      "${args[@]}"
    timed "s$q.$i" sh -c 'out=$1; shift; exec "$@" > "$out"' _ "$work/s$q.out" "$sluice" query -r \
      "$work/flows.nfcapd" "${args[@]}"
  done
  grep -v '^Sys: ' "$work/n$q.out" > "$work/n$q.compared" || true
  if ! cmp -s "$work/n$q.compared" "$work/s$q.out"; then
    echo "nfdump ${args[*]}: outputs differ" >&2
    diff "$work/n$q.compared" "$work/s$q.out" | head -5 >&2 || true
    status=1
  fi
  nw=$(median "n$q" 1) nc=$(median "n$q" 2) nr=$(median "n$q" 3)
  sw=$(median "s$q" 1) sc=$(median "s$q" 2) sr=$(median "s$q" 3)
  printf '%-55s %18s %18s %8s %8s\n' "${queries[$q]}" "$nw" "$sw" "$(ratio "$nw" "$sw")" "$(ratio "$nc" "$sc")"
  printf '%-55s %18s %18s\n' "  CPU s per million flows; peak MiB" "$(per_million "$nc" "$flows"); $((nr / 1024))" \
    "$(per_million "$sc" "$flows"); $((sr / 1024))"
done
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
