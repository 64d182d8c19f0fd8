#!/bin/bash
# CPU per sample of sluice's sflow_udp and of sfacctd (pmacct), fed the same
# sFlow datagrams in the same run: sluice's generator -> sflow_export (paced,
# same seed, so the same samples) sends to each collector in turn, REPEATS
# times, and the script prints each run and the medians.
#
# Each collector counts what it accounted: sluice writes every sample (an
# nfcapd file, and CSV) and its summary gives the samples decoded; sfacctd
# aggregates per 5-tuple and ToS with its print plugin, whose PACKETS column
# (no renormalisation) sums to the samples it accounted. The script waits for
# sfacctd's print plugin to write them all (it purges every 10 s), or for
# its output to stop growing (a deadline), before it reads the CPU. Both
# sockets get the same receive buffer, and the kernel's drops for each are
# read from /proc/net/udp: a run where a collector lost datagrams is marked,
# and its per-sample figure counts only what it accounted.
#
# CPU is user + system time of each collector's processes (sfacctd's core,
# its plugin and the plugin's writers) from /proc, read once it has dealt
# with everything, before stopping it.
#
#   tests/bench/sflow_collector_cpu.sh BUILD_DIR [SECONDS] [FLOWS_PER_S] [SAMPLING_RATE] [REPEATS]
#   tests/bench/sflow_collector_cpu.sh build 20 6000 4 3
set -euo pipefail
build=$(realpath "${1:?build dir}")
seconds=${2:-20}
rate=${3:-6000}
sampling=${4:-4}
repeats=${5:-3}
sluice="$build/bin/sluice"
# Both collectors ask for 4 MB (net.core.rmem_max here); the kernel doubles it.
receive_buffer=4194304
# sfacctd's print plugin writes its cache every $refresh s (the script
# waits for the last write).
refresh=10
source "$(dirname "$0")/lib.sh"
require_programs sfacctd python3
require_build "$build" generator sflow_export sflow_udp csv_writer binary_writer
work=$(mktemp -d)
pid=""
trap '[[ -n "$pid" ]] && kill -9 -- "-$pid" 2>/dev/null; rm -rf "$work"' EXIT

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

send() {  # port: the same flows, the same samples, every time; prints the samples sent
  "$sluice" run "$work/sender.toml" --stats-interval 0 --set sinks.sflow.target="127.0.0.1:$1" > "$work/sender.log" 2>&1
  grep -o '[0-9]* samples in [0-9]* sFlow datagrams' "$work/sender.log" | tail -1 > "$work/sent"
}

# Samples sfacctd's print plugin has written so far: the sum of PACKETS.
sfacctd_samples() {
  [[ -s "$work/sfacctd.csv" ]] || { echo 0; return; }
  awk -F, '$1 == "SRC_IP" {for (i = 1; i <= NF; ++i) if ($i == "PACKETS") col = i; next}
           col {s += $col} END {print s + 0}' "$work/sfacctd.csv"
}

# Waits until sfacctd has written $1 samples, or (up to 60 s) until what it
# wrote stopped growing for two purge intervals: it drops what it can't take.
wait_sfacctd_written() {
  local last=-1 now same=0
  for _ in $(seq 120); do
    now=$(sfacctd_samples)
    ((now >= $1)) && return 0
    if ((now == last)); then ((++same >= 4 * refresh)) && return 0; else same=0; fi
    last=$now
    sleep 0.5
  done
  echo "sfacctd: wrote $now of $1 samples after 60 s" >&2
}

# Stops process group $1 (SIGINT, then after 10 s SIGKILL).
stop_group() {
  kill -INT "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# run_sfacctd / run_sluice SINK: one run; prints "samples cpu drops".
run_sfacctd() {
  local port before cpu drops sent
  port=$(free_port)
  rm -f "$work/sfacctd.csv"
  cat > "$work/sfacctd.conf" <<CONF
daemonize: false
sfacctd_ip: 127.0.0.1
sfacctd_port: $port
sfacctd_pipe_size: $receive_buffer
plugin_pipe_size: 67108864
plugin_buffer_size: 65536
plugins: print
print_output: csv
print_output_file: $work/sfacctd.csv
print_output_file_append: true
print_refresh_time: $refresh
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
CONF
  setsid sfacctd -f "$work/sfacctd.conf" > "$work/sfacctd.log" 2>&1 &
  pid=$!
  wait_udp_port "$port"
  # sfacctd's core binds before its plugin reads the pipe: wait for the
  # plugin's first (empty) purge before sending.
  for _ in $(seq 50); do grep -q 'PRINT.*purging cache - END' "$work/sfacctd.log" && break; sleep 0.1; done
  before=$(group_cpu_seconds "$pid")
  send "$port"
  sent=$(awk '{print $1}' "$work/sent")
  wait_udp_drained "$port"
  wait_sfacctd_written "$sent"
  cpu=$(awk -v a="$before" -v b="$(group_cpu_seconds "$pid")" 'BEGIN {printf "%.2f", b - a}')
  drops=$(udp_drops "$port")
  stop_group "$pid"
  pid=""
  echo "$(sfacctd_samples) $cpu $drops"
}

run_sluice() {
  local port before cpu drops samples
  port=$(free_port)
  cat > "$work/sluice.toml" <<TOML
[sources.sflow]
plugin = "sflow_udp"
listen = "127.0.0.1:$port"
receive_buffer = $receive_buffer
[sinks.out]
plugin = "$1"
inputs = ["sflow"]
path = "$work/out.$1"
TOML
  setsid "$sluice" run "$work/sluice.toml" --stats-interval 0 > "$work/sluice.log" 2>&1 &
  pid=$!
  wait_udp_port "$port"
  before=$(group_cpu_seconds "$pid")
  send "$port"
  wait_udp_drained "$port"
  cpu=$(cpu_when_settled "$pid")
  cpu=$(awk -v a="$before" -v b="$cpu" 'BEGIN {printf "%.2f", b - a}')
  drops=$(udp_drops "$port")
  stop_group "$pid"
  pid=""
  samples=$(awk '$1 == "sflow" && $2 == "sflow_udp" {gsub(",", "", $5); print $5}' "$work/sluice.log")
  rm -f "$work/out.$1"
  echo "${samples:-0} $cpu $drops"
}

us_per_sample() { awk -v s="$1" -v c="$2" 'BEGIN {printf "%.3f", s ? c * 1e6 / s : 0}'; }
median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $rate flows/s for $seconds s, sampling 1 in $sampling, $repeats runs"
printf "%-4s %-26s %10s %10s %8s %8s %12s\n" run collector sent accounted drops "cpu s" "cpu us/smpl"
collectors=(sfacctd csv_writer binary_writer)
for run in $(seq "$repeats"); do
  for c in "${collectors[@]}"; do
    if [[ $c == sfacctd ]]; then read -r samples cpu drops < <(run_sfacctd); name="sfacctd (print, 5-tuple)"
    else read -r samples cpu drops < <(run_sluice "$c"); name="sluice -> $c"; fi
    sent=$(awk '{print $1}' "$work/sent")
    us=$(us_per_sample "$samples" "$cpu")
    printf "%-4s %-26s %10s %10s %8s %8s %12s%s\n" "$run" "$name" "$sent" "$samples" "$drops" "$cpu" "$us" \
      "$( ((samples < sent || drops > 0)) && echo "  (lost samples)")"
    echo "$us" >> "$work/us.$c"
    echo "$cpu" >> "$work/cpu.$c"
  done
done
echo "datagrams a run: $(awk '{print $4}' "$work/sent"); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
sf=$(median < "$work/us.sfacctd")
for c in "${collectors[@]}"; do
  us=$(median < "$work/us.$c")
  printf "median %-22s cpu s %6s  cpu us/sample %7s  against sfacctd %s\n" "$c" "$(median < "$work/cpu.$c")" "$us" \
    "$(awk -v a="$us" -v b="$sf" 'BEGIN {printf "%.2f", b ? a / b : 0}')"
done
