#!/usr/bin/env bash
# Runs clang-tidy (the repository's .clang-tidy) over the engine's and the
# plugins' sources; fails on any finding. BUILD_DIR must have been configured
# with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON (tests/run.sh does).
#   tests/check-tidy.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: tests/check-tidy.sh BUILD_DIR}
[[ -f "$build/compile_commands.json" ]] || { echo "check-tidy: no $build/compile_commands.json" >&2; exit 1; }
# GCC-only options (plugins/lib/netflow's copy strategy) are unknown to clang.
database=$(mktemp -d)
trap 'rm -rf "$database"' EXIT
sed -E 's/ -mmemcpy-strategy=[^ "]*//g' "$build/compile_commands.json" > "$database/compile_commands.json"
if ! run-clang-tidy-14 -p "$database" -quiet -j "$(nproc)" "$PWD/(engine|plugins)/.*\.cpp$" \
    > "$build/clang-tidy.log" 2>&1; then
  grep -E "(warning|error):" "$build/clang-tidy.log" | sort -u >&2 || cat "$build/clang-tidy.log" >&2
  echo "check-tidy: clang-tidy found the problems above (full output: $build/clang-tidy.log)" >&2
  exit 1
fi
