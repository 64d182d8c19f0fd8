#!/usr/bin/env bash
# Memory over a long run: runs a pipeline for SECONDS, samples its RSS every
# 5 s, then stops it with SIGINT and prints its summary rows.
#   tests/bench/rss_over_time.sh BUILD_DIR SECONDS PIPELINE [sluice run options...]
#   tests/bench/rss_over_time.sh build 60 tests/bench/endless.toml --plugin-dir build/tests/plugins/lib
#   tests/bench/rss_over_time.sh build 600 gen-to-csv --set sources.gen.count=0 \
#       --set sources.gen.rate=300000 --set sinks.csv.path=/dev/null
set -euo pipefail
build=$(realpath "${1:?build dir}")
seconds=${2:?seconds}
pipeline=${3:?pipeline}
shift 3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$build/bin/sluice" run "$pipeline" --stats-interval 0 "$@" 2> "$log" &
pid=$!
echo "seconds  rss_kib"
for ((t = 5; t <= seconds; t += 5)); do
  sleep 5
  echo "$t  $(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
done
kill -INT $pid
wait $pid
sed -n '/^component/,/^wall time/p' "$log"
