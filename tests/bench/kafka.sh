#!/bin/bash
# Kafka on librdkafka's mock cluster (tests/support/kafka_mock), sluice and
# pmacct's nfacctd in the same run:
#   1. sink: binary_reader (FLOWS flows of an nfcapd file) -> kafka, per
#      format, as fast as it goes: flows/s and CPU seconds per million flows;
#   2. source: the protobuf topic of 1 -> kafka source -> a counting sink;
#   3. collectors fed the same NetFlow v5 datagrams at RATE flows/s, both
#      producing JSON to Kafka: nfacctd (plugins: kafka) and sluice
#      (netflow_udp -> kafka): flows delivered and CPU seconds per million.
#
#   tests/bench/kafka.sh BUILD_DIR [FLOWS] [RATE]
#
# Every flow delivered is checked (the sink's acknowledged count, the
# topic's end offsets for nfacctd). The mock broker's own CPU is shown apart:
# it is Kafka's cost, not the client's.
set -euo pipefail
build=$(realpath "${1:?build dir}")
flows=${2:-1000000}
rate=${3:-100000}
sluice="$build/bin/sluice"
work=$(mktemp -d)
mock_pid=""
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"

hz=$(getconf CLK_TCK)
cpu_ticks() {  # pids...: their user + system ticks so far
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
per_million() { awk "BEGIN {printf \"%.2f\", $1 / $2 * 1000000}"; }  # seconds flows
rate_of() { awk "BEGIN {printf \"%d\", $1 / $2}"; }                   # flows seconds
row() { printf "%-34s %12s %10s %14s %14s %10s\n" "$@"; }

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

# One broker; 32 partitions a topic, as the mock keeps 5 MB of each.
topics=(protobuf protobuf64 json csv nfacctd collector)
mkfifo "$work/mock.in"
args=()
for t in "${topics[@]}"; do args+=(--topic "$t:32"); done
"$build/tests/support/kafka_mock" --brokers 1 "${args[@]}" < "$work/mock.in" > "$work/mock.out" &
mock_pid=$!
exec 3> "$work/mock.in"  # holds the mock's stdin open
for _ in $(seq 100); do [ -s "$work/mock.out" ] && break; sleep 0.1; done
brokers=$(head -1 "$work/mock.out")
broker_port=${brokers##*:}
brokers_toml="[\"${brokers//,/\",\"}\"]"

echo "sluice $("$sluice" --version 2>&1 | head -1), $(nfacctd -V 2>&1 | head -1), librdkafka mock cluster, $flows flows"
echo
row "sink: binary_reader -> kafka" "flows/s" "wall s" "CPU s/M flows" "broker s/M" "delivered"
sink() {  # topic format flows_per_message
  local before after
  before=$(cpu_ticks "$mock_pid")
  cat > "$work/sink.toml" << TOML
[sources.file]
plugin = "binary_reader"
path = "$work/flows.nf"
[sinks.k]
plugin = "kafka"
inputs = ["file"]
brokers = $brokers_toml
topic = "$1"
format = "$2"
flows_per_message = $3
TOML
  /usr/bin/time -o "$work/time" -f "%e %U %S" "$sluice" run "$work/sink.toml" --stats-interval 0 > "$work/sink.log" 2>&1
  after=$(cpu_ticks "$mock_pid")
  read -r wall user sys < "$work/time"
  delivered=$(grep -o '[0-9]* flows delivered' "$work/sink.log" | grep -o '^[0-9]*' || echo 0)
  row "$2, $3 flow(s) a message" "$(rate_of "$flows" "$wall")" "$wall" \
    "$(per_million "$(awk "BEGIN {print $user + $sys}")" "$flows")" \
    "$(per_million "$(awk "BEGIN {print ($after - $before) / $hz}")" "$flows")" "$delivered"
}
sink protobuf protobuf 1
sink protobuf64 protobuf 64
sink json json 1
sink csv csv 1

echo
row "source: kafka -> count" "flows/s" "read s" "CPU s/M flows" "broker s/M" "read"
port=$(free_port)
before=$(cpu_ticks "$mock_pid")
started=$(date +%s.%N)
cat > "$work/source.toml" << TOML
[engine]
metrics = "127.0.0.1:$port"
[sources.k]
plugin = "kafka"
brokers = $brokers_toml
topics = ["protobuf"]
group = "bench"
start = "earliest"
stop_at_end = true
[sinks.count]
plugin = "collecting_sink"
inputs = ["k"]
TOML
/usr/bin/time -o "$work/time" -f "%e %U %S" "$sluice" run "$work/source.toml" --stats-interval 0 \
  --plugin-dir "$build/tests/plugins/lib" > "$work/source.log" 2>&1 &
time_pid=$!
# The group's first join waits 3 s (the mock's initial rebalance delay): the
# rate is taken from the first flow read.
first=""
while kill -0 "$time_pid" 2> /dev/null; do
  if [ -z "$first" ] && curl -s "127.0.0.1:$port/metrics" | grep -q '^sluice_kafka_flows_total{[^}]*} [1-9]'; then
    first=$(date +%s.%N)
  fi
  sleep 0.05
done
wait "$time_pid"
ended=$(date +%s.%N)
after=$(cpu_ticks "$mock_pid")
read -r wall user sys < "$work/time"
read_flows=$(grep -o '[0-9]* flows read' "$work/source.log" | grep -o '^[0-9]*' || echo 0)
seconds=$(awk "BEGIN {print $ended - ${first:-$started}}")
row "protobuf, 1 flow a message" "$(rate_of "$read_flows" "$seconds")" "$(printf %.2f "$seconds")" \
  "$(per_million "$(awk "BEGIN {print $user + $sys}")" "$flows")" \
  "$(per_million "$(awk "BEGIN {print ($after - $before) / $hz}")" "$flows")" "$read_flows"

echo
echo "collectors fed NetFlow v5 at $rate flows/s, producing JSON to Kafka:"
row "collector" "sent" "delivered" "CPU s/M flows" "broker s/M" "share"
feed() {  # port
  cat > "$work/feed.toml" << TOML
[sources.file]
plugin = "binary_reader"
path = "$work/flows.nf"
rate = $rate
[sinks.wire]
plugin = "netflow_export"
inputs = ["file"]
version = 5
mtu = 1464
target = "127.0.0.1:$1"
TOML
  "$sluice" run "$work/feed.toml" --stats-interval 0 > "$work/feed.log" 2>&1
}
end_offsets() {  # topic: the sum of its partitions' end offsets (messages produced)
  local args=() p
  for p in $(seq 0 31); do args+=(-t "$1:$p:-1"); done
  kcat -b "$brokers" -Q "${args[@]}" 2> /dev/null | awk '{sum += $NF} END {print sum + 0}'
}

port=$(free_port)
cat > "$work/nfacctd.conf" << CONF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $port
nfacctd_pipe_size: 8388608
plugin_pipe_size: 268435456
plugin_buffer_size: 65536
plugins: kafka
aggregate: src_host, dst_host, src_port, dst_port, proto, tos, tcpflags, in_iface, out_iface, src_as, dst_as, src_mask, dst_mask, timestamp_start, timestamp_end
kafka_output: json
kafka_broker_host: 127.0.0.1
kafka_broker_port: $broker_port
kafka_topic: nfacctd
kafka_refresh_time: 1
kafka_cache_entries: 2000003
CONF
nfacctd -f "$work/nfacctd.conf" > "$work/nfacctd.log" 2>&1 &
nfacctd_pid=$!
for _ in $(seq 100); do grep -q ":$(printf %04X "$port") " /proc/net/udp && break; sleep 0.1; done
before=$(cpu_ticks "$mock_pid")
feed "$port"
# Done when the topic stops growing for 3 s (the plugin purges every second).
last=-1
stable=0
while [ "$stable" -lt 3 ]; do
  sleep 1
  now=$(end_offsets nfacctd)
  if [ "$now" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
  last=$now
done
ticks=$(cpu_ticks "$nfacctd_pid" $(pgrep -P "$nfacctd_pid" || true))
after=$(cpu_ticks "$mock_pid")
kill "$nfacctd_pid"
wait "$nfacctd_pid" 2> /dev/null || true
nfacctd_cpu=$(awk "BEGIN {print $ticks / $hz}")
row "nfacctd (kafka_output: json)" "$flows" "$last" "$(per_million "$nfacctd_cpu" "$flows")" \
  "$(per_million "$(awk "BEGIN {print ($after - $before) / $hz}")" "$flows")" \
  "$(awk "BEGIN {printf \"%.4f\", $last / $flows}")"

port=$(free_port)
before=$(cpu_ticks "$mock_pid")
cat > "$work/collector.toml" << TOML
[sources.netflow]
plugin = "netflow_udp"
listen = "127.0.0.1:$port"
receive_buffer = 8388608
idle_timeout = "2s"
[sinks.bus]
plugin = "kafka"
inputs = ["netflow"]
brokers = $brokers_toml
topic = "collector"
format = "json"
TOML
/usr/bin/time -o "$work/time" -f "%e %U %S" "$sluice" run "$work/collector.toml" --stats-interval 0 \
  > "$work/collector.log" 2>&1 &
time_pid=$!
for _ in $(seq 100); do grep -q ":$(printf %04X "$port") " /proc/net/udp && break; sleep 0.1; done
feed "$port"
wait "$time_pid" || true
after=$(cpu_ticks "$mock_pid")
read -r wall user sys < "$work/time"
delivered=$(grep -o '[0-9]* flows delivered' "$work/collector.log" | grep -o '^[0-9]*' || echo 0)
sluice_cpu=$(awk "BEGIN {print $user + $sys}")
row "sluice (netflow_udp -> kafka json)" "$flows" "$delivered" "$(per_million "$sluice_cpu" "$flows")" \
  "$(per_million "$(awk "BEGIN {print ($after - $before) / $hz}")" "$flows")" \
  "$(awk "BEGIN {printf \"%.4f\", $delivered / $flows}")"
echo
echo "CPU per flow, nfacctd / sluice: $(awk "BEGIN {printf \"%.1f\", $nfacctd_cpu / ($sluice_cpu > 0 ? $sluice_cpu : 1)}")x"
