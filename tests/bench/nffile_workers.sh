#!/usr/bin/env bash
# nffile LZ4 writing on workers: binary_reader -> binary_writer (compression
# lz4) with workers = 1 and 2, and nfdump writing the same file with LZ4
# (`nfdump -r FILE -y -w OUT`), on one nfcapd file of generated flows, in one
# run: RUNS runs of each (default 3), in turn. Prints the medians of wall
# clock and CPU time (user + system, all threads), peak memory and the
# ratios; exits non-zero unless the two sluice files are the same (but their
# creation time) and nfdump reads every flow from them.
#
#   tests/bench/nffile_workers.sh [BUILD_DIR] [FLOWS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-1000000}
runs=${3:-3}
sluice="$build/bin/sluice"
work=$(mktemp -d /dev/shm/nffile-workers.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

source "$(dirname "$0")/lib.sh"
require_programs nfdump /usr/bin/time
require_build "$build" generator binary_writer binary_reader
make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"
cat > "$work/lz4.toml" <<TOML
[sources.replay]
plugin = "binary_reader"
path = "$work/flows.nfcapd"
[sinks.nf]
plugin = "binary_writer"
inputs = ["replay"]
path = "$work/out.nf"
compression = "lz4"
TOML

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$runs"); do
  timed "nfdump.$i" nfdump -r "$work/flows.nfcapd" -y -w "$work/nfdump.nf"
  for workers in 1 2; do
    timed "sluice$workers.$i" "$sluice" run "$work/lz4.toml" --stats-interval 0 \
      --set "sinks.nf.path=$work/sluice$workers.nf" --set "sinks.nf.workers=$workers"
  done
done 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }

# The file header's first 16 bytes hold its creation time (bytes 8-15).
cmp -i 16 "$work/sluice1.nf" "$work/sluice2.nf" || { echo "workers = 2 wrote another file than 1" >&2; exit 1; }
read_back=$(nfdump -r "$work/sluice2.nf" -q -o csv | wc -l)
((read_back == flows)) || { echo "nfdump read $read_back flows of $flows" >&2; exit 1; }

printf '%s flows into an LZ4 nfcapd file (sluice %s MB, nfdump %s MB); medians of %s runs, TZ=UTC\n' "$flows" \
  "$(($(stat -c %s "$work/sluice1.nf") / 1000000))" "$(($(stat -c %s "$work/nfdump.nf") / 1000000))" "$runs"
printf 'load average before: %s, after: %s\n' "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
peer_and_workers_table "nfdump -y"
