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
