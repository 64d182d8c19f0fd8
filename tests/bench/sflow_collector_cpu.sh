#!/bin/bash
# CPU per sample of sluice's sflow_udp and of sfacctd (pmacct), fed the same
# sFlow datagrams in the same run: sluice's generator -> sflow_export (paced,
# same seed, so the same samples) sends to each collector in turn. sluice
# writes every sample (CSV, and an nfcapd file); sfacctd aggregates them with
# its print plugin. CPU is user + system time of each collector's processes
# (sfacctd's core and plugin) from /proc, read before stopping them.
#
#   tests/bench/sflow_collector_cpu.sh BUILD_DIR [SECONDS] [FLOWS_PER_S] [SAMPLING_RATE]
#   tests/bench/sflow_collector_cpu.sh build 10 20000 4
set -euo pipefail
build=$(realpath "${1:?build dir}")
seconds=${2:-10}
rate=${3:-20000}
sampling=${4:-4}
sluice="$build/bin/sluice"
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

source "$(dirname "$0")/lib.sh"

send() {  # port: the same flows, the same samples, every time
  "$sluice" run "$work/sender.toml" --stats-interval 0 --set sinks.sflow.target="127.0.0.1:$1" > "$work/sender.log" 2>&1
  grep -o '[0-9]* samples in [0-9]* sFlow datagrams' "$work/sender.log"
}

cat > "$work/sender.toml" <<TOML
[sources.gen]
plugin = "generator"
seed = 1
exporters = 8
rate = $rate
count = $((rate * seconds))
[sinks.sflow]
plugin = "sflow_export"
inputs = ["gen"]
sampling_rate = $sampling
target = "127.0.0.1:9"
TOML

# $1 name, $2 port, $3 pid (process group leader): sends, waits until read, prints the CPU used.
measure() {
  wait_udp_port "$2"
  local before sent
  before=$(group_cpu_seconds "$3")
  sent=$(send "$2")
  wait_udp_drained "$2"
  sleep 2  # the last datagrams through the plugins
  echo "$sent" > "$work/$1.sent"
  awk -v a="$before" -v b="$(group_cpu_seconds "$3")" 'BEGIN {printf "%.2f", b - a}'
}

row() {  # name samples cpu
  printf "%-22s %12s %10s %14s\n" "$1" "$2" "$3" "$(awk -v s="$2" -v c="$3" 'BEGIN {printf "%.2f", s ? c * 1e6 / s : 0}')"
}

printf "%-22s %12s %10s %14s\n" "collector" "samples" "cpu s" "cpu us/sample"

# sfacctd: its print plugin writes each minute's aggregates (one row per
# source, destination, ports, protocol) to CSV.
port=$(free_port)
cat > "$work/sfacctd.conf" <<CONF
daemonize: false
sfacctd_ip: 127.0.0.1
sfacctd_port: $port
plugin_pipe_size: 67108864
plugin_buffer_size: 65536
plugins: print
print_output: csv
print_output_file: $work/sfacctd.csv
print_output_file_append: true
print_refresh_time: 60
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
CONF
setsid sfacctd -f "$work/sfacctd.conf" > "$work/sfacctd.log" 2>&1 &
pid=$!; pids+=("$pid")
sleep 2  # sfacctd drops what arrives before its plugin has started
cpu=$(measure sfacctd "$port" "$pid")
kill -INT "$pid"; sleep 2; kill -9 -- "-$pid" 2>/dev/null || true
samples=$(awk -F, '$1 != "SRC_IP" {s += $7} END {print s + 0}' "$work/sfacctd.csv")
row sfacctd "$samples" "$cpu"
sfacctd_cpu=$cpu; sfacctd_samples=$samples

for sink in csv_writer binary_writer; do
  port=$(free_port)
  cat > "$work/sluice.toml" <<TOML
[sources.sflow]
plugin = "sflow_udp"
listen = "127.0.0.1:$port"
[sinks.out]
plugin = "$sink"
inputs = ["sflow"]
path = "$work/out.$sink"
TOML
  setsid "$sluice" run "$work/sluice.toml" --stats-interval 0 > "$work/sluice.log" 2>&1 &
  pid=$!; pids+=("$pid")
  cpu=$(measure "sluice-$sink" "$port" "$pid")
  kill -INT "$pid"; wait "$pid" || true
  samples=$(awk '$1 == "sflow" && $2 == "sflow_udp" {gsub(",", "", $5); print $5}' "$work/sluice.log")
  row "sluice -> $sink" "$samples" "$cpu"
  awk -v c="$cpu" -v s="$samples" -v fc="$sfacctd_cpu" -v fs="$sfacctd_samples" \
    'BEGIN {if (fc > 0 && s > 0) printf "  ratio to sfacctd (cpu per sample): %.2f\n", (c / s) / (fc / fs)}'
done
echo "sent: $(cat "$work/sfacctd.sent")"
