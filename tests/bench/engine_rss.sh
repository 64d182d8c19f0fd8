#!/usr/bin/env bash
# Memory over a long run: an endless test source through a pass-through into
# a sink, sampled every few seconds. Bounded queues keep RSS flat.
#   tests/bench/engine_rss.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=${1:-build}
seconds=${2:-60}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/endless.toml" <<'TOML'
[sources.src]
plugin = "counting_source"
count = 0
batch_size = 1024
[transforms.pass]
plugin = "passthrough"
inputs = ["src"]
[sinks.out]
plugin = "collecting_sink"
inputs = ["pass"]
TOML
"$build/bin/sluice" run "$dir/endless.toml" --plugin-dir "$build/tests/plugins/lib" --stats-interval 0 \
  2> "$dir/stderr" &
pid=$!
echo "seconds  rss_kib"
for ((t = 5; t <= seconds; t += 5)); do
  sleep 5
  echo "$t  $(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
done
kill -INT $pid
wait $pid
grep -E "^(src|out) " "$dir/stderr"
