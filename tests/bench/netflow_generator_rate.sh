#!/bin/bash
# Generator rate accuracy: for each rate, the flows emitted in a 10 s run
# (duration = "10s") against the rate x 10 asked for.
#
#   tests/bench/netflow_generator_rate.sh BUILD_DIR [RATES...]
set -euo pipefail
build=$(realpath "${1:?build dir}")
shift
rates=("$@")
[ ${#rates[@]} -eq 0 ] && rates=(10 1000 100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/rate.toml" <<TOML
[sources.gen]
plugin = "generator"
duration = "10s"
[sinks.count]
plugin = "collecting_sink"
inputs = ["gen"]
TOML
printf "%-10s %12s %12s %8s\n" "rate" "expected" "emitted" "error"
for rate in "${rates[@]}"; do
  "$build/bin/sluice" run "$work/rate.toml" --plugin-dir "$build/tests/plugins/lib" --stats-interval 0 \
    --set sources.gen.rate="$rate" > "$work/log" 2>&1
  got=$(grep -o 'generated [0-9]* flows' "$work/log" | grep -o '[0-9]*')
  printf "%-10s %12s %12s %7.3f%%\n" "$rate" $((rate * 10)) "$got" "$(awk "BEGIN {print 100 * ($got - $rate * 10) / ($rate * 10)}")"
done
