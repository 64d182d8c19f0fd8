#!/bin/bash
# Kafka on librdkafka's mock cluster (tests/support/kafka_mock), sluice and
# pmacct's nfacctd in the same run, REPEATS times, with the medians:
#   1. sink: binary_reader (FLOWS flows of an nfcapd file) -> kafka, per
#      format, key and flows a message, as fast as it goes: flows/s, CPU
#      seconds per million flows, what the brokers acknowledged and the
#      messages in the topic. One flow a message goes with key = "flow", so
#      that the flows spread evenly over the partitions and the mock, which
#      keeps the last 5 MB and 100,000 messages of each, keeps them all;
#      protobuf's default (64 flows a message) packs only unkeyed flows;
#   2. source: each protobuf topic -> kafka source -> a counting sink: flows
#      read back, flows/s from the first one, CPU;
#   3. collectors fed the same NetFlow v5 datagrams at RATE flows/s,
#      producing unkeyed messages to Kafka: nfacctd (plugins: kafka, JSON),
#      sluice (netflow_udp -> kafka) in JSON and in protobuf (its default,
#      64 flows a message): CPU seconds per million flows, and what arrived,
#      counted the same way for the JSON topics (messages, and the packets
#      they carry against the packets sent: nfacctd aggregates, so its
#      messages need not be one a flow) and by the kafka source for protobuf.
#
#   tests/bench/kafka.sh BUILD_DIR [FLOWS] [RATE] [REPEATS]
#
# The mock broker's own CPU is shown apart: it is Kafka's cost, not the
# client's. Every wait has a deadline.
set -euo pipefail
build=$(realpath "${1:?build dir}")
flows=${2:-1000000}
rate=${3:-50000}
repeats=${4:-3}
sluice="$build/bin/sluice"
source "$(dirname "$0")/lib.sh"
require_programs nfacctd kcat python3 curl
require_build "$build" generator binary_writer binary_reader csv_writer kafka netflow_export netflow_udp
[[ -x "$build/tests/support/kafka_mock" ]] || { echo "no $build/tests/support/kafka_mock: build it" >&2; exit 2; }
work=$(mktemp -d)
mock_pid=""
group=""  # a process group to stop at exit (nfacctd)
cleanup() {
  [[ -n "$group" ]] && kill -9 -- "-$group" 2> /dev/null
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

hz=$(getconf CLK_TCK)
ticks_of() {  # pids...: their user + system ticks so far
  local total=0 pid
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
per_million() { awk -v s="$1" -v n="$2" 'BEGIN {printf "%.2f", n ? s / n * 1000000 : 0}'; }  # seconds flows
rate_of() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%d", (s > 0) ? n / s : 0}'; }                 # flows seconds
median() { sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
keep() { echo "$2" >> "$work/fig.$1"; }  # name value: one figure of one run, for the medians
row() { printf "%-4s %-34s %10s %8s %10s %10s %10s %10s %s\n" "$@"; }

# Runs sluice on a pipeline (up to 5 minutes); sets wall (the engine's
# summary), cpu (user + system) and log.
run_sluice() {  # toml log [args...]
  local toml=$1
  log=$2
  shift 2
  timeout 300 /usr/bin/time -o "$work/time" -f "%U %S" "$sluice" run "$toml" --stats-interval 0 "$@" > "$log" 2>&1 ||
    echo "sluice run $toml failed ($?): $(tail -3 "$log")" >&2
  cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/time")
  wall=$(awk '$1 == "wall" && $2 == "time" {print $3}' "$log")
}
number_in() { grep -o "[0-9]* $1" "$2" | grep -o '^[0-9]*' | tail -1 || echo 0; }  # "flows delivered" log

# The flows: IPv4 only, so that NetFlow v5 carries them all.
cat > "$work/make.toml" << TOML
[sources.gen]
plugin = "generator"
count = $flows
ipv6_ratio = 0.0
[sinks.file]
plugin = "binary_writer"
inputs = ["gen"]
path = "$work/flows.nf"
TOML
"$sluice" run "$work/make.toml" --stats-interval 0 > "$work/make.log" 2>&1
from_file() {  # the start of a pipeline that reads them
  printf '[sources.file]\nplugin = "binary_reader"\npath = "%s"\n' "$work/flows.nf"
}

# One broker. Topics are made as the runs need them, 32 partitions each.
start_kafka_mock "$build"
broker_port=${brokers##*:}
brokers_toml="[\"${brokers//,/\",\"}\"]"
# The mock keeps the last 100,000 messages and 5 MB of a partition: JSON
# topics (650 bytes a flow) get more partitions, so that none drops the start
# of what it was sent.
partitions_of() {
  case $1 in
    # librdkafka's sticky partitioner (unkeyed messages) fills one partition
    # a batch, unevenly: several MB on some partitions of the JSON topics.
    nfacctd* | collector_*) echo 1024 ;;
    json* | *none*) echo 256 ;;
    *) echo 32 ;;
  esac
}
create_topic() { mock_topic "$1" "$(partitions_of "$1")"; }
end_offsets() {  # topic [-2]: the sum of its partitions' end offsets (messages produced), or start offsets
  local args=() p
  for p in $(seq 0 $(($(partitions_of "$1") - 1))); do args+=(-t "$1:$p:${2:--1}"); done
  timeout 30 kcat -b "$brokers" -Q "${args[@]}" 2> /dev/null | awk '{sum += $NF} END {print sum + 0}'
}
json_tally() {  # topic: "messages packets" of the JSON objects it holds (60 s at most)
  timeout 60 kcat -b "$brokers" -C -t "$1" -e -q 2> /dev/null |
    python3 -c 'import sys, json
n = p = 0
for line in sys.stdin:
    n += 1
    p += json.loads(line)["packets"]
print(n, p)'
}

echo "sluice $("$sluice" --version 2>&1 | head -1), $(nfacctd -V 2>&1 | head -1)"
echo "librdkafka mock cluster, one broker, 32 partitions a topic (256 for JSON and unkeyed, 1024 for the collectors'); $flows flows; $repeats runs"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. sink ---------------------------------------------------------------
sink_configs=("protobuf flow 1" "protobuf none 0" "json flow 1" "csv flow 1")
echo
row run "sink: binary_reader -> kafka" "flows/s" "wall s" "CPU s/M" "broker s/M" "delivered" "messages"
sink() {  # run format key flows_per_message (0: the format's default)
  local topic="$2_$3_$4_$1" before after
  create_topic "$topic"
  { from_file; cat << TOML; } > "$work/sink.toml"
[sinks.k]
plugin = "kafka"
inputs = ["file"]
brokers = $brokers_toml
topic = "$topic"
format = "$2"
key = "$3"
flows_per_message = $4
TOML
  before=$(ticks_of "$mock_pid")
  run_sluice "$work/sink.toml" "$work/sink.log"
  after=$(ticks_of "$mock_pid")
  local name="$2 $3 $4" flows_s per_m broker_m
  flows_s=$(rate_of "$flows" "$wall")
  per_m=$(per_million "$cpu" "$flows")
  broker_m=$(per_million "$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {print t / hz}')" "$flows")
  row "$1" "$2, key $3, $( (($4)) && echo "$4 a message" || echo default)" "$flows_s" "$wall" "$per_m" "$broker_m" \
    "$(number_in "flows delivered" "$work/sink.log")" "$(end_offsets "$topic")"
  keep "sink.$name.rate" "$flows_s"
  keep "sink.$name.cpu" "$per_m"
  keep "sink.$name.broker" "$broker_m"
}

# 2. source --------------------------------------------------------------
reader_pipeline() {  # topic group: the kafka source reads the topic to its end into a counting sink
  cat << TOML
[sources.k]
plugin = "kafka"
brokers = $brokers_toml
topics = ["$1"]
group = "$2"
start = "earliest"
stop_at_end = true
[sinks.count]
plugin = "collecting_sink"
inputs = ["k"]
TOML
}
source_run() {  # run topic
  local port before after first="" started ended seconds read_flows per_m
  port=$(free_tcp_port)
  { printf '[engine]\nmetrics = "127.0.0.1:%s"\n' "$port"; reader_pipeline "$2" "bench_$2"; } > "$work/source.toml"
  before=$(ticks_of "$mock_pid")
  started=$(date +%s.%N)
  run_sluice "$work/source.toml" "$work/source.log" --plugin-dir "$build/tests/plugins/lib" &
  local runner=$!
  # The group's first join waits 3 s (the mock's initial rebalance delay):
  # the rate is taken from the first flow read.
  while kill -0 "$runner" 2> /dev/null; do
    if [[ -z "$first" ]] && curl -s -m 1 "127.0.0.1:$port/metrics" | grep -q '^sluice_kafka_flows_total{[^}]*} [1-9]'; then
      first=$(date +%s.%N)
    fi
    sleep 0.05
  done
  wait "$runner"
  ended=$(date +%s.%N)
  cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/time")  # run_sluice ran in a subshell
  after=$(ticks_of "$mock_pid")
  read_flows=$(number_in "flows read" "$work/source.log")
  seconds=$(awk -v a="$ended" -v b="${first:-$started}" 'BEGIN {printf "%.2f", a - b}')
  per_m=$(per_million "$cpu" "$read_flows")
  row "$1" "$2" "$(rate_of "$read_flows" "$seconds")" "$seconds" "$per_m" \
    "$(per_million "$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {print t / hz}')" "$read_flows")" "" "$read_flows"
  keep "source.$2.rate" "$(rate_of "$read_flows" "$seconds")"
  keep "source.$2.cpu" "$per_m"
}

for r in $(seq "$repeats"); do
  for c in "${sink_configs[@]}"; do sink "$r" $c; done
done
echo
row run "source: kafka -> count (topic)" "flows/s" "read s" "CPU s/M" "broker s/M" "" "read"
for r in $(seq "$repeats"); do
  source_run "$r" "protobuf_flow_1_$r"
  source_run "$r" "protobuf_none_0_$r"
done

# 3. collectors -----------------------------------------------------------
{ from_file; cat << TOML; } > "$work/feed.toml"
rate = $rate
[sinks.wire]
plugin = "netflow_export"
inputs = ["file"]
version = 5
mtu = 1464
target = "127.0.0.1:9"
TOML
feed() { "$sluice" run "$work/feed.toml" --stats-interval 0 --set sinks.wire.target="127.0.0.1:$1" > "$work/feed.log" 2>&1; }
# Every flow's packets: what the collectors' messages should add up to.
{ from_file; cat << TOML; } > "$work/packets.toml"
[sinks.csv]
plugin = "csv_writer"
inputs = ["file"]
path = "-"
TOML
sent_packets=$("$sluice" run "$work/packets.toml" --stats-interval 0 2> /dev/null |
  awk -F, 'NR == 1 {for (i = 1; i <= NF; ++i) if ($i == "packets") col = i; next} {s += $col} END {print s}')

echo
echo "collectors fed NetFlow v5 at $rate flows/s, producing to Kafka without a key ($sent_packets packets in the $flows flows):"
# arrived: JSON messages the broker appended (one a flow; nfacctd's
# aggregation could merge two), protobuf flows the source reads back;
# expired: messages the mock dropped from the start of a full partition (the
# packets then count only what it kept).
row run "collector" "arrived" "k. drops" "CPU s/M" "broker s/M" "packets" "expired" "lost"
# run name cpu_seconds broker_seconds topic format kernel_drops
collector_row() {
  local arrived packets="-" per_m
  per_m=$(per_million "$3" "$flows")
  if [[ $6 == json ]]; then
    arrived=$(end_offsets "$5")
    packets=$(json_tally "$5" | awk '{print $2}')
  else
    arrived=$(protobuf_flows "$5")
  fi
  row "$1" "$2" "$arrived" "$7" "$per_m" "$(per_million "$4" "$flows")" "$packets" "$(end_offsets "$5" -2)" \
    "$(awk -v s="$flows" -v t="$arrived" 'BEGIN {printf "%.4f%%", (s - t) * 100 / s}')"
  keep "collector.$2.cpu" "$per_m"
}
protobuf_flows() {  # topic: the flows the kafka source reads from it
  reader_pipeline "$1" "count_$1" > "$work/count.toml"
  timeout 120 "$sluice" run "$work/count.toml" --stats-interval 0 --plugin-dir "$build/tests/plugins/lib" > "$work/count.log" 2>&1 || true
  number_in "flows read" "$work/count.log"
}

nfacctd_run() {  # run
  local port topic="nfacctd_$1" before cpu_before cpu_after after last=-1 now stable=0 drops
  create_topic "$topic"
  port=$(free_port)
  cat > "$work/nfacctd.conf" << CONF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
nfacctd_pipe_size: 4194304
plugin_pipe_size: 268435456
plugin_buffer_size: 65536
plugins: kafka
aggregate: src_host, dst_host, src_port, dst_port, proto, tos, tcpflags, in_iface, out_iface, src_as, dst_as, src_mask, dst_mask, timestamp_start, timestamp_end
kafka_output: json
kafka_broker_host: 127.0.0.1
kafka_broker_port: $broker_port
kafka_topic: $topic
kafka_refresh_time: 1
CONF
  setsid nfacctd -f "$work/nfacctd.conf" > "$work/nfacctd.log" 2>&1 &
  group=$!
  wait_udp_port "$port"
  # Its kafka plugin starts after the core binds: wait for its first purge.
  for _ in $(seq 50); do tr -d '\0' < "$work/nfacctd.log" | grep -q 'Purging cache - END' && break; sleep 0.1; done
  before=$(ticks_of "$mock_pid")
  cpu_before=$(group_cpu_seconds "$group")
  feed "$port"
  # Done when the topic has stopped growing for 3 s (a purge a second), 120 s at most.
  for _ in $(seq 120); do
    sleep 1
    now=$(end_offsets "$topic")
    if [[ "$now" == "$last" ]]; then ((++stable >= 3)) && break; else stable=0; fi
    last=$now
  done
  cpu_after=$(group_cpu_seconds "$group")
  after=$(ticks_of "$mock_pid")
  drops=$(udp_drops "$port")
  kill -INT "$group"
  for _ in $(seq 50); do kill -0 "$group" 2> /dev/null || break; sleep 0.1; done
  kill -9 -- "-$group" 2> /dev/null || true
  wait "$group" 2> /dev/null || true
  group=""
  collector_row "$1" "nfacctd (kafka plugin), json" "$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN {print b - a}')" \
    "$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {print t / hz}')" "$topic" json "$drops"
  if tr -d '\0' < "$work/nfacctd.log" | grep -q 'Connection failed to Kafka'; then
    echo "     nfacctd: $(tr -d '\0' < "$work/nfacctd.log" | grep -c 'Connection failed to Kafka') purges gave up on Kafka" \
      "(\"Connection failed to Kafka: p_kafka_check_outq_len()\")"
  fi
}

sluice_collector_run() {  # run format
  local port topic="collector_$2_$1" before after
  create_topic "$topic"
  port=$(free_port)
  cat > "$work/collector.toml" << TOML
[sources.netflow]
plugin = "netflow_udp"
listen = "127.0.0.1:$port"
receive_buffer = 4194304
idle_timeout = "2s"
[sinks.bus]
plugin = "kafka"
inputs = ["netflow"]
brokers = $brokers_toml
topic = "$topic"
format = "$2"
TOML
  before=$(ticks_of "$mock_pid")
  run_sluice "$work/collector.toml" "$work/collector.log" &
  local runner=$!
  wait_udp_port "$port"
  feed "$port"
  wait "$runner"
  cpu=$(awk '{printf "%.2f", $1 + $2}' "$work/time")
  after=$(ticks_of "$mock_pid")
  collector_row "$1" "sluice (netflow_udp), $2" "$cpu" \
    "$(awk -v t=$((after - before)) -v hz="$hz" 'BEGIN {print t / hz}')" "$topic" "$2" \
    "$(grep -o '[0-9]* dropped by the kernel' "$work/collector.log" | grep -o '^[0-9]*' || echo "?")"
}

for r in $(seq "$repeats"); do
  nfacctd_run "$r"
  sluice_collector_run "$r" json
  sluice_collector_run "$r" protobuf
done

echo
echo "medians of $repeats runs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${sink_configs[@]}"; do
  printf "  sink %-14s %8s flows/s  %5s CPU s/M flows  broker %5s s/M\n" "$c" "$(median < "$work/fig.sink.$c.rate")" \
    "$(median < "$work/fig.sink.$c.cpu")" "$(median < "$work/fig.sink.$c.broker")"
done
for t in protobuf_flow_1 protobuf_none_0; do
  cat "$work"/fig.source."$t"_*.rate > "$work/rates"
  cat "$work"/fig.source."$t"_*.cpu > "$work/cpus"
  printf "  source %-12s %8s flows/s  %5s CPU s/M flows\n" "$t" "$(median < "$work/rates")" "$(median < "$work/cpus")"
done
nf=$(median < "$work/fig.collector.nfacctd (kafka plugin), json.cpu")
for f in json protobuf; do
  sl=$(median < "$work/fig.collector.sluice (netflow_udp), $f.cpu")
  echo "  collectors, CPU s per million flows: nfacctd json $nf, sluice $f $sl: nfacctd / sluice" \
    "$(awk -v a="$nf" -v b="$sl" 'BEGIN {printf "%.1f", b ? a / b : 0}')x"
done
