#!/bin/bash
# The clickhouse sink against clickhouse-client, into the same local server
# in the same run: rows/s of binary_reader (a 1M-flow nfcapd file) -> the
# sink, and of `clickhouse-client --query "INSERT ... FORMAT CSV"` fed the
# same flows as CSV; CPU per row of sluice, of its sink alone (sluice with
# the sink minus sluice with a sink that discards), of clickhouse-client and
# of the server. Best of RUNS for each. The sink runs twice, on one worker
# and on two (workers = 2: batches encoded, and deflated with gzip, on two
# threads, INSERTs sent from a third).
#
#   tests/bench/clickhouse.sh BUILD_DIR [RUNS] [--set sinks.ch.KEY=VALUE]...
#   tests/bench/clickhouse.sh build 3 --set sinks.ch.format=RowBinary
set -euo pipefail
build=$(realpath "${1:?build dir}")
runs=${2:-3}
shift 2 || true
sink_options=("$@")
sluice="$build/bin/sluice"
flows=1000000
work=$(mktemp -d)
source "$(dirname "$0")/lib.sh"

http=$(free_tcp_port) tcp=$(free_tcp_port) inter=$(free_tcp_port)
clickhouse-server --config-file=/etc/clickhouse-server/config.xml -- --path="$work/ch/" --tmp_path="$work/ch/tmp/" \
  --user_files_path="$work/ch/uf/" --format_schema_path="$work/ch/fs/" --logger.log="$work/ch.log" \
  --logger.errorlog="$work/ch.err" --logger.level=warning --listen_host=127.0.0.1 --http_port="$http" \
  --tcp_port="$tcp" --interserver_http_port="$inter" > /dev/null 2>&1 &
server=$!
trap 'kill $server; wait $server 2> /dev/null; rm -rf "$work"' EXIT
until clickhouse-client --port "$tcp" --query "SELECT 1" > /dev/null 2>&1; do sleep 0.1; done
query() { clickhouse-client --port "$tcp" --query "$1"; }

cat > "$work/to-clickhouse.toml" <<TOML
[sources.file]
plugin = "binary_reader"
path = "$work/flows.nfcapd"
[sinks.ch]
plugin = "clickhouse"
inputs = ["file"]
url = "http://127.0.0.1:$http"
table = "flows"
create_table = true
TOML
cat > "$work/to-nothing.toml" <<TOML
[sources.file]
plugin = "binary_reader"
path = "$work/flows.nfcapd"
[sinks.nothing]
plugin = "collecting_sink"
inputs = ["file"]
TOML
make_flows_file "$sluice" "$work/flows.nfcapd" "$flows"

# runs COMMAND... with the server's CPU counted too: prints "seconds cpu server_cpu"
measure() {
  local before start end
  before=$(cpu_seconds "$server")
  start=$(date +%s.%N)
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  end=$(date +%s.%N)
  read -r _ user sys < "$work/time"
  echo "$(awk "BEGIN {print $end - $start}") $(awk "BEGIN {print $user + $sys}") \
$(awk "BEGIN {print $(cpu_seconds "$server") - $before}")"
}

best() {  # label COMMAND...: the fastest of $runs runs, each into an empty table
  local label=$1 best_line="" best_seconds=999999
  shift
  for _ in $(seq "$runs"); do
    query "TRUNCATE TABLE IF EXISTS $table"
    sleep 1  # the server settles (merges) between runs
    local line
    line=$(measure "$@")
    [ "$(query "SELECT count() FROM $table")" = "$flows" ] || { echo "$label: rows missing"; exit 1; }
    if awk "BEGIN {exit !(${line%% *} < $best_seconds)}"; then best_seconds=${line%% *} best_line=$line; fi
  done
  echo "$label $best_line"
}

table=flows
sluice_line=$(best sluice "$sluice" run "$work/to-clickhouse.toml" --stats-interval 0 "${sink_options[@]}")
workers_line=$(best workers "$sluice" run "$work/to-clickhouse.toml" --stats-interval 0 "${sink_options[@]}" \
  --set sinks.ch.workers=2)
reader_line=$(measure "$sluice" run "$work/to-nothing.toml" --stats-interval 0 --plugin-dir "$build/tests/plugins/lib")
query "SELECT * FROM flows FORMAT CSV" > "$work/flows.csv"
query "CREATE TABLE client_flows AS flows"
table=client_flows
client_line=$(best clickhouse-client sh -c "clickhouse-client --port $tcp --query 'INSERT INTO client_flows FORMAT CSV' \
  < '$work/flows.csv'")

read -r _ s_sec s_cpu s_server <<< "$sluice_line"
read -r _ w_sec w_cpu w_server <<< "$workers_line"
read -r r_sec r_cpu _ <<< "$reader_line"
read -r _ c_sec c_cpu c_server <<< "$client_line"
per_row() { awk "BEGIN {printf \"%.2f\", $1 * 1e6 / $flows}"; }  # CPU seconds -> microseconds per row
printf "%-18s %10s %12s %14s %14s\n" "" "rows/s" "seconds" "CPU us/row" "server us/row"
printf "%-18s %10.0f %12.2f %14s %14s\n" "sluice" "$(awk "BEGIN {print $flows / $s_sec}")" "$s_sec" \
  "$(per_row "$s_cpu")" "$(per_row "$s_server")"
printf "%-18s %10s %12s %14s\n" "  its sink alone" "" "" "$(per_row "$(awk "BEGIN {print $s_cpu - $r_cpu}")")"
printf "%-18s %10.0f %12.2f %14s %14s\n" "sluice, workers 2" "$(awk "BEGIN {print $flows / $w_sec}")" "$w_sec" \
  "$(per_row "$w_cpu")" "$(per_row "$w_server")"
printf "%-18s %10s %12s %14s\n" "  its sink alone" "" "" "$(per_row "$(awk "BEGIN {print $w_cpu - $r_cpu}")")"
printf "%-18s %10.0f %12.2f %14s %14s\n" "clickhouse-client" "$(awk "BEGIN {print $flows / $c_sec}")" "$c_sec" \
  "$(per_row "$c_cpu")" "$(per_row "$c_server")"
echo "sluice / clickhouse-client: $(awk "BEGIN {printf \"%.2f\", $c_sec / $s_sec}")x the rate"
echo "workers 2 / workers 1: $(awk "BEGIN {printf \"%.2f\", $s_sec / $w_sec}")x the rate"
