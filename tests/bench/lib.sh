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

# A TCP port on 127.0.0.1 that was free a moment ago.
free_tcp_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

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
