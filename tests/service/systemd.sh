#!/usr/bin/env bash
# sluice@.service under a real systemd: a throw-away Debian 12 root
# (debootstrap minbase) booted with systemd-nspawn, the .deb of this build
# installed with apt. Checks that start reaches "active" only after READY=1,
# reload rotates files, a stopped (SIGSTOP) sluice is restarted by the
# watchdog, stop drains and exits 0, status shows the stats line, and a bad
# pipeline fails without a restart loop. It needs root and Debian's archive
# (debootstrap, apt), and takes about two minutes.
#   tests/service/systemd.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: systemd.sh BUILD_DIR}" && pwd)
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/sluice-systemd.XXXXXX)
root=$work/root
nspawn_pid=
cleanup() {
  if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null || true   # nspawn powers the container off
    for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$nspawn_pid" 2>/dev/null || true
  fi
  grep -o " $root[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "systemd.sh: FAIL: $*" >&2; exit 1; }
# Polls a command until it succeeds, for at most $1 seconds.
until_true() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.2; done
}

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/cpack" >"$work/cpack.log" 2>&1 ||
  { tail -20 "$work/cpack.log"; fail "cpack"; }
deb=$(ls "$work"/cpack/sluice_*.deb | head -1)
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
cp "$deb" "$root/root/"
# (debootstrap wrote $mirror into the root's sources.list for apt.)
cp /etc/resolv.conf "$root/etc/resolv.conf"
systemd-nspawn --register=no --keep-unit -q -D "$root" sh -c \
  'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y /root/sluice_*.deb' \
  >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get install"; }

# Short timings for the test: a watchdog of 3 s, stats every second.
install -d "$root/etc/systemd/system/sluice@.service.d"
printf '[Service]\nWatchdogSec=3s\nRestartSec=1s\n' >"$root/etc/systemd/system/sluice@.service.d/test.conf"
# A pipeline that runs until stopped, writing a file per window.
cat >"$root/etc/sluice/endless.toml" <<'TOML'
[engine]
stats_interval = "1s"
[sources.gen]
plugin = "generator"
rate = 2000
[transforms.windows]
plugin = "rotator"
inputs = ["gen"]
interval = "1h"
[sinks.csv]
plugin = "csv_writer"
inputs = ["windows"]
path = "out/%H%M%S.csv"
TOML
printf '[sources.gen]\nplugin = "generator"\nno_such_option = 1\n' >"$root/etc/sluice/bad.toml"

systemd-nspawn --register=no --keep-unit -q -D "$root" --boot >"$work/boot.log" 2>&1 &
nspawn_pid=$!
init_pid() { pgrep -P "$nspawn_pid" -x systemd | head -1; }
booted() { [[ -n $(init_pid) ]]; }
until_true 30 booted || fail "the container's systemd did not start"
pid1=$(init_pid)
in_container() { nsenter -t "$pid1" -a "$@"; }
system_up() { in_container systemctl is-system-running --wait >/dev/null 2>&1 || is_degraded; }
is_degraded() { [[ $(in_container systemctl is-system-running 2>/dev/null) == degraded ]]; }
until_true 60 system_up || fail "the container did not finish booting"
state() { in_container systemctl show -P "$2" "sluice@$1"; }
# is UNIT PROPERTY VALUE: for until_true, which runs its command each time.
is() { [[ $(state "$1" "$2") == "$3" ]]; }

# start: active only after READY=1, and gen-to-csv writes its flows.
in_container systemctl start sluice@gen-to-csv || fail "start gen-to-csv"
[[ $(state gen-to-csv ActiveState) =~ ^(active|deactivating|inactive)$ ]] || fail "gen-to-csv: $(state gen-to-csv ActiveState)"
journal_has() { in_container journalctl -u "sluice@$1" -o cat | grep -q "$2"; }
until_true 10 journal_has gen-to-csv "running /etc/sluice/gen-to-csv.toml" || fail "no start in the journal"
until_true 60 is gen-to-csv ActiveState inactive || fail "gen-to-csv did not end"
[[ $(state gen-to-csv Result) == success ]] || fail "gen-to-csv: $(state gen-to-csv Result)"
lines=$(wc -l <"$root/var/lib/sluice/gen-to-csv/flows.csv")
((lines > 1000)) || fail "gen-to-csv wrote $lines lines"

# reload: SIGHUP through the unit's ExecReload starts new files.
in_container systemctl start sluice@endless
[[ $(state endless ActiveState) == active ]] || fail "endless: $(state endless ActiveState)"
# Files of the hour's window appear once closed: by the reload.
files() { find "$root/var/lib/sluice/endless/out" -name '*.csv' 2>/dev/null | wc -l; }
more_files_than() { (($(files) > $1)); }
before=$(files)
in_container systemctl reload sluice@endless || fail "reload"
until_true 10 more_files_than "$before" || fail "reload started no new file"

# status: the stats line is the unit's status text.
until_true 10 sh -c "nsenter -t $pid1 -a systemctl status --no-pager sluice@endless | grep -q 'Status: \"stats: gen out'" ||
  fail "no stats line in systemctl status"

# watchdog: a stopped sluice is killed and restarted.
main=$(state endless MainPID)
in_container sh -c "kill -STOP $main"  # the shell's kill: no procps in the root
restarted() { (($(state endless NRestarts) >= 1)) && is endless ActiveState active; }
until_true 30 restarted || fail "the watchdog did not restart a stopped sluice"
[[ $(state endless MainPID) != "$main" ]] || fail "the same process after the restart"

# stop: drains and exits 0.
in_container systemctl stop sluice@endless
[[ $(state endless Result) == success ]] || fail "stop: $(state endless Result)"
[[ $(state endless ExecMainStatus) == 0 ]] || fail "stop: exit status $(state endless ExecMainStatus)"

# A bad pipeline fails (78) and is not restarted.
# "failed" (not "activating" with auto-restart) means no restart is scheduled.
in_container systemctl start sluice@bad && fail "a bad pipeline started"
[[ $(state bad ActiveState) == failed ]] || fail "bad: $(state bad ActiveState)"
[[ $(state bad ExecMainStatus) == 78 ]] || fail "bad: exit status $(state bad ExecMainStatus)"
[[ $(state bad NRestarts) == 0 ]] || fail "bad: restarted $(state bad NRestarts) times"
echo "systemd.sh: all checks passed"
