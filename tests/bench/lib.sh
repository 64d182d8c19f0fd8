# Shared by the benchmark scripts: source it, don't run it.

# A UDP port on 127.0.0.1 that was free a moment ago.
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# make_flows_file SLUICE FILE FLOWS: an nfcapd file of FLOWS generated flows.
make_flows_file() {
  local toml
  toml=$(mktemp)
  cat > "$toml" <<TOML
[sources.gen]
plugin = "generator"
count = $3
[sinks.file]
plugin = "binary_writer"
inputs = ["gen"]
path = "$2"
TOML
  "$1" run "$toml" --stats-interval 0 2>/dev/null
  rm -f "$toml"
}

# make_nfcapd_archive SLUICE DIR FLOWS FILES: a folder of FILES files that
# nfcapd 1.7 wrote (LZ4, as nfcapd -y), FLOWS generated flows in all, sent
# as NetFlow v9 over loopback at a rate nfcapd keeps up with (a loaded
# machine loses some), one nfcapd run a file; named as nfcapd names
# five-minute files. Prints the flows nfcapd stored.
make_nfcapd_archive() {
  local sluice=$1 dir=$2 flows=$3 files=$4 i n=0 port pid spool file toml
  mkdir -p "$dir"
  toml=$(mktemp)
  for i in $(seq 0 $((files - 1))); do
    spool=$(mktemp -d)
    port=$(free_port)
    nfcapd -w "$spool" -t 3600 -p "$port" -b 127.0.0.1 -B 8388608 -y > /dev/null 2>&1 &
    pid=$!
    wait_udp_port "$port"
    cat > "$toml" <<TOML
[sources.gen]
plugin = "generator"
count = $(((flows * (i + 1)) / files - (flows * i) / files))
rate = 300000
seed = $((i + 1))
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
target = "127.0.0.1:$port"
TOML
    "$sluice" run "$toml" --stats-interval 0 2> /dev/null
    wait_udp_drained "$port"
    kill -TERM "$pid"
    wait "$pid" || true
    for file in "$spool"/nfcapd.2*; do  # two when nfcapd's hour turned meanwhile
      mv "$file" "$dir/$(printf 'nfcapd.20261207%02d%02d' $((n * 5 / 60)) $((n * 5 % 60)))"
      n=$((n + 1))
    done
    rm -rf "$spool"
  done
  rm -f "$toml"
  TZ=UTC nfdump -R "$dir" -I | awk '/^Flows:/ {print $2}'
}

# A TCP port on 127.0.0.1 that was free a moment ago.
free_tcp_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits (up to 10 s) until something is bound to UDP port $1, as /proc/net/udp shows it.
wait_udp_port() {
  local hex
  hex=$(printf '%04X' "$1")
  for _ in $(seq 1000); do
    awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p {found = 1} END {exit !found}' /proc/net/udp && return 0
    sleep 0.01
  done
  echo "nothing listens on UDP port $1" >&2
  return 1
}

# Waits (up to 30 s) until the socket bound to UDP port $1 has read everything queued.
wait_udp_drained() {
  local hex
  hex=$(printf '%04X' "$1")
  for _ in $(seq 3000); do
    awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p {split($5, q, ":"); if (q[2] != "00000000") busy = 1}
                      END {exit busy}' /proc/net/udp && return 0
    sleep 0.01
  done
}

# Datagrams the kernel dropped at the socket bound to UDP port $1 (receive
# buffer full), from /proc/net/udp's last column.
udp_drops() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p {d += $NF} END {print d + 0}' /proc/net/udp
}

# CPU seconds (user + system, with reaped children's) of the processes in process group $1.
group_cpu_seconds() {
  local ticks=0 pid stat
  for pid in $(ps -o pid= -g "$1"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    stat=${stat##*) }  # the fields after the command name
    ticks=$((ticks + $(echo "$stat" | awk '{print $12 + $13 + $14 + $15}')))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}

# Stops the script with what to do when a program the benchmark runs is not
# installed: require_programs nfcapd nfdump ...
require_programs() {
  local missing=() p
  for p in "$@"; do command -v "$p" > /dev/null || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  echo "$(basename "$0"): not installed: ${missing[*]}" >&2
  echo "  install them with: tests/install-deps.sh --tests   (or apt-get install nfdump time python3)" >&2
  exit 2
}

# Stops the script when BUILD_DIR has no sluice or lacks a plugin it runs:
# require_build BUILD_DIR plugin...
require_build() {
  local build=$1 p missing=()
  shift
  if [[ ! -x "$build/bin/sluice" ]]; then
    echo "$(basename "$0"): no sluice in $build/bin: build first, e.g." >&2
    echo "  cmake -S . -B build -G Ninja -DSLUICE_BUILD_TESTS=OFF && cmake --build build" >&2
    exit 2
  fi
  for p in "$@"; do [[ -e "$build/lib/sluice/plugins/sluice_$p.so" ]] || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  echo "$(basename "$0"): $build lacks the plugins: ${missing[*]} (cmake --build $build)" >&2
  exit 2
}

# CPU seconds (user + system, all threads) a running process has used.
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"
}

# Waits (up to 20 s) until PID's CPU time stops growing for half a second:
# it has dealt with everything it was sent. Prints that CPU time.
cpu_when_settled() {
  local before after
  before=$(cpu_seconds "$1")
  for _ in $(seq 40); do
    sleep 0.5
    after=$(cpu_seconds "$1")
    [[ "$after" == "$before" ]] && break
    before=$after
  done
  echo "$after"
}

# Context switches (voluntary + involuntary) of all PID's threads so far.
context_switches() {
  cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'
}

# The sender of the collector benchmarks: NetFlow v5, 30 flows a datagram,
# nflow-generator's mix; set sources.gen.rate, sources.gen.count and
# sinks.wire.target with --set.
v5_sender_pipeline() {
  cat <<TOML
[sources.gen]
plugin = "generator"
profile = "nflow"
[sinks.wire]
plugin = "netflow_export"
inputs = ["gen"]
version = 5
mtu = 1464
target = "127.0.0.1:9"
TOML
}

# The collector of the collector benchmarks: netflow_udp (8 MB receive
# buffer, like nfcapd -B 8388608) into KIND_writer at PATH:
# collector_pipeline KIND PATH; set sources.collector.listen with --set.
collector_pipeline() {
  cat <<TOML
[sources.collector]
plugin = "netflow_udp"
receive_buffer = 8388608
[sinks.out]
plugin = "$1_writer"
inputs = ["collector"]
path = "$2"
TOML
}

# Sets $work to a fresh folder removed at exit; a collector whose pid is in
# $collector then is stopped first.
with_work_dir() {
  work=$(mktemp -d)
  collector=""
  trap '[[ -n "$collector" ]] && kill "$collector" 2> /dev/null; rm -rf "$work"' EXIT
}

# Stops the sluice collector whose pid is in $collector (SIGINT, as Ctrl-C
# would) and fails the script with its log if it did not exit cleanly:
# stop_collector LOG
stop_collector() {
  local status=0
  kill -INT "$collector"
  wait "$collector" || status=$?
  collector=""
  ((status == 0)) && return 0
  echo "sluice's collector exited with $status:" >&2
  cat "$1" >&2
  exit 1
}

# Timing runs against a peer (set $work and $runs first):
# timed NAME.i COMMAND... writes "wall_s cpu_s peak_rss_kib" of the run to
# $work/NAME.i.time; median NAME COLUMN is that column's median over the runs.
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/$name.raw" "$@"
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$work/$name.raw" > "$work/$name.time"
}
median() {
  cat "$work/$1".*.time | awk -v c="$2" '{print $c}' | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2)'
}
# per_million SECONDS FLOWS; ratio A B (A / B, "12.3x")
per_million() { awk -v s="$1" -v n="$2" 'BEGIN {printf "%.3f", s * 1e6 / n}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}'; }

# The table of a run against a peer: `timed` runs named nfdump.i (the peer),
# sluice1.i and sluice2.i (workers = 1 and 2). Medians of wall clock, CPU
# seconds per million of $flows and peak memory, the wall-clock ratios, and
# every run. peer_and_workers_table PEER_COLUMN_TITLE
peer_and_workers_table() {
  local format='%-32s %10s %12s %12s\n'
  printf "$format" "" "$1" "workers = 1" "workers = 2"
  row() {  # row LABEL COLUMN [per_million]
    local values=() name v
    for name in nfdump sluice1 sluice2; do
      v=$(median "$name" "$2")
      [[ "${3:-}" == per_million ]] && v=$(per_million "$v" "$flows")
      values+=("$v")
    done
    printf "$format" "$1" "${values[@]}"
  }
  row "wall clock, s" 1
  row "CPU s per million flows" 2 per_million
  row "peak memory, KiB" 3
  printf "$format" "the peer's wall clock / sluice's" "" \
    "$(ratio "$(median nfdump 1)" "$(median sluice1 1)")" "$(ratio "$(median nfdump 1)" "$(median sluice2 1)")"
  printf "$format" "workers = 1's wall clock / this" "" "" "$(ratio "$(median sluice1 1)" "$(median sluice2 1)")"
  echo "runs (wall s, CPU s, peak KiB):"
  for i in $(seq "$runs"); do
    echo "  peer $(cat "$work/nfdump.$i.time")   w1 $(cat "$work/sluice1.$i.time")   w2 $(cat "$work/sluice2.$i.time")"
  done
}

# Starts tests/support/kafka_mock of BUILD_DIR with one broker (set $work
# first): sets $mock_pid and $brokers; its input stays open as fd 3.
start_kafka_mock() {
  mkfifo "$work/mock.in"
  "$1/tests/support/kafka_mock" --brokers 1 < "$work/mock.in" > "$work/mock.out" &
  mock_pid=$!
  exec 3> "$work/mock.in"  # holds the mock's stdin open
  for _ in $(seq 100); do [[ -s "$work/mock.out" ]] && break; sleep 0.1; done
  brokers=$(head -1 "$work/mock.out")
  [[ -n "$brokers" ]] || { echo "kafka_mock did not start" >&2; exit 1; }
}

# mock_topic NAME PARTITIONS: creates a topic on the mock; waits (10 s at
# most) for its answer.
mock_topic() {
  local answers
  answers=$(grep -c . "$work/mock.out")
  echo "topic $1 $2" >&3
  for _ in $(seq 100); do (($(grep -c . "$work/mock.out") > answers)) && break; sleep 0.1; done
  tail -1 "$work/mock.out" | grep -q '^ok' || { echo "kafka_mock: topic $1: $(tail -1 "$work/mock.out")" >&2; exit 1; }
}
