#!/usr/bin/env bash
# What a sink's disk buffer costs: generator -> binary_writer (LZ4 nffile)
# with buffer = "memory" and buffer = "disk", in turn, RUNS runs each
# (default 3), the buffer and the file on a real disk (/var/tmp); prints the
# medians of wall clock, CPU time (user + system, all threads), flows a
# second and peak memory, and exits non-zero unless both files hold every flow.
#
#   tests/bench/disk_buffer.sh [BUILD_DIR] [FLOWS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
runs=${3:-3}
sluice="$build/bin/sluice"
work=$(mktemp -d /var/tmp/disk-buffer.XXXXXX)
trap 'rm -rf "$work"' EXIT

source "$(dirname "$0")/lib.sh"
require_programs nfdump /usr/bin/time
require_build "$build" generator binary_writer

cat > "$work/pipeline.toml" <<TOML
[sources.gen]
plugin = "generator"
count = $flows
[sinks.file]
plugin = "binary_writer"
inputs = ["gen"]
path = "$work/flows.nfcapd"
buffer_path = "$work/buffer"
TOML

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
  for buffer in memory disk; do
    # buffer_path applies with buffer = "disk" only: drop it for "memory".
    if [[ $buffer == memory ]]; then sed '/^buffer_path/d' "$work/pipeline.toml" > "$work/run.toml"; else
      cp "$work/pipeline.toml" "$work/run.toml"; fi
    timed "$buffer.$i" "$sluice" run "$work/run.toml" --stats-interval 0 --set "sinks.file.buffer=\"$buffer\""
    count=$(nfdump -r "$work/flows.nfcapd" -q -o 'fmt:%pr' | wc -l)
    [[ $count == "$flows" ]] || { echo "buffer = $buffer: $count flows in the file, not $flows" >&2; exit 1; }
  done
done 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }

printf '%s flows, generator -> binary_writer, buffer = memory and disk; medians of %s runs\n' "$flows" "$runs"
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %10s %10s\n' "" memory disk
for column in "wall clock, s:1" "CPU s per million flows:2" "peak memory, KiB:3"; do
  label=${column%:*} c=${column##*:}
  m=$(median memory "$c") d=$(median disk "$c")
  [[ $c == 2 ]] && m=$(per_million "$m" "$flows") && d=$(per_million "$d" "$flows")
  printf '%-28s %10s %10s\n' "$label" "$m" "$d"
done
printf '%-28s %10s %10s\n' "flows a second" \
  "$(awk -v n="$flows" -v s="$(median memory 1)" 'BEGIN {printf "%.0f", n / s}')" \
  "$(awk -v n="$flows" -v s="$(median disk 1)" 'BEGIN {printf "%.0f", n / s}')"
