#!/usr/bin/env bash
# The kafka sink on workers: binary_reader (FLOWS generated flows of an
# nfcapd file) -> kafka on librdkafka's mock cluster (one broker,
# tests/support/kafka_mock), protobuf (64 flows a message, unkeyed) and JSON
# (one flow a message, keyed by flow), with workers = 1 and 2, RUNS times in
# turn. Prints each run's wall clock and CPU seconds (user + system, sluice's
# threads and librdkafka's; the mock broker's apart) and checks that every
# flow was delivered.
#
#   tests/bench/kafka_workers.sh [BUILD_DIR] [FLOWS] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
flows=${2:-500000}
runs=${3:-3}
sluice="$build/bin/sluice"
source "$(dirname "$0")/lib.sh"
require_programs /usr/bin/time
require_build "$build" generator binary_writer binary_reader kafka
[[ -x "$build/tests/support/kafka_mock" ]] || { echo "no $build/tests/support/kafka_mock: build it" >&2; exit 2; }
work=$(mktemp -d)
mock_pid=""
trap '[[ -n "$mock_pid" ]] && kill "$mock_pid" 2> /dev/null; rm -rf "$work"' EXIT

make_flows_file "$sluice" "$work/flows.nf" "$flows"
start_kafka_mock "$build"

topic=0
echo "$flows flows, load average $(cut -d' ' -f1-3 /proc/loadavg); wall s, CPU s (sluice)"
for i in $(seq "$runs"); do
  for format in protobuf json; do
    key=none
    [[ "$format" == json ]] && key=flow  # spread over the partitions: the mock keeps 100,000 messages of each
    for workers in 1 2; do
      topic=$((topic + 1))
      mock_topic "t$topic" 256
      printf '[sources.file]\nplugin = "binary_reader"\npath = "%s"\n[sinks.k]\nplugin = "kafka"\ninputs = ["file"]
brokers = ["%s"]\ntopic = "t%s"\nformat = "%s"\nkey = "%s"\nworkers = %s\n' \
        "$work/flows.nf" "$brokers" "$topic" "$format" "$key" "$workers" > "$work/p.toml"
      timed "$format$workers.$i" "$sluice" run "$work/p.toml" --stats-interval 0 2> "$work/err"
      grep -q "$flows flows delivered" "$work/err" || { cat "$work/err" >&2; exit 1; }
      echo "  $format, workers = $workers: $(cut -d' ' -f1-2 "$work/$format$workers.$i.time")"
    done
  done
done
