#!/usr/bin/env bash
# Sizes of 1M generator flows as Parquet against DuckDB's own zstd Parquet
# of the same flows' CSV (written in the same run) and against the LZ4
# nfcapd file, with the bytes of each column of both Parquet files.
#   tests/bench/parquet.sh [BUILD_DIR] [FLOWS]
# Needs tests/parquet/readers installed (tests/install-deps.sh --tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
flows=${2:-1000000}
readers=$root/tests/parquet/readers
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TZ=UTC

cat > "$work/sizes.toml" <<TOML
[sources.gen]
plugin = "generator"
count = $flows
seed = 7
[sinks.csv]
plugin = "csv_writer"
inputs = ["gen"]
path = "$work/flows.csv"
time_format = "epoch_ms"
proto_names = false
[sinks.parquet]
plugin = "parquet_writer"
inputs = ["gen"]
path = "$work/flows.parquet"
[sinks.nfcapd]
plugin = "binary_writer"
inputs = ["gen"]
path = "$work/flows.nf"
compression = "lz4"
TOML
"$build/bin/sluice" run "$work/sizes.toml" --stats-interval 0 > /dev/null
node "$readers/duckdb.mjs" \
  "COPY (SELECT * FROM read_csv('$work/flows.csv')) TO '$work/duckdb.parquet' (FORMAT parquet, COMPRESSION zstd)" > /dev/null

size() { stat -c %s "$1"; }
csv=$(size "$work/flows.csv") ours=$(size "$work/flows.parquet")
duck=$(size "$work/duckdb.parquet") nf=$(size "$work/flows.nf")
echo "$flows generator flows (seed 7):"
printf '  %-30s %12d bytes\n' "CSV (csv_writer)" "$csv" "nfcapd file, LZ4" "$nf" \
  "DuckDB's Parquet (zstd)" "$duck" "sluice's Parquet (zstd 1)" "$ours"
awk -v o="$ours" -v d="$duck" -v n="$nf" -v c="$csv" 'BEGIN {
  printf "  sluice/DuckDB %.3f, sluice/nfcapd LZ4 %.3f, sluice/CSV %.3f\n", o / d, o / n, o / c }'
echo "bytes a column (compressed, all row groups): sluice, DuckDB"
node "$readers/duckdb.mjs" "SELECT s.path_in_schema AS col, s.bytes AS sluice, d.bytes AS duckdb FROM
  (SELECT path_in_schema, sum(total_compressed_size) AS bytes FROM parquet_metadata('$work/flows.parquet') GROUP BY ALL) s
  FULL JOIN
  (SELECT path_in_schema, sum(total_compressed_size) AS bytes FROM parquet_metadata('$work/duckdb.parquet') GROUP BY ALL) d
  USING (path_in_schema) ORDER BY s.bytes DESC" |
  python3 -c 'import json, sys
for row in json.loads(sys.stdin.read()): print("  %-20s %10s %10s" % (row["col"], row["sluice"], row["duckdb"]))'
