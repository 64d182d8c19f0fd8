#!/usr/bin/env bash
# Does a console cost the collector datagrams? The same NetFlow stream into
# the same collector (netflow_udp -> csv_writer, its console on) with 0 and
# with N consoles open, in turn, in one run.
#
#   tests/bench/console_load.sh [BUILD_DIR] [SECONDS] [DATAGRAM_RATE] [CONSOLES]
#   tests/bench/console_load.sh build 10 30000 20      (the defaults)
#
# A console here is what the page does: /api/v1/history and /api/v1/config
# once, then /api/v1/status every second on a kept-alive connection (a
# Python thread each, so the load is the server's, not N browsers'). For
# each case: flows sent and stored, the socket's kernel drops, the
# collector's CPU seconds and the requests answered. Exit 1 when the
# collector stored fewer flows than were sent with the consoles open.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$root/build}")
seconds=${2:-10}
rate=${3:-30000}
consoles=${4:-20}
sluice="$build/bin/sluice"
source "$root/tests/bench/lib.sh"
require_programs python3
require_build "$build" generator netflow_export netflow_udp csv_writer
with_work_dir
export TZ=UTC

v5_sender_pipeline > "$work/sender.toml"
collector_pipeline csv "$work/flows.csv" > "$work/collector.toml"
printf '[engine]\nmetrics = "127.0.0.1:0"\n' >> "$work/collector.toml"

cat > "$work/consoles.py" <<'PY'
import http.client, sys, threading, time
host, port, n, stop_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
answered = [0] * n
def console(i):
    c = http.client.HTTPConnection(host, port, timeout=5)
    for path in ("/api/v1/history", "/api/v1/config"):
        c.request("GET", path); c.getresponse().read(); answered[i] += 1
    next_at = time.monotonic()
    while True:
        try:
            open(stop_file).close(); return
        except FileNotFoundError:
            pass
        c.request("GET", "/api/v1/status"); c.getresponse().read(); answered[i] += 1
        next_at += 1
        time.sleep(max(0, next_at - time.monotonic()))
threads = [threading.Thread(target=console, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(answered))
PY

# measure N: one run with N consoles; appends "N sent stored kernel_drops cpu requests" to results.
measure() {
  local n=$1 port address count cpu requests=0
  port=$(free_port)
  rm -f "$work/flows.csv" "$work/stop"
  "$sluice" run "$work/collector.toml" --stats-interval 0 \
    --set sources.collector.listen="127.0.0.1:$port" > "$work/collector.log" 2>&1 &
  collector=$!
  wait_udp_port "$port"
  address=$(grep -o 'http://[0-9.:]*' "$work/collector.log" | head -1)
  address=${address#http://}
  if ((n > 0)); then
    python3 "$work/consoles.py" "${address%:*}" "${address##*:}" "$n" "$work/stop" > "$work/requests" &
    local pollers=$!
  fi
  count=$((rate * 30 * seconds))
  "$sluice" run "$work/sender.toml" --stats-interval 0 --set sources.gen.rate=$((rate * 30)) \
    --set sources.gen.count="$count" --set sinks.wire.target="127.0.0.1:$port" > "$work/sender.log" 2>&1
  wait_udp_drained "$port"
  local drops
  drops=$(udp_drops "$port")
  if ((n > 0)); then
    touch "$work/stop"
    wait "$pollers"
    requests=$(cat "$work/requests")
  fi
  cpu=$(cpu_when_settled "$collector")
  kill -INT "$collector"
  wait "$collector" || { cat "$work/collector.log" >&2; exit 1; }
  collector=""
  echo "$n $count $(($(wc -l < "$work/flows.csv") - 1)) $drops $cpu $requests" >> "$work/results"
}

measure 0
measure "$consoles"
measure 0
measure "$consoles"

echo "NetFlow v5 at $rate datagrams/s (30 flows each) for $seconds s into netflow_udp -> csv_writer; each case twice:"
printf '| %-8s | %-10s | %-10s | %-12s | %-14s | %-18s |\n' consoles "flows sent" stored "kernel drops" "collector CPU" "requests answered"
printf '|%s|%s|%s|%s|%s|%s|\n' ---------- ------------ ------------ -------------- ---------------- --------------------
awk '{printf "| %-8s | %-10s | %-10s | %-12s | %-14s | %-18s |\n", $1, $2, $3, $4, $5 " s", $6}' "$work/results"
if awk -v n="$consoles" '$1 == n && $3 != $2 {bad = 1} END {exit !bad}' "$work/results"; then
  echo "the collector lost flows with $consoles consoles open" >&2
  exit 1
fi
