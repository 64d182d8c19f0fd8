#!/usr/bin/env bash
# `nfdump ARGS` against `sluice query ARGS` on the same archive, in one run,
# for the command lines of issue 23: -s srcip/bytes -n 10, -A on the
# 5-tuple, -o csv, -o line with a selective filter. The archive is a folder
# of FILES files that nfcapd wrote (LZ4) from FLOWS generated flows sent as
# NetFlow v9 (default 10M flows in 10 files), read with -R. RUNS runs of
# each (default 3), in turn; prints the medians of wall clock and of CPU time
# (user + system), CPU seconds per million flows, peak memory, the ratios
# and the load average, and exits non-zero if an output differs (nfdump's
# line of elapsed times left out). TZ=UTC for both.
#
#   tests/bench/query_vs_nfdump.sh [BUILD_DIR] [FLOWS] [RUNS] [FILES]
#
# ARCHIVE=DIR keeps the archive in DIR and reads it from there next time
# (building 10M flows takes about a minute). BASE=SLUICE also times another
# sluice binary (another build, main's) in the same run, as a third column
# (the two sluices take turns at running right after nfdump).
# QUERY='-s srcip/bytes -n 10' times that command line only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-10000000}
runs=${3:-3}
files=${4:-10}
sluice="$build/bin/sluice"
base=${BASE:-}
work=$(mktemp -d /dev/shm/query-vs-nfdump.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

"$root/tests/install-deps.sh" --tests >/dev/null

source "$(dirname "$0")/lib.sh"
require_programs nfcapd nfdump /usr/bin/time
require_build "$build" generator netflow_export binary_reader filter aggregate text_writer csv_writer
archive=${ARCHIVE:-$work/archive}
if [[ ! -d "$archive" ]]; then
  echo "making the archive: $flows flows through nfcapd into $files files in $archive" >&2
  make_nfcapd_archive "$sluice" "$archive" "$flows" "$files" > /dev/null
fi
stored=$(nfdump -R "$archive" -I | awk '/^Flows:/ {print $2}')

queries=(
  "-s srcip/bytes -n 10"
  "-A srcip,dstip,srcport,dstport,proto -O bytes -n 10"
  "-o csv -q"
  "-o line -q|proto udp and dst port 53"
)
[[ -n "${QUERY:-}" ]] && queries=("$QUERY")

sides=(n s)
[[ -n "$base" ]] && sides+=(b)
program() {  # program SIDE: the command that side runs
  case $1 in
    n) echo nfdump ;;
    s) echo "$sluice query" ;;
    b) echo "$base query" ;;
  esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
printf '%s flows (as nfcapd stored them) in %s files, -R; medians of %s runs, TZ=UTC; ratio = nfdump / sluice\n' \
  "$stored" "$(find "$archive" -type f | wc -l)" "$runs"
printf '%-55s %16s %16s %16s %7s %7s\n' "" "wall s (nfdump)" "wall s (sluice)" "${base:+wall s (base)}" "wall" "CPU"
status=0
for q in "${!queries[@]}"; do
  IFS='|' read -r options filter <<< "${queries[$q]}"
  read -ra args <<< "$options"
  [[ -n "$filter" ]] && args+=("$filter")
  for i in $(seq "$runs"); do
    # The side right after nfdump runs slower (measured: 10-40% of its wall
    # at load 3-7): with BASE, every other run swaps the two sluices.
    order=("${sides[@]}")
    ((i % 2 == 0)) && [[ -n "$base" ]] && order=(n b s)
    for side in "${order[@]}"; do
      read -ra command <<< "$(program "$side")"
      timed "$side$q.$i" sh -c 'out=$1; shift; exec "$@" > "$out"' _ "$work/$side$q.out" "${command[@]}" \
        -R "$archive" "${args[@]}"
    done
  done
  grep -v '^Sys: ' "$work/n$q.out" > "$work/n$q.compared" || true
  for side in "${sides[@]:1}"; do
    if ! cmp -s "$work/n$q.compared" "$work/$side$q.out"; then
      echo "$(program "$side") ${args[*]}: output differs from nfdump's" >&2
      diff "$work/n$q.compared" "$work/$side$q.out" | head -5 >&2 || true
      status=1
    fi
  done
  walls=() cpus=() peaks=()
  for side in "${sides[@]}"; do
    walls+=("$(median "$side$q" 1)") cpus+=("$(median "$side$q" 2)") peaks+=("$(median "$side$q" 3)")
  done
  printf '%-55s %16s %16s %16s %7s %7s\n' "${queries[$q]}" "${walls[0]}" "${walls[1]}" "${walls[2]:-}" \
    "$(ratio "${walls[0]}" "${walls[1]}")" "$(ratio "${cpus[0]}" "${cpus[1]}")"
  line=()
  for s in "${!sides[@]}"; do line+=("$(per_million "${cpus[$s]}" "$stored"); $((peaks[s] / 1024))"); done
  printf '%-55s %16s %16s %16s\n' "  CPU s per million flows; peak MiB" "${line[0]}" "${line[1]}" "${line[2]:-}"
done
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
