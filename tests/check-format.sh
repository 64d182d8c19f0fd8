#!/usr/bin/env bash
# Fails, naming the files, when a C++ file differs from what clang-format
# (the repository's .clang-format) makes of it. Fix with:
#   git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if ! clang-format --dry-run -Werror "${files[@]}"; then
  echo "check-format: the files above are not formatted (git ls-files '*.cpp' '*.h' | xargs clang-format -i)" >&2
  exit 1
fi
